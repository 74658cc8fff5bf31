package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/f2fpay/f2fpay/internal/httpapi/apiauth"
)

// AuthFailureLimiter is an optional extension of an IPLimiter: a budget, per source
// address, of merchant API requests that fail authentication after costing the gateway a
// database read, an AES open and an HMAC (docs/security.md). AllowAuthAttempt reports,
// taking nothing, whether the source of ip has failures left; AuthFailed charges one.
// Valid requests are never charged, so merchants behind one NAT are not throttled by
// their own traffic.
type AuthFailureLimiter interface {
	AllowAuthAttempt(ctx context.Context, ip string) (ok bool, retryAfter time.Duration)
	AuthFailed(ctx context.Context, ip string)
}

// knownSecretsTTL is how long the secrets that verified a client's request are kept to
// recognise its valid requests while their source is over its failure budget.
const knownSecretsTTL = 15 * time.Minute

// knownSecrets remembers, per app id, the secrets that last verified one of its requests.
// It only filters: a request that matches still goes through the full authentication
// (database read included), so a rotated or disabled client is judged as always; a
// request that does not match, from a source over its budget, is refused without touching
// the database. It holds at most one entry per client that authenticated recently.
type knownSecrets struct {
	mu sync.Mutex
	m  map[string]knownEntry
}

type knownEntry struct {
	secrets [][]byte
	at      time.Time
}

func (k *knownSecrets) remember(appID string, secrets [][]byte, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]knownEntry{}
	}
	k.m[appID] = knownEntry{secrets: secrets, at: now}
}

// verifies reports whether one of appID's remembered secrets signed stringToSign as sig.
func (k *knownSecrets) verifies(appID, stringToSign, sig string, now time.Time) bool {
	k.mu.Lock()
	e, ok := k.m[appID]
	if ok && now.Sub(e.at) > knownSecretsTTL {
		delete(k.m, appID)
		ok = false
	}
	k.mu.Unlock()
	return ok && apiauth.VerifyAny(e.secrets, stringToSign, sig)
}

// overBudget reports whether the request's source has used up its failure budget and the
// request is not signed with a secret already known to this process; then it has answered
// 429 with Retry-After, before any database read.
func (s *server) overBudget(c *gin.Context, appID, ts, nonce, sig string) bool {
	if s.authFail == nil {
		return false
	}
	ok, retry := s.authFail.AllowAuthAttempt(c.Request.Context(), c.ClientIP())
	if ok {
		return false
	}
	if body, ok := s.bodyOf(c); ok {
		if want, err := s.wantSignature(c, ts, nonce, body); err == nil && s.known.verifies(appID, want, sig, s.clock.Now()) {
			return false
		}
	} else {
		return true // bodyOf answered (413)
	}
	s.refuseRateLimited(c, retry)
	return true
}

// authFailed charges a failed authentication to the request's source.
func (s *server) authFailed(c *gin.Context) {
	if s.authFail != nil {
		s.authFail.AuthFailed(c.Request.Context(), c.ClientIP())
	}
}
