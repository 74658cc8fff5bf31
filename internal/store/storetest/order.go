package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// fullOrder sets every field of an order, so that a round trip proves each column.
func fullOrder(outTradeNo string) *payment.Order {
	o := newOrder("app-a", outTradeNo)
	o.Body = "body ✓"
	o.Status = payment.StatusPaid
	o.TradeNo = "2024050122001400000000000001"
	o.BuyerLogonID = "bu***@example.com"
	o.BuyerID = "2088000000000001"
	o.QRCode = "https://qr.alipay.com/bax00001"
	o.NotifyURL = "https://merchant.example/hook"
	o.Metadata = map[string]string{"device": "vm-7", "slot": "A3", "空": ""}
	o.RefundedAmount = 100
	o.TimeoutMinutes = 30
	o.StoreID, o.TerminalID, o.OperatorID = "store_01", "till-3", "op7"
	o.Late = true
	o.UpdatedAt = at(time.Minute)
	o.PaidAt = ptr(2 * time.Minute)
	o.ClosedAt = ptr(time.Minute)
	o.Notified = true
	o.NextCheckAt = ptr(5 * time.Minute)
	o.CheckCount = 3
	o.Channel = payment.ChannelWeChat
	return o
}

func testOrderRoundTrip(t *testing.T, s payment.Store) {
	ctx := context.Background()
	o := fullOrder("rt-full")
	mustInsertOrder(t, s, o)
	if o.ID == 0 || o.Version != 1 {
		t.Fatalf("after insert ID=%d Version=%d, want ID>0 and Version=1", o.ID, o.Version)
	}
	got, err := s.GetOrder(ctx, o.OutTradeNo)
	must(t, "GetOrder", err)
	equal(t, "GetOrder", got, o)
	got, err = s.GetOrderByToken(ctx, o.CashierToken)
	must(t, "GetOrderByToken", err)
	equal(t, "GetOrderByToken", got, o)

	// Nil times stay nil, false stays false, no metadata stays empty.
	bare := mustInsertOrder(t, s, newOrder("app-a", "rt-bare"))
	got, err = s.GetOrder(ctx, bare.OutTradeNo)
	must(t, "GetOrder bare", err)
	if len(got.Metadata) != 0 {
		t.Errorf("metadata = %v, want empty", got.Metadata)
	}
	got.Metadata = nil
	equal(t, "GetOrder bare", got, bare)
	if o.ID >= bare.ID {
		t.Errorf("IDs not increasing: %d then %d", o.ID, bare.ID)
	}
}

func testOrderUpdate(t *testing.T, s payment.Store) {
	ctx := context.Background()
	o := mustInsertOrder(t, s, newOrder("app-a", "upd-1"))
	want := fullOrder("upd-1")
	want.ID, want.Version, want.CreatedAt = o.ID, o.Version, o.CreatedAt
	want.Channel = o.Channel // set at creation only (testOrderChannel)
	must(t, "UpdateOrder", s.UpdateOrder(ctx, want))
	if want.Version != 2 {
		t.Errorf("Version after update = %d, want 2", want.Version)
	}
	got, err := s.GetOrder(ctx, "upd-1")
	must(t, "GetOrder", err)
	equal(t, "after update", got, want)

	// Back to nil times and false flags.
	got.PaidAt, got.ClosedAt, got.NextCheckAt, got.Late, got.Notified = nil, nil, nil, false, false
	got.Metadata = map[string]string{"k": "v"}
	must(t, "UpdateOrder 2", s.UpdateOrder(ctx, got))
	again, err := s.GetOrder(ctx, "upd-1")
	must(t, "GetOrder 2", err)
	equal(t, "after second update", again, got)
	if again.Version != 3 {
		t.Errorf("Version = %d, want 3", again.Version)
	}
}

