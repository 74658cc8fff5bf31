package sandbox

import (
	"testing"
	"time"

	"github.com/smartwalle/alipay/v3"
)

// TestQRDiesTwoHoursAfterPrecreate: an unscanned QR dies at min(expiry, 2 h after the
// precreate), both counted on the sandbox clock and divided by TimeScale; a scanned trade
// still lives until its own expiry.
func TestQRDiesTwoHoursAfterPrecreate(t *testing.T) {
	b := setup(t, Config{TimeScale: 60}) // 2 h → 2 min, 3 h → 3 min, 15 d → 6 h
	long := pre("L1", "1.00", "s")
	long.TimeoutExpress = "15d"
	if r, err := b.client.TradePreCreate(ctx, long); err != nil || r.IsFailure() {
		t.Fatal(err, r)
	}
	short := pre("L2", "1.00", "s")
	short.TimeoutExpress = "30m" // 30 s at scale 60: earlier than the 2 h cap
	if r, err := b.client.TradePreCreate(ctx, short); err != nil || r.IsFailure() {
		t.Fatal(err, r)
	}
	scanned := pre("L3", "1.00", "s")
	scanned.TimeoutExpress = "15d"
	if r, err := b.client.TradePreCreate(ctx, scanned); err != nil || r.IsFailure() {
		t.Fatal(err, r)
	}
	if _, err := b.sb.Scan(testAppID, "L3"); err != nil {
		t.Fatal(err)
	}
	tr, _ := b.sb.Trade(testAppID, "L1")
	if want := b.clock.Now().Add(2 * time.Minute); tr.QRExpiresAt == nil || !tr.QRExpiresAt.Equal(want) {
		t.Fatalf("qr_expires_at %v, want %v", tr.QRExpiresAt, want)
	}
	b.clock.Advance(30 * time.Second)
	if _, err := b.sb.Scan(testAppID, "L2"); err != ErrQRInvalid {
		t.Fatalf("L2 scanned after its own expiry: %v", err)
	}
	b.clock.Advance(2*time.Minute - 30*time.Second - time.Millisecond)
	if tr, _ := b.sb.Trade(testAppID, "L1"); !tr.QRActive {
		t.Fatal("L1 died before 2 h")
	}
	b.clock.Advance(time.Millisecond)
	if _, err := b.sb.Scan(testAppID, "L1"); err != ErrQRInvalid {
		t.Fatalf("L1 scanned 2 h after precreate: %v", err)
	}
	// the repeat of a dead QR's precreate does not revive it
	if r, _ := b.client.TradePreCreate(ctx, long); r.SubCode != "ACQ.TRADE_HAS_CLOSE" {
		t.Fatalf("precreate of a dead QR: %+v", r)
	}
	q, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "L3"})
	if err != nil || q.TradeStatus != alipay.TradeStatusWaitBuyerPay {
		t.Fatalf("scanned trade closed with the QR cap: %v %+v", err, q)
	}
}

// TestPrecreateTillEchoedByQuery: store_id, terminal_id and operator_id given to
// precreate come back from alipay.trade.query (SDK structs read store_id and terminal_id;
// operator_id is checked in the raw answer).
func TestPrecreateTillEchoedByQuery(t *testing.T) {
	b := setup(t, Config{})
	p := pre("T1", "3.00", "s")
	p.StoreId, p.TerminalId, p.OperatorId = "S001", "POS-7", "op_9"
	if r, err := b.client.TradePreCreate(ctx, p); err != nil || r.IsFailure() {
		t.Fatal(err, r)
	}
	b.sb.Pay(testAppID, "T1", "")
	q, err := b.client.TradeQuery(ctx, alipay.TradeQuery{OutTradeNo: "T1"})
	if err != nil || q.StoreId != "S001" || q.TerminalId != "POS-7" {
		t.Fatalf("query: %v %+v", err, q)
	}
	n := callRaw(t, b.sb, "POST", "", signed(b, map[string]string{"biz_content": `{"out_trade_no":"T1"}`}).Encode())
	if n["operator_id"] != "op_9" || n["store_id"] != "S001" {
		t.Fatalf("raw query: %v", n)
	}
	if tr, _ := b.sb.Trade(testAppID, "T1"); tr.StoreID != "S001" || tr.TerminalID != "POS-7" || tr.OperatorID != "op_9" {
		t.Fatalf("trade: %+v", tr)
	}
	long := pre("T2", "3.00", "s")
	long.StoreId = "S0123456789012345678901234567890123"
	if r, _ := b.client.TradePreCreate(ctx, long); r.SubCode != "ACQ.INVALID_PARAMETER" {
		t.Fatalf("store_id over 32: %+v", r)
	}
	// no till given: the fields stay out of the answer
	precreate(t, b, "T3", "1.00")
	b.sb.Pay(testAppID, "T3", "")
	n = callRaw(t, b.sb, "POST", "", signed(b, map[string]string{"biz_content": `{"out_trade_no":"T3"}`}).Encode())
	if _, ok := n["store_id"]; ok {
		t.Fatalf("empty store_id echoed: %v", n)
	}
}
