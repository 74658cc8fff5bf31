package httpapi

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// notify is Alipay's asynchronous notification endpoint (SPEC §3). It hands the raw form,
// at most maxBody bytes, to the core and answers the plain text Alipay expects: "success"
// only when the core has committed the change (or found a duplicate), "failure" otherwise,
// so that Alipay retries. Both are sent with status 200, as Alipay reads only the body.
func (s *server) notify(c *gin.Context) {
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		status := http.StatusBadRequest
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		s.log.Warn("notification body refused", slog.String("request_id", requestIDOf(c)),
			slog.Int("status", status), slog.String("client_ip", c.ClientIP()))
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
