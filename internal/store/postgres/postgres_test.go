package postgres_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/store/storetest"
)

// dsn returns F2FPAY_TEST_POSTGRES_URL or skips the test, saying how to enable it.
func dsn(t *testing.T) string {
	t.Helper()
	v := os.Getenv("F2FPAY_TEST_POSTGRES_URL")
	if v == "" {
		t.Skip("PostgreSQL tests skipped: set F2FPAY_TEST_POSTGRES_URL, e.g. " +
			"postgres://postgres@127.0.0.1:5432/test?sslmode=disable (.ci/run does)")
	}
	return v
}

var schemas atomic.Int64

// open returns a store on a fresh schema of its own, dropped when t ends.
func open(t *testing.T) *postgres.Store { return openWith(t, nil) }

// openWith is open calling prepare(url, schema) first, when set, to fill the schema.
func openWith(t *testing.T, prepare func(t *testing.T, url, schema string)) *postgres.Store {
	t.Helper()
	url := dsn(t)
	schema := fmt.Sprintf("f2fpay_test_%d_%d", os.Getpid(), schemas.Add(1))
	ctx := context.Background()
	if prepare != nil {
		t.Cleanup(func() { _ = postgres.DropSchema(ctx, url, schema) })
		prepare(t, url, schema)
	}
	s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: 8})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		s.Close()
		if err := postgres.DropSchema(ctx, url, schema); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	dsn(t)
	storetest.Run(t, func(t *testing.T) payment.Store { return open(t) })
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	s := open(t)
	if s.AppliedAtOpen() == 0 {
		t.Fatal("Open of an empty schema applied no migration")
	}
	for i := range 2 {
		n, err := s.Migrate(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("Migrate #%d = %d, %v; want 0, nil", i+1, n, err)
		}
	}
}

// TestPoolSettings: the database/sql handle draws its connections from the pgx pool, so
// the pool's settings (here MaxConns) bound the store.
func TestPoolSettings(t *testing.T) {
	url := dsn(t)
	ctx := context.Background()
	schema := fmt.Sprintf("f2fpay_test_%d_pool", os.Getpid())
	t.Cleanup(func() { _ = postgres.DropSchema(ctx, url, schema) })
	o := postgres.Options{Schema: schema, MaxConns: 2, MinConns: 1, MaxConnLifetime: time.Hour, MaxConnIdleTime: time.Minute}
	s, err := postgres.Open(ctx, url, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	cfg := s.Pool().Config()
	if cfg.MaxConns != 2 || cfg.MinConns != 1 || cfg.MaxConnLifetime != time.Hour || cfg.MaxConnIdleTime != time.Minute {
		t.Errorf("pool config = %d/%d/%s/%s, want the Options", cfg.MaxConns, cfg.MinConns, cfg.MaxConnLifetime, cfg.MaxConnIdleTime)
	}
	held, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Tx(ctx, func(q payment.Queries) error {
				held <- struct{}{}
				<-release
				return nil
			})
			if err != nil {
				t.Errorf("Tx: %v", err)
			}
		}()
	}
	<-held
	<-held
	if st := s.Pool().Stat(); st.AcquiredConns() != 2 || st.TotalConns() != 2 {
		t.Errorf("two open transactions hold %d of %d pool connections, want 2 of 2", st.AcquiredConns(), st.TotalConns())
	}
	close(release)
	wg.Wait()
	if st := s.Pool().Stat(); st.AcquiredConns() != 0 {
		t.Errorf("after the transactions %d pool connections are still acquired", st.AcquiredConns())
	}
}

// TestConcurrentOpen: instances starting together on one empty schema migrate it once.
func TestConcurrentOpen(t *testing.T) {
	url := dsn(t)
	ctx := context.Background()
	schema := fmt.Sprintf("f2fpay_test_%d_open", os.Getpid())
	t.Cleanup(func() { _ = postgres.DropSchema(ctx, url, schema) })
	var wg sync.WaitGroup
	applied := make(chan int, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(ctx, url, postgres.Options{Schema: schema, MaxConns: 2})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			applied <- s.AppliedAtOpen()
			s.Close()
		}()
	}
	wg.Wait()
	close(applied)
	total := 0
	for n := range applied {
		total += n
	}
	if want := postgres.MigrationCount(); total != want {
		t.Fatalf("4 concurrent Opens applied %d migrations in all, want %d", total, want)
	}
}

// TestEventsVisibleInSeqOrder: with many writers, a reader paging by seq never sees a later
// seq before an earlier one, so it never skips an event.
func TestEventsVisibleInSeqOrder(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	const writers, each = 8, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := &payment.Event{ID: fmt.Sprintf("evt_%d_%d", w, i), Key: fmt.Sprintf("k%d_%d", w, i), Type: "payment.succeeded",
					ClientID: "app-a", CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Data: []byte(`{}`)}
				err := s.Tx(ctx, func(q payment.Queries) error {
					if err := q.InsertEvent(ctx, e); err != nil {
						return err
					}
					time.Sleep(time.Duration(i%3) * time.Millisecond) // commit late sometimes
					return nil
				})
				if err != nil {
					t.Errorf("InsertEvent: %v", err)
				}
			}
		}()
	}
	seen := map[int64]bool{}
	var cursor int64
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		es, err := s.ListEvents(ctx, "", cursor, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			seen[e.Seq] = true
			cursor = e.Seq
		}
	}
	for { // drain what committed after the last poll
		es, err := s.ListEvents(ctx, "", cursor, 200)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			seen[e.Seq] = true
			cursor = e.Seq
		}
	}
	if len(seen) != writers*each {
		t.Fatalf("a reader following the cursor saw %d events of %d: some were skipped", len(seen), writers*each)
	}
}
