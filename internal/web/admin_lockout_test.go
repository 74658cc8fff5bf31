package web

import (
	"context"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestLockoutHoldsUnderConcurrentGuesses: the lockout must bound the number of
// passwords actually tried from one address, also when the guesses arrive at once.
// auth.check tests locked() and only counts the failure after bcrypt has run, so every
// request that arrives while the first bcrypt is still running passes the lockout check.
func TestLockoutHoldsUnderConcurrentGuesses(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("the real password"), 10) // ~50 ms per compare
	if err != nil {
		t.Fatal(err)
	}
	a := newAuth(string(hash), false, payment.SystemClock{})
	const guesses = 40
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := 0; i < guesses; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if ok, _ := a.check(context.Background(), "203.0.113.7", "wrong guess"); ok {
				t.Error("wrong password accepted")
			}
		}()
	}
	close(start)
	wg.Wait()
	// A failure is counted only after bcrypt compared the guess, and an attempt refused
	// as locked is not counted: the count is the number of guesses tried.
	a.mu.Lock()
	tried := a.fails["203.0.113.7"].count
	a.mu.Unlock()
	if tried > MaxLoginFailures {
		t.Fatalf("%d concurrent guesses from one address were tried against the hash; the lockout allows %d",
			tried, MaxLoginFailures)
	}
}
