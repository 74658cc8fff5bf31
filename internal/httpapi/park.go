package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Parker is a Waiter that can also hold a query with no goroutine waiting: answer is
// called once, when the order leaves pending or timeout passes (notifier.Notifier).
type Parker interface {
	Park(o *payment.Order, timeout time.Duration, answer func(*payment.Order))
}

// park answers a `?wait=N` query on a pending order from a parked connection: it takes the
// HTTP/1.x connection over from the server, so that while the order waits neither the
// handler's goroutine and stack nor the server's buffers stay alive, only the socket and a
// timer. The answer is the same 200 JSON the handler would write, with "Connection: close".
// It reports false (and the caller waits the ordinary way) when the waiter cannot park or
// the connection cannot be taken over (HTTP/2).
func (s *server) park(c *gin.Context, o *payment.Order, timeout time.Duration) bool {
	p, ok := s.waiter.(Parker)
	if !ok || c.Request.ProtoMajor != 1 {
		return false
	}
	header := c.Writer.Header().Clone() // request id and security headers set by middleware
	conn, _, err := c.Writer.Hijack()
	if err != nil {
		return false
	}
	proto := c.Request.Proto
	p.Park(o, timeout, func(o *payment.Order) {
		defer conn.Close()
		body, err := json.Marshal(s.view(o))
		if err != nil {
			return
		}
		header.Set("Content-Type", "application/json; charset=utf-8")
		header.Set("Content-Length", strconv.Itoa(len(body)))
		header.Set("Connection", "close")
		header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		var b bytes.Buffer
		b.WriteString(proto + " 200 OK\r\n")
		_ = header.Write(&b)
		b.WriteString("\r\n")
		b.Write(body)
		_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		_, _ = conn.Write(b.Bytes())
	})
	return true
}
