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

// wechatNotifyPath is WeChat Pay's notification endpoint, routed only when the wechat
// channel is configured.
const wechatNotifyPath = "/notify/wechat"

// wechatFail is the answer WeChat Pay reads as "not received, retry on your schedule"; the
// reason stays in the audit row and the log.
var wechatFail = []byte(`{"code":"FAIL","message":"失败"}`)

// notifyWeChat is WeChat Pay's notification endpoint, with the hygiene of /notify/alipay
// (notify): a body of at most maxBody bytes (above it, or unreadable: 413/400 and an audit
// row of its first bytes), verified, decrypted and applied by the core, which keeps every
// notification for audit (2 KiB of an unverified one) and charges unverified ones to their
// source's budget. It answers as WeChat Pay expects: 204 with an empty body once the change
// (or the finding that it is a duplicate) is committed; otherwise 500 {"code":"FAIL",…}, or
// 429 with Retry-After over the budget, and WeChat Pay retries.
func (s *server) notifyWeChat(c *gin.Context) {
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, s.maxBody+1))
	status, reason := 0, ""
	switch {
	case err != nil:
		status, reason = http.StatusBadRequest, "body could not be read"
	case int64(len(raw)) > s.maxBody:
		status, reason = http.StatusRequestEntityTooLarge, "body larger than the limit"
	}
	if status != 0 {
		c.Header("Connection", "close")
		aerr := s.svc.RecordRefusedNotification(c.Request.Context(), raw, c.ClientIP(), reason)
		var pe *payment.Error
		if errors.As(aerr, &pe) && pe.Code == payment.CodeRateLimited {
			refuseWeChatRateLimited(c, pe.RetryAfter)
			return
		}
		s.log.Warn("wechat notification body refused", slog.String("request_id", requestIDOf(c)),
			slog.Int("status", status), slog.String("client_ip", c.ClientIP()))
		if aerr != nil {
			s.log.Error("audit of refused notification failed", slog.String("request_id", requestIDOf(c)), slog.Any("err", aerr))
		}
		c.Data(status, "application/json; charset=utf-8", wechatFail)
		return
	}
	err = s.svc.HandleHTTPNotification(c.Request.Context(), payment.ChannelWeChat, c.Request.Header, raw, c.ClientIP())
	if err != nil {
		var pe *payment.Error
		if errors.As(err, &pe) && pe.Code == payment.CodeRateLimited {
			refuseWeChatRateLimited(c, pe.RetryAfter)
			return
		}
		c.Data(http.StatusInternalServerError, "application/json; charset=utf-8", wechatFail)
		return
	}
	c.Status(http.StatusNoContent)
}

// refuseWeChatRateLimited answers a rate-limited WeChat Pay notification: 429 with
// Retry-After and {"code":"FAIL",…}, which WeChat Pay retries later.
func refuseWeChatRateLimited(c *gin.Context, retry time.Duration) {
	c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(retry)))
	c.Set(ctxErrorCode, string(payment.CodeRateLimited))
	c.Data(http.StatusTooManyRequests, "application/json; charset=utf-8", wechatFail)
	c.Abort()
}
