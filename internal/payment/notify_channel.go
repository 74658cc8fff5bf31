package payment

import (
	"context"
	"encoding/json"
	"net/http"
)

// HandleHTTPNotification verifies and applies one notification of the named channel whose
// notifications are a body with signed headers (WeChat Pay, HTTPNotificationVerifier), with
// the guarantees of HandleNotification: nil only after the change (or the finding that it
// is a duplicate) is committed; the audit row is written whatever the outcome, whole when
// verified, else its first UnverifiedKeepBytes, charged to its source's budget (RATE_LIMITED
// over it, nothing stored).
func (s *Service) HandleHTTPNotification(ctx context.Context, name string, h http.Header, raw []byte, remoteAddr string) error {
	rec := newNotificationRecord(s.now(), remoteAddr, string(raw))
	var head struct {
		ID        string `json:"id"`
		EventType string `json:"event_type"`
	}
	if json.Unmarshal(raw, &head) == nil {
		rec.NotifyID, rec.TradeStatus = clip(head.ID), clip(head.EventType)
	}
	outcome, err := s.handleHTTPNotification(ctx, name, h, raw, rec)
	return s.finishNotification(ctx, rec, remoteAddr, outcome, err)
}

func (s *Service) handleHTTPNotification(ctx context.Context, name string, h http.Header, raw []byte, rec *NotificationRecord) (string, error) {
	ch := s.channelNamed(name)
	v, ok := ch.(HTTPNotificationVerifier)
	if !ok {
		return "", refuse("channel %s is not configured", clip(name))
	}
	n, err := v.VerifyHTTPNotification(h, raw)
	if err != nil {
		if ErrorCode(err) == CodeUnauthorized {
			return "", refuse("bad signature")
		}
		return "", refuse("malformed notification: %s", ErrorMessage(err))
	}
	rec.Verified = true
	rec.OutTradeNo = clip(n.OutTradeNo)
	return s.acceptNotification(ctx, name, ch, n)
}
