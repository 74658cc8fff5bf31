package web

import (
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

// Console login policy. Sessions live in this process's memory: a restart logs the
// operator out, and behind several instances the balancer must keep the console sticky.
const (
	MaxLoginFailures = 5                // failures from one address before it is locked out
	LockoutDuration  = 15 * time.Minute // how long a lockout (and a failure count) lasts
	globalFailures   = 50               // failures from all addresses that lock the login for everyone
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
	hash   []byte
	secure bool
	clock  payment.Clock

	mu       sync.Mutex
	sessions map[string]*session
	fails    map[string]*failures // by client IP; "" counts every address
}

func newAuth(hash string, secure bool, clock payment.Clock) *auth {
	return &auth{hash: []byte(hash), secure: secure, clock: clock,
		sessions: map[string]*session{}, fails: map[string]*failures{}}
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

// locked reports whether ip (or every address together) has used up its attempts.
func (a *auth) locked(ip string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lockedLocked(ip, a.clock.Now())
}

// lockedLocked is locked with a.mu held; it forgets attempts older than LockoutDuration.
func (a *auth) lockedLocked(ip string, now time.Time) bool {
	for key, limit := range map[string]int{ip: MaxLoginFailures, "": globalFailures} {
		if f := a.fails[key]; f != nil {
			if now.Sub(f.since) >= LockoutDuration {
				delete(a.fails, key)
			} else if f.count >= limit {
				return true
			}
		}
	}
	return false
}

// check compares password with the hash; ok is false on a wrong password and on any
// attempt while locked out (then bcrypt is not even run). The attempt is counted as a
// failure before bcrypt runs, under the same lock as the lockout test, so guesses sent
// at once cannot all pass the test while earlier ones are still being hashed; a right
// password takes its count back.
func (a *auth) check(ip, password string) (ok, locked bool) {
	a.mu.Lock()
	now := a.clock.Now()
	if a.lockedLocked(ip, now) {
		a.mu.Unlock()
		return false, true
	}
	for _, key := range []string{ip, ""} {
		f := a.fails[key]
		if f == nil {
			f = &failures{since: now}
			a.fails[key] = f
		}
		f.count++
	}
	a.mu.Unlock()
	if bcrypt.CompareHashAndPassword(a.hash, []byte(password)) == nil {
		a.mu.Lock()
		delete(a.fails, ip)
		if g := a.fails[""]; g != nil && g.count > 0 {
			g.count--
		}
		a.mu.Unlock()
		return true, false
	}
	return false, a.locked(ip)
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
