package httpapi

import (
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// notify is Alipay's asynchronous notification endpoint (SPEC §3). It hands the raw form,
// at most maxBody bytes, to the core and answers the plain text Alipay expects: "success"
// only when the core has committed the change (or found a duplicate), "failure" otherwise,
// so that Alipay retries. Both are sent with status 200, as Alipay reads only the body.
// A body refused here (too large, unreadable) is answered 413/400 "failure" and still kept
// for audit with its first bytes, through Service.RecordRefusedNotification.
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
		s.log.Warn("notification body refused", slog.String("request_id", requestIDOf(c)),
			slog.Int("status", status), slog.String("client_ip", c.ClientIP()))
		if aerr := s.svc.RecordRefusedNotification(c.Request.Context(), raw, c.ClientIP(), reason); aerr != nil {
			s.log.Error("audit of refused notification failed", slog.String("request_id", requestIDOf(c)), slog.Any("err", aerr))
		}
		c.Header("Connection", "close") // the rest of an oversized body is not read
		c.Data(status, "text/plain; charset=utf-8", []byte("failure"))
		return
	}
	if err := s.svc.HandleNotification(c.Request.Context(), string(raw), c.ClientIP()); err != nil {
		// The core has logged the reason and kept the notification for audit.
		c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("failure"))
		return
	}
	c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte("success"))
}
