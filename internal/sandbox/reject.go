package sandbox

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"regexp"
)

// Default gateway rejection: Alipay's rate limit, which it answers before any business
// check (and before any idempotency check).
const (
	defaultRejectCode    = "40005"
	defaultRejectSubCode = "isv.app-call-limited"
)

var subCodePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)

// rejectSubMsg holds the sub_msg of the rejections tests use most; others get a generic one.
var rejectSubMsg = map[string]string{
	"isv.app-call-limited":          "调用频次超限",
	"isv.method-call-limited":       "方法调用频次超限",
	"isp.unknow-error":              "系统繁忙",
	"ACQ.SYSTEM_ERROR":              "系统错误",
	"ACQ.SELLER_BALANCE_NOT_ENOUGH": "卖家余额不足",
}

// validateReject checks gateway_reject_code / gateway_reject_sub_code: both empty (the
// default 40005 isv.app-call-limited) or both set, with an error code Alipay uses.
func validateReject(code, sub string) error {
	if code == "" && sub == "" {
		return nil
	}
	if code == "" || sub == "" {
		return errors.New("gateway_reject_code and gateway_reject_sub_code go together")
	}
	if _, ok := codeMsg[code]; !ok || code == "10000" {
		return errors.New("gateway_reject_code must be 20000 or 40001..40006")
	}
	if !subCodePattern.MatchString(sub) {
		return errors.New("gateway_reject_sub_code must be like isv.app-call-limited or ACQ.SELLER_BALANCE_NOT_ENOUGH")
	}
	return nil
}

// rejectNode is the configured rejection. unsigned is true for gateway-level codes
// (40001-40003, 40005, 40006): the real gateway sends those without a signature, while
// business answers (40004) and 20000 are signed.
func (fs *faultState) rejectNode() (n node, unsigned bool) {
	fs.mu.Lock()
	code, sub := fs.f.GatewayRejectCode, fs.f.GatewayRejectSubCode
	fs.mu.Unlock()
	if code == "" {
		code, sub = defaultRejectCode, defaultRejectSubCode
	}
	msg := rejectSubMsg[sub]
	if msg == "" {
		msg = "沙箱模拟的网关拒绝"
	}
	return errNode(code, sub, msg), code != "40004" && code != "20000"
}

// gatewayCall runs one authenticated call under the fault knobs and returns the node to
// answer with the fault drawn. A rejection or a plain system error leaves the call
// undone; the "applied" system error, the timeout and no fault carry it out. The answer
// goes out unsigned when req.unsigned is set afterwards.
func (s *Sandbox) gatewayCall(ctx context.Context, req *gwRequest) (node, gatewayFault) {
	fault := s.gatewayFault(ctx, req.method)
	switch fault {
	case faultReject:
		n, unsigned := s.faults.rejectNode()
		req.unsigned = unsigned
		return n, fault
	case faultSystemError:
		return errNode("20000", "isp.unknow-error", "系统繁忙"), fault
	case faultBizSystemError:
		return bizErr("ACQ.SYSTEM_ERROR", "系统错误"), fault
	}
	n := lookupMethod(req.method)(s, req)
	switch fault {
	case faultAppliedSystemError:
		req.unsigned = false
		return errNode("20000", "isp.unknow-error", "系统繁忙"), fault
	case faultAppliedBizSystemError:
		req.unsigned = false
		return bizErr("ACQ.SYSTEM_ERROR", "系统错误"), fault
	}
	return n, fault
}

// writeUnsigned writes a gateway-level error the way the real gateway does: the node
// named after the method, no sign and no alipay_cert_sn. HTTP 200 as always.
func writeUnsigned(w http.ResponseWriter, name string, n node) {
	var b bytes.Buffer
	b.WriteString(`{"`)
	b.WriteString(name)
	b.WriteString(`":`)
	b.Write(n.bytes())
	b.WriteString(`}`)
	w.Header().Set("Content-Type", "text/html;charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}
