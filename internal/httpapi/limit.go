package httpapi

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/httpapi/apiauth"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// IPLimiter rate-limits the public routes by client IP (as Gin derives it from the
// connection and, behind a trusted proxy, X-Forwarded-For). AllowIP reports whether ip may
// make one more request of the route class ("notify" for /notify/alipay, "public" for the
// cashier and the console login) now, and if not, after how long it may try again.
type IPLimiter interface {
	AllowIP(ctx context.Context, route, ip string) (ok bool, retryAfter time.Duration)
}

// ClientPeeker is an optional extension of a Limiter: PeekClient reports, without taking
// a token, whether the client named by appID is still within its limit. When the Limiter
// has it, a request of a client already over its limit is refused before authentication,
// so that a flood costs a map lookup per request instead of a database read and an HMAC.
// It takes nothing, so a forger naming someone's app id cannot drain that client's bucket;
// it only sees 429 where it would have seen 401 while the real client is being limited.
type ClientPeeker interface {
	PeekClient(ctx context.Context, appID string) (ok bool, retryAfter time.Duration)
}

// ipLimitedRoute reports whether a path is one of the unauthenticated routes an attacker
// can hit for free: the notify endpoint, the cashier pages and the console login.
func ipLimitedRoute(path string) bool {
	return isNotifyPath(path) || strings.HasPrefix(path, "/pay/") || path == "/admin/login"
}

// isNotifyPath reports whether path is a channel's notify endpoint.
func isNotifyPath(path string) bool { return path == "/notify/alipay" || path == wechatNotifyPath }

// retryAfterSeconds rounds a wait up to whole seconds, at least one, as Retry-After wants.
func retryAfterSeconds(d time.Duration) int { return max(int(math.Ceil(d.Seconds())), 1) }

func (s *server) refuseRateLimited(c *gin.Context, retry time.Duration) {
	secs := retryAfterSeconds(retry)
	c.Header("Retry-After", strconv.Itoa(secs))
	writeError(c, payment.Errorf(payment.CodeRateLimited, "too many requests; retry after %d s", secs))
}

// ipLimit applies the IPLimiter to the public routes. The notify endpoint answers Alipay's
// plain "failure" (with 429 and Retry-After) so that Alipay retries later; a notification
// refused here is counted ("throttled", Service.CountThrottledNotification) but not
// audited, since writing a row per request of a flood would hand the flood the disk the
// limit protects; the access log has its line already.
func (s *server) ipLimit(c *gin.Context) {
	if s.ipLimiter == nil || !ipLimitedRoute(c.Request.URL.Path) {
		c.Next()
		return
	}
	route := "public"
	if isNotifyPath(c.Request.URL.Path) {
		route = "notify"
	}
	ok, retry := s.ipLimiter.AllowIP(c.Request.Context(), route, c.ClientIP())
	if ok {
		c.Next()
		return
	}
	if isNotifyPath(c.Request.URL.Path) {
		s.log.DebugContext(c.Request.Context(), "notification rate-limited", slog.String("request_id", requestIDOf(c)),
			slog.String("client_ip", c.ClientIP()))
		s.svc.CountThrottledNotification()
		if c.Request.URL.Path == wechatNotifyPath {
			refuseWeChatRateLimited(c, retry)
			return
		}
		refuseNotifyRateLimited(c, retry)
		return
	}
	s.refuseRateLimited(c, retry)
}

// rateLimit applies the optional Limiter to the authenticated client. It runs after the
// signature check, so nobody can drain a client's bucket without its secret; a replay of a
// captured genuine request does take a token before its nonce is refused (only within the
// 300 s timestamp window, and TLS keeps requests from being captured).
func (s *server) rateLimit(c *gin.Context) {
	if s.limiter == nil {
		c.Next()
		return
	}
	client, _ := c.Value(ctxClient).(*payment.Merchant)
	if ok, retry := s.limiter.Allow(c.Request.Context(), client); !ok {
		s.refuseRateLimited(c, retry)
		return
	}
	c.Next()
}

// preLimit refuses, before authentication, the requests of a client whose bucket is
// already empty (see ClientPeeker).
func (s *server) preLimit(c *gin.Context) {
	pk, ok := s.limiter.(ClientPeeker)
	appID := c.GetHeader(headerAppID)
	if !ok || !apiauth.ValidAppID(appID) {
		c.Next()
		return
	}
	if ok, retry := pk.PeekClient(c.Request.Context(), appID); !ok {
		s.refuseRateLimited(c, retry)
		return
	}
	c.Next()
}
