package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/testutil"
	"github.com/f2fpay/f2fpay/internal/web"
)

// TestQRImageDecodes reads the cashier's PNG back with a QR decoder: the text is the
// order's QR, at error correction M, web.QRSize pixels square.
func TestQRImageDecodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.order(t, "9.90")
	resp, err := http.Get(p.QRImageURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr.png: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if sz := img.Bounds().Size(); sz.X != web.QRSize || sz.Y != web.QRSize {
		t.Fatalf("size %v, want %d px", sz, web.QRSize)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetText() != p.QRCode {
		t.Fatalf("decoded %q, want %q", res.GetText(), p.QRCode)
	}
	if ec := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL]; ec != "M" {
		t.Fatalf("error correction %v, want M", ec)
	}
	if r, _ := http.Get(b.url + "/pay/AAAAAAAAAAAAAAAAAAAAAAAA/qr.png"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown token's QR: %d", r.StatusCode)
	}
}

// TestWaitAnswersWithin200ms: a merchant's ?wait=30 on a pending order returns paid less
// than 0.2 s after the simulator's buyer pays (notification, confirming query, commit and
// wake-up included).
func TestWaitAnswersWithin200ms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.order(t, "9.90")
	type answer struct {
		p  *client.Payment
		at time.Time
		e  error
	}
	done := make(chan answer, 1)
	go func() {
		got, err := b.client.Query(context.Background(), p.OutTradeNo, client.QueryOptions{Wait: 30 * time.Second})
		done <- answer{got, time.Now(), err}
	}()
	waitWaiting(t, b, 1)
	paidAt := time.Now()
	b.pay(t, p.OutTradeNo)
	select {
	case a := <-done:
		if a.e != nil || a.p.Status != "paid" {
			t.Fatalf("wait answered %v %v, want paid", a.p, a.e)
		}
		d := a.at.Sub(paidAt)
		t.Logf("?wait=30 answered %v after the sandbox paid (target < 200ms)", d)
		// The figure is the measurement; the test fails only at a margin that no scheduling
		// noise on a shared 2-CPU CI machine explains (a poll-based wait would show
		// seconds). bench/waitrss checks the same latency for 1,000 waiters.
		if d > time.Second {
			t.Fatalf("answered %v after the payment, want < 200ms", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("?wait=30 did not answer within 5 s of the payment")
	}
}

// waitWaiting waits until n requests wait in the notifier.
func waitWaiting(t *testing.T, b *testBundle, n int) {
	t.Helper()
	if !testutil.Eventually(0, func() bool { return b.notes.Waiting() >= n }) {
		t.Fatalf("%d waiting, want %d", b.notes.Waiting(), n)
	}
}

type event struct {
	State     string `json:"state"`
	ExpiresIn int64  `json:"expires_in"`
}

// readEvents returns the stream's data lines as they come.
func readEvents(t *testing.T, url string) (<-chan event, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("status stream Content-Type %q", ct)
	}
	out := make(chan event, 16)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var e event
				if json.Unmarshal([]byte(data), &e) == nil {
					out <- e
				}
			}
		}
	}()
	return out, cancel
}

func nextEvent(t *testing.T, c <-chan event, within time.Duration) event {
	t.Helper()
	select {
	case e, ok := <-c:
		if !ok {
			t.Fatal("stream ended")
		}
		return e
	case <-time.After(within):
		t.Fatalf("no event within %v", within)
	}
	return event{}
}

func TestStatusStream(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.order(t, "9.90")
	events, stop := readEvents(t, p.CashierURL+"/status")
	defer stop()
	if e := nextEvent(t, events, 2*time.Second); e.State != "pending" || e.ExpiresIn < 800 {
		t.Fatalf("first event %+v, want pending with ~15 min left", e)
	}
	b.pay(t, p.OutTradeNo)
	if e := nextEvent(t, events, 2*time.Second); e.State != "paid" {
		t.Fatalf("after paying: %+v, want paid", e)
	}
	if _, ok := <-events; ok {
		t.Fatal("the stream went on after the final state")
	}
}

// TestStatusExpires: the stream says "expired" when the expiry passes, before the
// reconciler closes the order, and the JSON status says so after it closed it.
func TestStatusExpires(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p := b.expiringOrder(t, 1500*time.Millisecond)
	events, stop := readEvents(t, p.CashierURL+"/status")
	defer stop()
	if e := nextEvent(t, events, 2*time.Second); e.State != "pending" {
		t.Fatalf("first event %+v", e)
	}
	if e := nextEvent(t, events, 3*time.Second); e.State != "expired" {
		t.Fatalf("at expiry: %+v, want expired", e)
	}
	o, err := b.store.GetOrder(context.Background(), p.OutTradeNo)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.svc.ReconcileOrder(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if o, _ := b.store.GetOrder(context.Background(), p.OutTradeNo); o.Status != payment.StatusClosed {
		t.Fatalf("after reconcile: %s, want closed", o.Status)
	}
	resp, err := http.Get(p.CashierURL + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if !strings.Contains(buf.String(), `"state":"expired"`) || !strings.Contains(buf.String(), `"status":"closed"`) {
		t.Fatalf("status JSON %s", buf.String())
	}
}
