package payment

import (
	"testing"
	"time"
)

// TestMerchantCacheLoadRacingChange: a load that read the store before a change
// committed must not put the old row back after the change dropped it.
func TestMerchantCacheLoadRacingChange(t *testing.T) {
	c := newMerchantCache(time.Minute)
	now := time.Now()
	_, gen := c.get("app_x", now) // a request misses and starts reading the store…
	c.forget("app_x")             // …a rotation commits meanwhile…
	c.put(&merchantEntry{m: Merchant{AppID: "app_x"}, loaded: now}, gen)
	if e, _ := c.get("app_x", now); e != nil {
		t.Fatal("the row read before the change was cached after it")
	}
	_, gen = c.get("app_x", now)
	c.put(&merchantEntry{m: Merchant{AppID: "app_x"}, loaded: now}, gen)
	if e, _ := c.get("app_x", now); e == nil {
		t.Fatal("a load with no change since was not cached")
	}
	if e, _ := c.get("app_x", now.Add(time.Minute)); e != nil {
		t.Fatal("an entry was served at its TTL")
	}
}
