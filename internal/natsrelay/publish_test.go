package natsrelay

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// TestReconciliationPublished: a completed reconciliation's event goes out like every
// event of the outbox, on f2fpay.events.reconciliation.completed with the run in its data.
func TestReconciliationPublished(t *testing.T) {
	url := natsURL(t)
	ctx := context.Background()
	since := time.Now().Add(-time.Second)
	st := openStore(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := st.InsertMerchant(ctx, &payment.Merchant{AppID: "app_nats_recon", Name: "n", SecretSealed: "-", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	svc := payment.NewService(st, nil, nil, nil, payment.Config{}, nil)
	// One trade of another system sharing the app: a day with something to report (a quiet
	// day sends no event).
	day := payment.BillDayOf(now).AddDays(-1)
	bill := &payment.Bill{Rows: []payment.BillRow{{Line: 5, Kind: payment.BillTrade, TradeNo: "2026000000000000000000000001",
		OutTradeNo: "elsewhere_1", Amount: 100, Received: 100, FinishedAt: day.Start().Add(time.Hour)}}}
	run, err := svc.ReconcileDay(ctx, payment.ReconcileInput{Day: day, Bill: bill, Trigger: payment.TriggerCLI})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListEvents(ctx, "app_nats_recon", 0, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %+v, %v", evs, err)
	}
	r, err := New(st, Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.runOnce(ctx); n != 1 || err != nil {
		t.Fatalf("runOnce = %d, %v", n, err)
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	c, err := js.OrderedConsumer(ctx, r.cfg.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{SubjectPrefix + payment.EventReconciliationCompleted},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy, OptStartTime: &since})
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
		if errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) {
			t.Fatalf("event %s not on %s", evs[0].ID, SubjectPrefix+payment.EventReconciliationCompleted)
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.Headers().Get(jetstream.MsgIDHeader) != evs[0].ID {
			continue
		}
		var ev struct {
			Type string                       `json:"type"`
			Data payment.ReconciliationObject `json:"data"`
		}
		if err := json.Unmarshal(m.Data(), &ev); err != nil || ev.Type != payment.EventReconciliationCompleted || ev.Data.RunID != run.ID {
			t.Fatalf("message %s: %v", m.Data(), err)
		}
		return
	}
}
