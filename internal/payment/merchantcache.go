package payment

import (
	"sync"
	"time"
)

// DefaultMerchantCacheTTL is how long a merchant and its opened API secrets are served
// from memory before the store is read again (docs/decisions.md, "Merchant secrets in
// memory"). A change made through this Service is seen at once; one made by another
// instance, or by `f2fpay client` in another process, within this time.
const DefaultMerchantCacheTTL = 2 * time.Second

// merchantCache keeps, per app id, what authenticating a request needs: the merchant row
// and its API secrets, opened. Without it every signed request costs a store read and
// an AES-GCM open (two when a rotation's grace runs). Unknown app ids are not kept, so
// that forged ones cannot grow it; the merchants themselves are few.
//
// A change through this Service drops the entry after its commit (forget), and bumps gen,
// so that a read that began before the commit cannot put the old row back: a load stores
// its entry only if gen has not moved since it began.
type merchantCache struct {
	ttl time.Duration // 0: no cache

	mu      sync.RWMutex
	gen     uint64
	entries map[string]*merchantEntry
}

// merchantEntry is one merchant as loaded at loaded. Nothing in it is written after it is
// stored: readers share it.
type merchantEntry struct {
	m         Merchant
	cur, prev []byte     // opened secrets; prev is nil without a rotation grace
	prevUntil *time.Time // when prev stops verifying
	loaded    time.Time
}

func newMerchantCache(ttl time.Duration) *merchantCache {
	return &merchantCache{ttl: ttl, entries: map[string]*merchantEntry{}}
}

// get returns the entry of appID if it was loaded less than ttl before now, and the
// generation to pass to put when it was not.
func (c *merchantCache) get(appID string, now time.Time) (*merchantEntry, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[appID]
	if e != nil && now.Sub(e.loaded) < c.ttl && !now.Before(e.loaded) {
		return e, c.gen
	}
	return nil, c.gen
}

// put stores e unless the cache is off or a change was made since gen was read.
func (c *merchantCache) put(e *merchantEntry, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.entries[e.m.AppID] = e
	}
}

// forget drops appID's entry after a change to it committed.
func (c *merchantCache) forget(appID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.entries, appID)
}

// secrets are the entry's secrets that verify at now: the current one first, then the
// previous one while its grace runs.
func (e *merchantEntry) secrets(now time.Time) [][]byte {
	if e.prev != nil && e.prevUntil != nil && now.Before(*e.prevUntil) {
		return [][]byte{e.cur, e.prev}
	}
	return [][]byte{e.cur}
}
