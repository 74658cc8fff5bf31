package storetest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// newEvent returns an event of an order with a unique id and key.
func newEvent(client, outTradeNo, typ string, i int) *payment.Event {
	return &payment.Event{
		ID: seqName("evt_"+outTradeNo+"_", i), Type: typ, Key: seqName(typ+":"+outTradeNo+":", i),
		ClientID: client, OutTradeNo: outTradeNo, CreatedAt: at(time.Duration(i) * time.Second),
		Data: json.RawMessage(`{"out_trade_no":"` + outTradeNo + `","status":"paid"}`),
	}
}

func testEvent(t *testing.T, s payment.Store) {
	ctx := context.Background()
	e := newEvent("app-a", "ev-1", payment.EventPaymentSucceeded, 1)
	// The trace of the change that wrote it comes back as written; e2 below has none.
	e.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	must(t, "InsertEvent", s.InsertEvent(ctx, e))
	if e.Seq <= 0 {
		t.Fatalf("Seq = %d, want > 0", e.Seq)
	}
	got, err := s.GetEvent(ctx, e.ID)
	must(t, "GetEvent", err)
	equal(t, "event", got, e)

	dupID := newEvent("app-a", "ev-1", payment.EventPaymentClosed, 2)
	dupID.ID = e.ID
	wantErr(t, "same id", s.InsertEvent(ctx, dupID), payment.ErrDuplicate)
	dupKey := newEvent("app-a", "ev-1", payment.EventPaymentClosed, 3)
	dupKey.Key = e.Key
	wantErr(t, "same key", s.InsertEvent(ctx, dupKey), payment.ErrDuplicate)

	e2 := newEvent("app-a", "ev-1", payment.EventRefundSucceeded, 4)
	must(t, "InsertEvent 2", s.InsertEvent(ctx, e2))
	if e2.Seq <= e.Seq {
		t.Errorf("Seq not increasing: %d then %d", e.Seq, e2.Seq)
	}
	must(t, "InsertEvent other order", s.InsertEvent(ctx, newEvent("app-a", "ev-2", payment.EventPaymentSucceeded, 5)))
	list, err := s.ListOrderEvents(ctx, "ev-1")
	must(t, "ListOrderEvents", err)
	equal(t, "ListOrderEvents", list, []*payment.Event{e, e2})
}

func testListEvents(t *testing.T, s payment.Store) {
	ctx := context.Background()
	var a, all []*payment.Event
	for i := 0; i < 9; i++ {
		client := "app-a"
		if i%3 == 2 {
			client = "app-b"
		}
		e := newEvent(client, seqName("le", i), payment.EventPaymentSucceeded, i)
		must(t, "InsertEvent", s.InsertEvent(ctx, e))
		all = append(all, e)
		if client == "app-a" {
			a = append(a, e)
		}
	}
	get := func(client string, after int64, limit int) []*payment.Event {
		t.Helper()
		es, err := s.ListEvents(ctx, client, after, limit)
		must(t, "ListEvents", err)
		return es
	}
	equal(t, "client a", get("app-a", 0, 100), a)
	equal(t, "client a after 2nd", get("app-a", a[1].Seq, 100), a[2:])
	equal(t, "client a limit", get("app-a", a[1].Seq, 2), a[2:4])
	equal(t, "all clients", get("", 0, 100), all)
	equal(t, "all after last", len(get("", all[len(all)-1].Seq, 100)), 0)
	equal(t, "unknown client", len(get("app-z", 0, 100)), 0)
}
