package alipay

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/smartwalle/alipay/v3"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/tracing"
)

// Alipay result codes and sub codes this package acts on.
const (
	codeSuccess     = "10000"
	codeInProcess   = "10003"
	codeUnknown     = "20000"
	subSystemError  = "ACQ.SYSTEM_ERROR"
	subNotExist     = "ACQ.TRADE_NOT_EXIST"
	subHasClose     = "ACQ.TRADE_HAS_CLOSE"
	subStatusError  = "ACQ.TRADE_STATUS_ERROR"
	refundSucceeded = "REFUND_SUCCESS"
)

// Call outcomes, as payment.ChannelCall.Outcome records them.
const (
	outcomeOK       = "ok"
	outcomeRejected = "rejected"
	outcomeUnknown  = "unknown"
)

// maxSummary bounds the response text handed to the Recorder.
const maxSummary = 2000

// call sends one request through the SDK into rsp and folds the answer into one error:
// nil for 10000, CodeUpstreamRejected for a business failure, CodeUpstreamUnavailable when
// the outcome is unknown. head is the alipay.Error embedded in rsp.
func (c *Channel) call(ctx context.Context, outTradeNo string, p alipay.Param, rsp any, head *alipay.Error) error {
	method := p.APIName()
	ctx, span := tracing.Start(ctx, method, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("rpc.system", "alipay"), attribute.String("rpc.method", method), attribute.String("f2fpay.out_trade_no", outTradeNo)))
	defer span.End()
	start := time.Now()
	sdkErr := c.client.Request(ctx, c.param(p), rsp)
	err, signed := fold(method, head, sdkErr)
	elapsed := time.Since(start)

	outcome := outcomeOK
	switch payment.ErrorCode(err) {
	case "":
	case payment.CodeUpstreamRejected:
		outcome = outcomeRejected
	default:
		outcome = outcomeUnknown
	}
	attrs := []any{
		slog.String("method", method), slog.String("out_trade_no", outTradeNo),
		slog.String("outcome", outcome), slog.Duration("duration", elapsed),
	}
	code := ""
	if err == nil {
		code = string(head.Code)
	}
	var pe *payment.Error
	if errors.As(err, &pe) {
		attrs = append(attrs, slog.String("alipay_code", pe.AlipayCode), slog.String("alipay_sub_code", pe.AlipaySubCode), slog.String("error", pe.Message))
		code = pe.AlipayCode
		span.SetAttributes(attribute.String("f2fpay.alipay.sub_code", pe.AlipaySubCode))
	}
	span.SetAttributes(attribute.String("f2fpay.alipay.code", code), attribute.String("f2fpay.alipay.outcome", outcome))
	if outcome == outcomeUnknown { // a refusal is an answer, not a failure of the call
		span.SetStatus(codes.Error, err.Error())
	}
	switch {
	case !signed:
		c.log.ErrorContext(ctx, "alipay response failed signature verification", attrs...)
	case outcome == outcomeUnknown:
		c.log.WarnContext(ctx, "alipay call outcome unknown", attrs...)
	case outcome == outcomeRejected:
		c.log.InfoContext(ctx, "alipay call rejected", attrs...)
	default:
		c.log.DebugContext(ctx, "alipay call", attrs...)
	}
	if c.record != nil {
		c.record(payment.ChannelCall{
			OutTradeNo: outTradeNo,
			Method:     method,
			Request:    bizParams(p),
			Response:   summary(rsp, err),
			Outcome:    outcome,
			Duration:   elapsed,
			CreatedAt:  start.UTC(),
		})
	}
	return err
}

