package web

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// stepClock is a clock tests move by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// lockoutAuth is an auth over a cheap hash, a hand-moved clock, and a sleep that records
// the delays instead of waiting them.
func lockoutAuth(t *testing.T) (*auth, *stepClock, *[]time.Duration) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte("right"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := newAuth(string(hash), false, clock)
	var delays []time.Duration
	a.sleep = func(_ context.Context, d time.Duration) error { delays = append(delays, d); return nil }
	return a, clock, &delays
}

// TestLockoutPerSource is the lockout scenario of docs/security.md (Console): 50 failed logins from 10 addresses lock
// those addresses, not the login; the right password from an 11th address gets in (after
// the capped delay); a locked address is refused even with the right password until its
// lock ends.
func TestLockoutPerSource(t *testing.T) {
	a, clock, delays := lockoutAuth(t)
	bg := context.Background()
	for i := 0; i < 50; i++ {
		ip := fmt.Sprintf("198.51.100.%d", i%10+1)
		ok, locked := a.check(bg, ip, "guess")
		if ok || locked != (i >= 40) {
			t.Fatalf("attempt %d from %s: ok %v locked %v", i+1, ip, ok, locked)
		}
	}
	if ok, locked := a.check(bg, "198.51.100.3", "right"); ok || !locked {
		t.Fatalf("locked address, right password: ok %v locked %v", ok, locked)
	}
	if ok, _ := a.check(bg, "203.0.113.99", "right"); !ok {
		t.Fatal("the operator from an 11th address was refused")
	}
	last := (*delays)[len(*delays)-1]
	if last <= 0 || last > MaxLoginDelay {
		t.Fatalf("the operator waited %v; want a delay in (0, %v]", last, MaxLoginDelay)
	}
	clock.add(LockoutDuration - time.Second)
	if ok, locked := a.check(bg, "198.51.100.3", "right"); ok || !locked {
		t.Fatalf("one second before the lock ends: ok %v locked %v", ok, locked)
	}
	clock.add(time.Second)
	if ok, _ := a.check(bg, "198.51.100.3", "right"); !ok {
		t.Fatal("the right password after the lock ended was refused")
	}
}

// TestLockoutDelayGrows: failures from many sources delay every login more and more, up to
// MaxLoginDelay, and never lock a source that has not failed itself.
func TestLockoutDelayGrows(t *testing.T) {
	a, _, delays := lockoutAuth(t)
	for i := 0; i < 60; i++ {
		if _, locked := a.check(context.Background(), fmt.Sprintf("10.0.0.%d", i), "guess"); locked {
			t.Fatalf("source %d locked after one failure", i)
		}
	}
	d := *delays
	if len(d) != 60-slowAfter || d[0] != firstDelay || d[len(d)-1] != MaxLoginDelay {
		t.Fatalf("%d delays, first %v, last %v; want %d from %v up to %v", len(d), d[0], d[len(d)-1],
			60-slowAfter, firstDelay, MaxLoginDelay)
	}
	for i := 1; i < len(d); i++ {
		if d[i] < d[i-1] {
			t.Fatalf("delay shrank: %v then %v", d[i-1], d[i])
		}
	}
}

// TestLockoutIPv6Prefix: addresses rotated inside one /64 share one lock; the next /64 is
// another source.
func TestLockoutIPv6Prefix(t *testing.T) {
	a, _, _ := lockoutAuth(t)
	for i := 1; i <= MaxLoginFailures; i++ {
		a.check(context.Background(), fmt.Sprintf("2001:db8:1:2::%x", i), "guess")
	}
	if _, locked := a.check(context.Background(), "2001:db8:1:2:ffff::1", "right"); !locked {
		t.Fatal("a new address inside the locked /64 escaped the lock")
	}
	if ok, _ := a.check(context.Background(), "2001:db8:1:3::1", "right"); !ok {
		t.Fatal("the next /64 was locked too")
	}
}