// testOrderChannel: an order without a channel is stored as alipay, a wechat order reads
// back wechat, and an update never changes the channel.
func testOrderChannel(t *testing.T, s payment.Store) {
	ctx := context.Background()
	a := mustInsertOrder(t, s, newOrder("app-a", "ch-default"))
	if a.Channel != payment.ChannelAlipay {
		t.Errorf("insert without a channel set Channel=%q, want alipay", a.Channel)
	}
	got, err := s.GetOrder(ctx, "ch-default")
	must(t, "GetOrder", err)
	if got.Channel != payment.ChannelAlipay {
		t.Errorf("an order without a channel reads back %q, want alipay", got.Channel)
	}
	w := newOrder("app-a", "ch-wechat")
	w.Channel = payment.ChannelWeChat
	mustInsertOrder(t, s, w)
	got, err = s.GetOrder(ctx, "ch-wechat")
	must(t, "GetOrder wechat", err)
	if got.Channel != payment.ChannelWeChat {
		t.Errorf("a wechat order reads back %q", got.Channel)
	}
	got.Channel = payment.ChannelAlipay
	must(t, "UpdateOrder", s.UpdateOrder(ctx, got))
	again, err := s.GetOrder(ctx, "ch-wechat")
	must(t, "GetOrder again", err)
	if again.Channel != payment.ChannelWeChat {
		t.Errorf("an update changed the channel to %q", again.Channel)
	}
}

func testOrderDuplicate(t *testing.T, s payment.Store) {
	ctx := context.Background()
	mustInsertOrder(t, s, newOrder("app-a", "dup-1"))
	o := newOrder("app-b", "dup-1")
	o.CashierToken = "other-token"
	wantErr(t, "same out_trade_no", s.InsertOrder(ctx, o), payment.ErrDuplicate)
	o = newOrder("app-a", "dup-2")
	o.CashierToken = "tok-dup-1"
	wantErr(t, "same cashier token", s.InsertOrder(ctx, o), payment.ErrDuplicate)
	if _, err := s.GetOrder(ctx, "dup-2"); err == nil {
		t.Error("a refused insert left a row")
	}
}

func testOptimisticLock(t *testing.T, s payment.Store) {
	ctx := context.Background()
	mustInsertOrder(t, s, newOrder("app-a", "lock-1"))
	a, err := s.GetOrder(ctx, "lock-1")
	must(t, "GetOrder a", err)
	b, err := s.GetOrder(ctx, "lock-1")
	must(t, "GetOrder b", err)
	a.Status = payment.StatusPaid
	must(t, "UpdateOrder a", s.UpdateOrder(ctx, a))
	b.Status = payment.StatusClosed
	wantErr(t, "UpdateOrder b", s.UpdateOrder(ctx, b), payment.ErrStale)
	if b.Version != 1 {
		t.Errorf("stale update changed b.Version to %d", b.Version)
	}
	got, err := s.GetOrder(ctx, "lock-1")
	must(t, "GetOrder", err)
	if got.Status != payment.StatusPaid || got.Version != 2 {
		t.Errorf("got status %s version %d, want paid 2", got.Status, got.Version)
	}
}

func testNotFound(t *testing.T, s payment.Store) {
	ctx := context.Background()
	_, err := s.GetOrder(ctx, "nope")
	wantErr(t, "GetOrder", err, payment.ErrNotFound)
	_, err = s.GetOrderByToken(ctx, "nope")
	wantErr(t, "GetOrderByToken", err, payment.ErrNotFound)
	_, err = s.GetRefund(ctx, "nope", "r1")
	wantErr(t, "GetRefund", err, payment.ErrNotFound)
	_, err = s.GetEvent(ctx, "evt_nope")
	wantErr(t, "GetEvent", err, payment.ErrNotFound)
	_, err = s.GetMerchant(ctx, "nope")
	wantErr(t, "GetMerchant", err, payment.ErrNotFound)
	wantErr(t, "UpdateMerchant", s.UpdateMerchant(ctx, &payment.Merchant{AppID: "nope"}), payment.ErrNotFound)
	o := newOrder("app-a", "ghost")
	o.ID, o.Version = 12345, 1
	if err := s.UpdateOrder(ctx, o); !errorsIsAny(err, payment.ErrNotFound, payment.ErrStale) {
		t.Errorf("UpdateOrder of a missing order: %v, want ErrNotFound or ErrStale", err)
	}
	wantErr(t, "InsertRefund of a missing order", s.InsertRefund(ctx, newRefund(o, "r1", 1)), payment.ErrNotFound)
	list, err := s.ListRefunds(ctx, "nope")
	must(t, "ListRefunds", err)
	if len(list) != 0 {
		t.Errorf("ListRefunds of a missing order = %d rows", len(list))
	}
}