// fold turns what the SDK returned into nil or a coded error. signed is false when the
// response failed signature verification, a security event the caller logs loudly.
func fold(method string, head *alipay.Error, err error) (_ error, signed bool) {
	if err == nil {
		return foldAnswer(method, *head), true
	}
	// The SDK hands back a response without a signature as an *alipay.Error. The real
	// gateway leaves its gateway-level errors (isv.*, 40001-40006 but 40004) unsigned, so
	// such an answer is read as the refusal it claims to be. Anything else unsigned, a
	// business answer (40004 ACQ.*) or a "success" above all, is never trusted: its
	// outcome is unknown (docs/decisions.md, "Which answers are unknown").
	var ae *alipay.Error
	if errors.As(err, &ae) && ae != nil {
		if gatewayLevel(string(ae.Code), ae.SubCode) {
			return foldAnswer(method, *ae), true
		}
		return payment.Errorf(payment.CodeUpstreamUnavailable, "%s: the response carried no signature", method), false
	}
	var b64 base64.CorruptInputError
	if errors.Is(err, rsa.ErrVerification) || errors.Is(err, alipay.ErrAliPublicKeyNotFound) || errors.Is(err, errCertExpired) || errors.As(err, &b64) {
		return payment.Errorf(payment.CodeUpstreamUnavailable, "%s: the response signature failed verification", method), false
	}
	return payment.Errorf(payment.CodeUpstreamUnavailable, "%s: no usable answer from Alipay (%s)", method, transportReason(err)), true
}

// foldAnswer classifies a decoded, verified answer.
func foldAnswer(method string, h alipay.Error) error {
	code, sub := string(h.Code), h.SubCode
	switch {
	case code == codeSuccess:
		return nil
	case code == "":
		return payment.Errorf(payment.CodeUpstreamUnavailable, "%s: the answer has no result code", method)
	case code == codeUnknown || code == codeInProcess || isSystemError(sub):
		return &payment.Error{
			Code:          payment.CodeUpstreamUnavailable,
			Message:       fmt.Sprintf("%s: outcome unknown (%s %s)", method, code, sub),
			AlipayCode:    code,
			AlipaySubCode: sub,
			AlipaySubMsg:  h.SubMsg,
		}
	}
	msg := h.SubMsg
	if msg == "" {
		msg = h.Msg
	}
	return &payment.Error{
		Code:          payment.CodeUpstreamRejected,
		Message:       fmt.Sprintf("%s rejected: %s", method, msg),
		AlipayCode:    code,
		AlipaySubCode: sub,
		AlipaySubMsg:  h.SubMsg,
	}
}

// gatewayLevel reports an error Alipay's gateway gives before any business service sees
// the call (and may leave unsigned): an isv.* sub code, or 40001, 40002, 40003, 40005 or
// 40006. 40004 is the business services' code and always comes signed.
func gatewayLevel(code, sub string) bool {
	if sub == "" {
		return false
	}
	switch code {
	case "40001", "40002", "40003", "40005", "40006":
		return true
	case "40004":
		return strings.HasPrefix(sub, "isv.")
	}
	return false
}

// isSystemError reports the sub codes that leave the outcome unknown: Alipay's system error
// (also misspelt AQC. in some of its tables) and its internal-service (isp.*) errors.
func isSystemError(sub string) bool {
	return sub == subSystemError || sub == "AQC.SYSTEM_ERROR" || strings.HasPrefix(sub, "isp.")
}

// transportReason names why no answer arrived, without the request (it carries the signature).
func transportReason(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, alipay.ErrBadResponse):
		return "unexpected response"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "response is not JSON"
	}
	return err.Error()
}

// subCode returns the Alipay sub code of a rejection, "" for anything else.
func subCode(err error) string {
	var pe *payment.Error
	if errors.As(err, &pe) && pe.Code == payment.CodeUpstreamRejected {
		return pe.AlipaySubCode
	}
	return ""
}

// bizParams is the biz_content the SDK sends for p: business parameters only, no keys,
// no signature.
func bizParams(p alipay.Param) string {
	b, err := json.Marshal(p)
	if err != nil {
		return ""
	}
	return maskAuthCode(string(b)) // alipay.trade.pay: the buyer's payment code
}

// summary describes the answer for the Recorder.
func summary(rsp any, err error) string {
	if err != nil {
		return err.Error()
	}
	b, jerr := json.Marshal(rsp)
	if jerr != nil {
		return ""
	}
	if len(b) > maxSummary {
		return string(b[:maxSummary]) + "…"
	}
	return string(b)
}
