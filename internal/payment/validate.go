package payment

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// outTradeNoPattern is Alipay's rule for a new out_trade_no: letters, digits, underscore.
// Lookups keep idPattern, so orders numbered before the rule are still found.
var outTradeNoPattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// tillPattern is store_id, terminal_id and operator_id (docs/api.md, "Create").
var tillPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// MaxTimeoutMinutes is the longest order life: an Alipay QR lives at most 2 hours.
const MaxTimeoutMinutes = 120

// CreateRequest is a merchant's order request (docs/api.md, POST /api/v1/payment/create).
type CreateRequest struct {
	OutTradeNo     string
	TotalAmount    Amount
	Subject        string
	Body           string
	TimeoutMinutes int // 0 = default; the HTTP layer refuses an explicit 0
	NotifyURL      string
	Metadata       map[string]string
	Channel        string // ChannelAlipay (default, "") or ChannelWeChat
	// StoreID, TerminalID and OperatorID are passed to alipay.trade.precreate as the
	// same fields and returned in the payment object.
	StoreID, TerminalID, OperatorID string
}

// Validate checks every field; errors are INVALID_PARAMETER naming the field.
func (r *CreateRequest) Validate() error {
	if !outTradeNoPattern.MatchString(r.OutTradeNo) {
		return Errorf(CodeInvalidParameter, "out_trade_no must be 1-64 characters of [A-Za-z0-9_]")
	}
	if err := CheckOrderAmount("total_amount", r.TotalAmount); err != nil {
		return err
	}
	if err := checkText("subject", r.Subject, 1, 256); err != nil {
		return err
	}
	if strings.ContainsAny(r.Subject, "/=&") {
		return Errorf(CodeInvalidParameter, "subject must not contain / = or & (Alipay refuses them)")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"store_id", r.StoreID, 32}, {"terminal_id", r.TerminalID, 32}, {"operator_id", r.OperatorID, 28}} {
		if f.v != "" && (len(f.v) > f.max || !tillPattern.MatchString(f.v)) {
			return Errorf(CodeInvalidParameter, "%s must be at most %d characters of [A-Za-z0-9_-]", f.name, f.max)
		}
	}
	if err := checkText("body", r.Body, 0, 128); err != nil {
		return err
	}
	if r.TimeoutMinutes != 0 && (r.TimeoutMinutes < 1 || r.TimeoutMinutes > MaxTimeoutMinutes) {
		return Errorf(CodeInvalidParameter, "timeout_minutes must be between 1 and %d", MaxTimeoutMinutes)
	}
	if r.NotifyURL != "" {
		if err := CheckWebhookURL("notify_url", r.NotifyURL); err != nil {
			return err
		}
	}
	return checkMetadata(r.Metadata)
}

// CheckWebhookURL accepts absolute http(s) URLs of at most 512 characters.
func CheckWebhookURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(raw) > 512 {
		return Errorf(CodeInvalidParameter, "%s must be an absolute http(s) URL", field)
	}
	return nil
}

func checkMetadata(m map[string]string) error {
	if len(m) > 20 {
		return Errorf(CodeInvalidParameter, "metadata may hold at most 20 values")
	}
	size := 0
	for k, v := range m {
		if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) || hasControl(k) || hasControl(v) {
			return Errorf(CodeInvalidParameter, "metadata keys and values must be text without control characters")
		}
		size += len(k) + len(v)
	}
	if size > 1024 {
		return Errorf(CodeInvalidParameter, "metadata may hold at most 1 KiB in all")
	}
	return nil
}

// checkText requires valid UTF-8 of min..max characters without control characters.
func checkText(field, s string, min, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(CodeInvalidParameter, "%s must be valid UTF-8", field)
	}
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		if min > 0 {
			return Errorf(CodeInvalidParameter, "%s must be %d-%d characters", field, min, max)
		}
		return Errorf(CodeInvalidParameter, "%s must be at most %d characters", field, max)
	}
	if hasControl(s) {
		return Errorf(CodeInvalidParameter, "%s must not contain control characters", field)
	}
	if min > 0 && strings.TrimSpace(s) == "" {
		return Errorf(CodeInvalidParameter, "%s must not be blank", field)
	}
	return nil
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// RefundInput is a merchant's refund request.
type RefundInput struct {
	OutTradeNo string
	RefundNo   string
	Amount     Amount
	Reason     string
}

// Validate checks every field; errors are INVALID_PARAMETER naming the field.
func (r *RefundInput) Validate() error {
	if !idPattern.MatchString(r.OutTradeNo) {
		return Errorf(CodeInvalidParameter, "out_trade_no must be 1-64 characters of [A-Za-z0-9_-]")
	}
	if !idPattern.MatchString(r.RefundNo) {
		return Errorf(CodeInvalidParameter, "refund_no must be 1-64 characters of [A-Za-z0-9_-]")
	}
	if err := CheckOrderAmount("refund_amount", r.Amount); err != nil {
		return err
	}
	return checkText("reason", r.Reason, 0, 256)
}

// ValidID reports whether s is a valid out_trade_no / refund_no.
func ValidID(s string) bool { return idPattern.MatchString(s) }