func testListOrders(t *testing.T, s payment.Store) {
	ctx := context.Background()
	var all []string // newest first
	for i := 1; i <= 12; i++ {
		client := "app-a"
		if i%3 == 0 {
			client = "app-b"
		}
		o := newOrder(client, seqName("lo", i))
		o.CreatedAt = at(time.Duration(i) * time.Hour)
		if i%2 == 0 {
			o.Status, o.TradeNo = payment.StatusPaid, seqName("trade", i)
		}
		mustInsertOrder(t, s, o)
		all = append([]string{o.OutTradeNo}, all...)
	}
	get := func(f payment.OrderFilter) []string {
		t.Helper()
		os, err := s.ListOrders(ctx, f)
		must(t, "ListOrders", err)
		return orderNos(os)
	}
	equal(t, "all", get(payment.OrderFilter{Limit: 100}), all)
	equal(t, "limit", get(payment.OrderFilter{Limit: 3}), all[:3])
	equal(t, "client b", get(payment.OrderFilter{ClientID: "app-b", Limit: 100}),
		[]string{"lo012", "lo009", "lo006", "lo003"})
	equal(t, "paid of a", get(payment.OrderFilter{ClientID: "app-a", Status: payment.StatusPaid, Limit: 100}),
		[]string{"lo010", "lo008", "lo004", "lo002"})
	equal(t, "search out_trade_no", get(payment.OrderFilter{Search: "lo005", Limit: 100}), []string{"lo005"})
	equal(t, "search trade_no", get(payment.OrderFilter{Search: "trade008", Limit: 100}), []string{"lo008"})
	equal(t, "search is exact", get(payment.OrderFilter{Search: "lo00", Limit: 100}), []string{})
	equal(t, "search with a client", get(payment.OrderFilter{ClientID: "app-b", Search: "trade008", Limit: 100}), []string{})
	equal(t, "search with a status", get(payment.OrderFilter{Status: payment.StatusPaid, Search: "lo005", Limit: 100}), []string{})
	equal(t, "search with a cursor", get(payment.OrderFilter{Before: 1, Search: "lo005", Limit: 100}), []string{})
	equal(t, "from/to", get(payment.OrderFilter{From: at(4 * time.Hour), To: at(7 * time.Hour), Limit: 100}),
		[]string{"lo006", "lo005", "lo004"})

	// Paging with the id cursor visits every order once, newest first.
	var paged []string
	f := payment.OrderFilter{Limit: 5}
	for {
		os, err := s.ListOrders(ctx, f)
		must(t, "ListOrders page", err)
		if len(os) == 0 {
			break
		}
		paged = append(paged, orderNos(os)...)
		f.Before = os[len(os)-1].ID
	}
	equal(t, "paged", paged, all)

	// One number that is one order's out_trade_no and other orders' trade_no: each order
	// once, newest first; an order whose two numbers are equal, once.
	for i, no := range []string{"srch1", "srch2", "srch3"} {
		o := newOrder("app-a", no)
		o.CreatedAt = at(time.Duration(20+i) * time.Hour)
		o.Status, o.TradeNo = payment.StatusPaid, "srch1"
		mustInsertOrder(t, s, o)
	}
	equal(t, "search both numbers", get(payment.OrderFilter{Search: "srch1", Limit: 100}), []string{"srch3", "srch2", "srch1"})
	equal(t, "search both numbers, limited", get(payment.OrderFilter{Search: "srch1", Limit: 2}), []string{"srch3", "srch2"})
	equal(t, "search both numbers, from", get(payment.OrderFilter{Search: "srch1", From: at(21 * time.Hour), Limit: 100}), []string{"srch3", "srch2"})
}

func testDueOrders(t *testing.T, s payment.Store) {
	ctx := context.Background()
	for i, due := range []*time.Time{ptr(3 * time.Minute), nil, ptr(time.Minute), ptr(time.Hour), ptr(2 * time.Minute), ptr(10 * time.Minute)} {
		o := newOrder("app-a", seqName("due", i))
		o.NextCheckAt = due
		mustInsertOrder(t, s, o)
	}
	get := func(now time.Time, limit int) []string {
		t.Helper()
		os, err := s.DueOrders(ctx, now, limit)
		must(t, "DueOrders", err)
		return orderNos(os)
	}
	equal(t, "due at +10m", get(at(10*time.Minute), 10), []string{"due002", "due004", "due000", "due005"})
	equal(t, "limit 2", get(at(10*time.Minute), 2), []string{"due002", "due004"})
	equal(t, "none due", get(at(0), 10), []string{})
}

// errorsIsAny reports whether err is one of targets.
func errorsIsAny(err error, targets ...error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}
