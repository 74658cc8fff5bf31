package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Defaults of the budget of failed authentications per source (docs/security.md): a
// request that names a real app id and fails costs the gateway a database read, an AES
// open and an HMAC before it is refused, so a source gets 60 such failures at once and one
// a second after that. Valid requests take nothing from it.
const (
	DefaultAuthFailRate  = 1
	DefaultAuthFailBurst = 60
)

// blocked remembers, for stores that cannot Peek, until when a source's failure budget is
// known to be empty: learned when charging a failure is refused.
type blocked struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (b *blocked) set(key string, t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.until == nil {
		b.until = map[string]time.Time{}
	}
	if len(b.until) >= 10000 { // a flood of sources: forget the ended blocks
		now := time.Now()
		for k, u := range b.until {
			if !u.After(now) {
				delete(b.until, k)
			}
		}
	}
	b.until[key] = t
}

func (b *blocked) check(key string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if wait := time.Until(b.until[key]); wait > 0 {
		return false, wait
	}
	delete(b.until, key)
	return true, 0
}

// AllowAuthAttempt reports, before any authentication work, whether the source of ip
// still has failures left in its budget; when not, how long until it has. It takes
// nothing. A store failure answers true.
func (p *Policy) AllowAuthAttempt(ctx context.Context, ip string) (bool, time.Duration) {
	if p.authFail.Rate < 0 {
		return true, 0
	}
	key := "authfail:" + p.Source(ip)
	if pk, ok := p.store.(Peeker); ok {
		ok, retry, err := pk.Peek(ctx, key)
		if err != nil {
			return true, 0
		}
		return ok, retry
	}
	return p.blocked.check(key)
}

// AuthFailed charges one failed authentication to the source of ip.
func (p *Policy) AuthFailed(ctx context.Context, ip string) {
	if p.authFail.Rate < 0 {
		return
	}
	key := "authfail:" + p.Source(ip)
	if ok, retry := p.take(ctx, key, p.authFail); !ok {
		p.blocked.set(key, time.Now().Add(retry))
	}
}
