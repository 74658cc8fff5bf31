package testutil

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestEventually(t *testing.T) {
	var n atomic.Int32
	if !Eventually(5*time.Second, func() bool { return n.Add(1) >= 5 }) {
		t.Fatal("a condition that turns true after 5 polls was not seen")
	}
	if Eventually(30*time.Millisecond, func() bool { return false }) {
		t.Fatal("a condition that never holds was reported true")
	}
}

func TestUntil(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var n atomic.Int32
	if !Until(ctx, func() bool { return n.Add(1) >= 3 }) {
		t.Fatal("a condition that turns true after 3 polls was not seen")
	}
	cancel()
	if Until(ctx, func() bool { return false }) {
		t.Fatal("a condition that never holds was reported true after the context ended")
	}
	if !Until(ctx, func() bool { return true }) {
		t.Fatal("a condition that holds was not tried once after the context ended")
	}
}
