package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// Console login policy (docs/security.md). Failures lock the source they come from (an
// IPv4 address, an IPv6 /64): a lock for everyone would hand any outsider a way to keep
// the operator out. Failures from all sources together only slow every login down, by a
// delay that grows with them up to MaxLoginDelay, so that the operator with the right
// password still gets in during an attack from many addresses. Sessions live in this
// process's memory: a restart logs the operator out, and behind several instances the
// balancer must keep the console sticky.
const (
	MaxLoginFailures = 5                // failures from one source before it is locked
	LockoutDuration  = 15 * time.Minute // how long a source's lock (and any failure count) lasts
	MaxLoginDelay    = 2 * time.Second  // the longest wait a login is held for, however many failures
	slowAfter        = 10               // failures from all sources before logins are delayed
	firstDelay       = 100 * time.Millisecond
	maxTracked       = 10000 // sources with failures kept before expired ones are swept
	SessionLifetime  = 8 * time.Hour
	sessionCookie    = "f2fpay_admin"
	loginCookie      = "f2fpay_login" // double-submit CSRF token of the login form
)

type session struct {
	csrf    string
	expires time.Time
}

type failures struct {
	count int
	since time.Time
}

// auth holds the console's password hash, sessions and failed-login counters.
type auth struct {
	hash     []byte
	secure   bool
	clock    payment.Clock
	v6Prefix int
	sleep    func(context.Context, time.Duration) error

	mu       sync.Mutex
	sessions map[string]*session
	fails    map[string]*failures // by source (payment.SourceKey)
	all      failures             // every source together: drives the delay
}

func newAuth(hash string, secure bool, clock payment.Clock) *auth {
	return &auth{hash: []byte(hash), secure: secure, clock: clock, sleep: sleepContext,
		sessions: map[string]*session{}, fails: map[string]*failures{}}
}

// sleepContext waits d, or less when ctx ends first (the client went away).
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (a *auth) enabled() bool { return len(a.hash) > 0 }

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// source names the lockout bucket of a client IP.
func (a *auth) source(ip string) string { return payment.SourceKey(ip, a.v6Prefix) }

// lockedLocked reports, with a.mu held, whether the source has used up its attempts; it
// forgets counts older than LockoutDuration.
func (a *auth) lockedLocked(src string, now time.Time) bool {
	f := a.fails[src]
	if f == nil {
		return false
	}
	if now.Sub(f.since) >= LockoutDuration {
		delete(a.fails, src)
		return false
	}
	return f.count >= MaxLoginFailures
}

// delayLocked is the wait before a login is tried, with a.mu held: none for the first
// slowAfter failures of the window, then firstDelay doubling every five failures, at most
// MaxLoginDelay.
func (a *auth) delayLocked(now time.Time) time.Duration {
	if now.Sub(a.all.since) >= LockoutDuration {
		a.all = failures{}
	}
	n := a.all.count - slowAfter + 1
	if n <= 0 {
		return 0
	}
	d := firstDelay
	for i := 0; i < (n-1)/5 && d < MaxLoginDelay; i++ {
		d *= 2
	}
	return min(d, MaxLoginDelay)
}

// check compares password with the hash. A locked source is refused at once (bcrypt is not
// run); any other attempt first waits the current delay. The attempt is counted as a
// failure before bcrypt runs, under the same lock as the lockout test, so guesses sent at
// once cannot all pass the test while earlier ones are still being hashed; a right
// password takes its count back. ok is false on a wrong password, on a lock, and when ctx
// ends during the delay.
func (a *auth) check(ctx context.Context, ip, password string) (ok, locked bool) {
	src := a.source(ip)
	a.mu.Lock()
	if a.lockedLocked(src, a.clock.Now()) {
		a.mu.Unlock()
		return false, true
	}
	delay := a.delayLocked(a.clock.Now())
	a.mu.Unlock()
	if delay > 0 && a.sleep(ctx, delay) != nil {
		return false, false
	}
	if !a.count(src) {
		return false, true
	}
	if bcrypt.CompareHashAndPassword(a.hash, []byte(password)) == nil {
		a.mu.Lock()
		delete(a.fails, src)
		a.all.count = max(a.all.count-1, 0)
		a.mu.Unlock()
		return true, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return false, a.lockedLocked(src, a.clock.Now())
}

// count records an attempt of src as a failure (taken back on success); false when src
// got locked meanwhile by its own attempts sent at the same time.
func (a *auth) count(src string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	if a.lockedLocked(src, now) {
		return false
	}
	if len(a.fails) >= maxTracked {
		for k, f := range a.fails {
			if now.Sub(f.since) >= LockoutDuration {
				delete(a.fails, k)
			}
		}
	}
	f := a.fails[src]
	if f == nil {
		f = &failures{since: now}
		a.fails[src] = f
	}
	f.count++
	if a.all.count == 0 {
		a.all.since = now
	}
	a.all.count++
	return true
}

// newSession starts a session and returns its cookie value.
func (a *auth) newSession() (string, *session) {
	id := randomString()
	s := &session{csrf: randomString(), expires: a.clock.Now().Add(SessionLifetime)}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	for k, old := range a.sessions { // forget ended sessions as new ones start
		if now.After(old.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[id] = s
	return id, s
}

func (a *auth) session(id string) *session {
	if id == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[id]
	if s != nil && a.clock.Now().After(s.expires) {
		delete(a.sessions, id)
		return nil
	}
	return s
}

func (a *auth) endSession(id string) {
	a.mu.Lock()
	delete(a.sessions, id)
	a.mu.Unlock()
}

// setCookie writes an HttpOnly, SameSite=Strict cookie for /admin; Secure under TLS or
// when configured (behind a TLS proxy). maxAge < 0 deletes it.
func (a *auth) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/admin", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: a.secure || c.Request.TLS != nil})
}

// sameOrigin refuses a POST whose Origin header names another site (a second line of
// defence behind the CSRF token and SameSite=Strict).
func sameOrigin(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == c.Request.Host
}

const ctxSession = "f2fpay.web.session"

// requireSession lets a logged-in operator through; others are sent to the login page
// (GET) or refused (anything else). Every POST must carry the session's CSRF token.
func (h *Handler) requireSession(c *gin.Context) {
	id, _ := c.Cookie(sessionCookie)
	s := h.admin.session(id)
	if s == nil {
		if c.Request.Method == http.MethodGet {
			c.Redirect(http.StatusSeeOther, "/admin/login")
		} else {
			h.adminError(c, http.StatusUnauthorized, "Your session has ended; log in again.")
		}
		c.Abort()
		return
	}
	if c.Request.Method == http.MethodPost && (!sameOrigin(c) || !equal(c.PostForm("csrf"), s.csrf)) {
		h.adminError(c, http.StatusForbidden, "Refused: the form's CSRF token is missing or wrong. Reload the page and try again.")
		c.Abort()
		return
	}
	c.Set(ctxSession, s)
	c.Next()
}

func csrfOf(c *gin.Context) string {
	s, _ := c.Get(ctxSession)
	if ss, ok := s.(*session); ok {
		return ss.csrf
	}
	return ""
}
