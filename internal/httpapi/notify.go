package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// notify is Alipay's asynchronous notification endpoint (docs/decisions.md, Notifications). It hands the raw form,
// at most maxBody bytes, to the core and answers the plain text Alipay expects: "success"
// only when the core has committed the change (or found a duplicate), "failure" otherwise,
// so that Alipay retries. Both are sent with status 200, as Alipay reads only the body.
// A body refused here (too large, unreadable) is answered 413/400 "failure" and still kept
// for audit with its first bytes, through Service.RecordRefusedNotification. A notification
// whose signature does not verify, from a source over its budget of those, is answered 429
// "failure" with Retry-After and not stored (docs/security.md).
func (s *server) notify(c *gin.Context) {
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, s.maxBody+1))
	status, reason := 0, ""
	switch {
	case err != nil:
		status, reason = http.StatusBadRequest, "body could not be read"
	case int64(len(raw)) > s.maxBody:
		status, reason = http.StatusRequestEntityTooLarge, "body larger than the limit"
	}
	if status != 0 {
		c.Header("Connection", "close") // the rest of an oversized body is not read
		aerr := s.svc.RecordRefusedNotification(c.Request.Context(), raw, c.ClientIP(), reason)
		if s.notifyThrottled(c, aerr) {
			return
		}
		s.log.WarnContext(c.Request.Context(), "notification body refused", slog.String("request_id", requestIDOf(c)),
			slog.Int("status", status), slog.String("client_ip", c.ClientIP()))
		if aerr != nil {
			s.log.ErrorContext(c.Request.Context(), "audit of refused notification failed", slog.String("request_id", requestIDOf(c)), slog.Any("err", aerr))
		}
		c.Data(status, "text/plain; charset=utf-8", []byte("failure"))
		return
	}
	if err := s.svc.HandleNotification(c.Request.Context(), string(raw), c.ClientIP()); err != nil {
		if s.notifyThrottled(c, err) {
			return
		}
		// The core has logged the reason and kept the notification for audit.
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("failure"))
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
}

// notifyThrottled answers a notification the core refused under its source's budget of
// unverified ones (err RATE_LIMITED) with 429 "failure" and Retry-After, and reports
// whether it did.
func (s *server) notifyThrottled(c *gin.Context, err error) bool {
	var pe *payment.Error
	if !errors.As(err, &pe) || pe.Code != payment.CodeRateLimited {
		return false
	}
	refuseNotifyRateLimited(c, pe.RetryAfter)
	return true
}

// refuseNotifyRateLimited answers a rate-limited notification as Alipay understands it:
// "failure" (it retries later), with 429 and Retry-After for anyone else.
func refuseNotifyRateLimited(c *gin.Context, retry time.Duration) {
	c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(retry)))
	c.Set(ctxErrorCode, string(payment.CodeRateLimited))
	c.Data(http.StatusTooManyRequests, "text/plain; charset=utf-8", []byte("failure"))
	c.Abort()
}
