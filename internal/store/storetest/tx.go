package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/f2fpay/f2fpay/internal/payment"
)

func testTxCommit(t *testing.T, s payment.Store) {
	ctx := context.Background()
	err := s.Tx(ctx, func(q payment.Queries) error {
		mustInsertOrder(t, q, newOrder("app-a", "txc"))
		got, err := q.GetOrder(ctx, "txc") // a transaction sees its own writes
		if err != nil {
			return err
		}
		got.Status = payment.StatusPaid
		if err := q.UpdateOrder(ctx, got); err != nil {
			return err
		}
		return q.InsertEvent(ctx, newEvent("app-a", "txc", payment.EventPaymentSucceeded, 1))
	})
	must(t, "Tx", err)
	if _, err := s.GetOrder(ctx, "txc"); err != nil {
		t.Errorf("order after commit: %v", err)
	}
	es, err := s.ListOrderEvents(ctx, "txc")
	must(t, "ListOrderEvents", err)
	if len(es) != 1 {
		t.Errorf("events after commit = %d, want 1", len(es))
	}
}

func testTxRollback(t *testing.T, s payment.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(q payment.Queries) error {
		mustInsertOrder(t, q, newOrder("app-a", "txr"))
		if err := q.InsertEvent(ctx, newEvent("app-a", "txr", payment.EventPaymentSucceeded, 1)); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("Tx returned %v, want fn's error unchanged", err)
	}
	assertAbsent(t, s, "txr")

	// A store error inside fn comes back as the sentinel, and rolls back too.
	mustInsertOrder(t, s, newOrder("app-a", "txr-taken"))
	err = s.Tx(ctx, func(q payment.Queries) error {
		mustInsertOrder(t, q, newOrder("app-a", "txr2"))
		return q.InsertOrder(ctx, newOrder("app-a", "txr-taken"))
	})
	wantErr(t, "duplicate inside Tx", err, payment.ErrDuplicate)
	assertAbsent(t, s, "txr2")
}

func testTxPanic(t *testing.T, s payment.Store) {
	ctx := context.Background()
	func() {
		defer func() {
			if p := recover(); p != "kaboom" {
				t.Errorf("recovered %v, want the panic of fn", p)
			}
		}()
		_ = s.Tx(ctx, func(q payment.Queries) error {
			mustInsertOrder(t, q, newOrder("app-a", "txp"))
			panic("kaboom")
		})
		t.Error("Tx swallowed the panic")
	}()
	assertAbsent(t, s, "txp")
	// The store still works: the connection was not left inside the transaction.
	must(t, "Tx after panic", s.Tx(ctx, func(q payment.Queries) error {
		return q.InsertOrder(ctx, newOrder("app-a", "txp-after"))
	}))
}

// testTxIsolation: others do not see a transaction's writes before it commits.
func testTxIsolation(t *testing.T, s payment.Store) {
	ctx := context.Background()
	mustInsertOrder(t, s, newOrder("app-a", "txi"))
	err := s.Tx(ctx, func(q payment.Queries) error {
		o, err := q.GetOrder(ctx, "txi")
		if err != nil {
			return err
		}
		o.Status = payment.StatusPaid
		if err := q.UpdateOrder(ctx, o); err != nil {
			return err
		}
		mustInsertOrder(t, q, newOrder("app-a", "txi-new"))
		outside, err := s.GetOrder(ctx, "txi") // a reader is not blocked by the writer
		if err != nil {
			return err
		}
		if outside.Status != payment.StatusPending || outside.Version != 1 {
			t.Errorf("uncommitted update visible outside: %s v%d", outside.Status, outside.Version)
		}
		if _, err := s.GetOrder(ctx, "txi-new"); !errors.Is(err, payment.ErrNotFound) {
			t.Errorf("uncommitted insert visible outside: %v", err)
		}
		return nil
	})
	must(t, "Tx", err)
	got, err := s.GetOrder(ctx, "txi")
	must(t, "GetOrder", err)
	if got.Status != payment.StatusPaid {
		t.Errorf("status after commit = %s", got.Status)
	}
}

// testTxConcurrency: read-modify-write in concurrent transactions loses no update.
func testTxConcurrency(t *testing.T, s payment.Store) {
	ctx := context.Background()
	const workers = 20
	mustInsertOrder(t, s, newOrder("app-a", "txn"))
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				err := s.Tx(ctx, func(q payment.Queries) error {
					o, err := q.GetOrder(ctx, "txn")
					if err != nil {
						return err
					}
					o.RefundedAmount++
					return q.UpdateOrder(ctx, o)
				})
				if !errors.Is(err, payment.ErrStale) {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Tx: %v", err)
		}
	}
	got, err := s.GetOrder(ctx, "txn")
	must(t, "GetOrder", err)
	if got.RefundedAmount != workers || got.Version != workers+1 {
		t.Errorf("RefundedAmount=%d Version=%d, want %d and %d", got.RefundedAmount, got.Version, workers, workers+1)
	}
}

// assertAbsent fails unless the order and its events are gone.
func assertAbsent(t *testing.T, s payment.Store, outTradeNo string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.GetOrder(ctx, outTradeNo); !errors.Is(err, payment.ErrNotFound) {
		t.Errorf("order %s after rollback: %v, want ErrNotFound", outTradeNo, err)
	}
	es, err := s.ListOrderEvents(ctx, outTradeNo)
	must(t, "ListOrderEvents", err)
	if len(es) != 0 {
		t.Errorf("events of %s after rollback = %d, want 0", outTradeNo, len(es))
	}
}
