package alipay

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

// rotationRun drives orders (precreate, payment and its notification, refund and its
// notification) through one channel while the sandbox renews its Alipay certificate.
type rotationRun struct {
	t          *testing.T
	e          *env
	ch         *Channel
	appID      string
	rotatedAt  atomic.Pointer[time.Time] // when the renewal answered; nil before
	mu         sync.Mutex
	notes      [2]int   // notifications verified, by phase: started before / after the renewal
	refused    [2]int   // of those, refused
	paidAfter  []string // orders paid after the renewal: their notification is signed with the new certificate
	rotationSN string
}

// after reports whether t is after the renewal completed.
func (r *rotationRun) after(t time.Time) bool {
	at := r.rotatedAt.Load()
	return at != nil && t.After(*at)
}

func (r *rotationRun) phase() int {
	if r.after(time.Now()) {
		return 1
	}
	return 0
}

func (r *rotationRun) verify(id string, match func(url.Values) bool) {
	form, err := r.e.sink.await(r.appID, id, match)
	if err != nil {
		r.t.Error(err)
		return
	}
	ph := r.phase()
	_, err = r.ch.VerifyNotification(form)
	r.mu.Lock()
	r.notes[ph]++
	if err != nil {
		r.refused[ph]++
		r.t.Errorf("notification for %s refused: %v", id, err)
	}
	r.mu.Unlock()
}

func (r *rotationRun) order(i int) {
	id := fmt.Sprintf("o-rot-%03d", i)
	_, err := r.ch.Precreate(bg, payment.PrecreateRequest{OutTradeNo: id, TotalAmount: 1000, Subject: "rotation " + id,
		ExpiresAt: time.Now().Add(30 * time.Minute), NotifyURL: r.e.sink.url()})
	if err != nil {
		r.t.Errorf("precreate %s: %v", id, err)
		return
	}
	if _, err := r.e.sb.Pay(r.appID, id, "success"); err != nil {
		r.t.Errorf("sandbox pay %s: %v", id, err)
		return
	}
	if r.phase() == 1 {
		r.mu.Lock()
		r.paidAfter = append(r.paidAfter, id)
		r.mu.Unlock()
	}
	r.verify(id, isPayment)
	res, err := r.ch.Refund(bg, payment.RefundRequest{OutTradeNo: id, RefundNo: "r-" + id, Amount: 300})
	if err != nil || !res.Succeeded {
		r.t.Errorf("refund %s: %+v, %v", id, res, err)
		return
	}
	r.verify(id, func(f url.Values) bool { return f.Get("out_biz_no") == "r-"+id })
}

// run has workers take orders one after another; the sandbox renews its certificate once
// rotateAfter orders are done, while the workers go on, and they stop when afterWanted
// orders begun after the renewal are done. It returns how many orders were made.
func (r *rotationRun) run(workers, rotateAfter, afterWanted int64) int {
	const maxOrders = 500 // a stop in case the renewal never completes
	var next, done, afterDone atomic.Int64
	var stop atomic.Bool
	trigger := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		<-trigger
		if !r.rotate() {
			stop.Store(true)
		}
	})
	for range workers {
		wg.Go(func() {
			for !stop.Load() && afterDone.Load() < afterWanted {
				i := next.Add(1) - 1
				if i >= maxOrders {
					return
				}
				begun := time.Now()
				r.order(int(i))
				if r.after(begun) {
					afterDone.Add(1)
				}
				if done.Add(1) == rotateAfter {
					close(trigger)
				}
			}
		})
	}
	wg.Wait()
	return int(min(next.Load(), maxOrders))
}

func (r *rotationRun) rotate() bool {
	sn, err := rotateErr(r.e)
	if err != nil {
		r.t.Error(err)
		return false
	}
	now := time.Now()
	r.rotationSN = sn
	r.rotatedAt.Store(&now)
	return true
}

// TestAlipayCertRotationMidRun renews the sandbox's Alipay certificate while three workers
// run creates, payments and refunds through a certificate-mode channel (behind a proxy
// that counts downloads). Nothing may be refused or left unknown; one download serves
// them all; a second instance on the same cache downloads nothing; an instance that only
// receives a notification signed with the new certificate finds the certificate itself.
func TestAlipayCertRotationMidRun(t *testing.T) {
	e := newEnv(t)
	px := newTamperProxy(t, e)
	cache, evA, evB, evC, rec, logs := &MemoryCertCache{}, &eventCount{}, &eventCount{}, &eventCount{}, &recorder{}, &logBuffer{}
	chA, appID, b := certApp(t, e, func(c *Config) {
		c.GatewayURL, c.CertCache, c.OnCertEvent, c.Recorder = px.gateway(), cache, evA.add, rec.add
		c.Logger = slog.New(slog.NewTextHandler(logs, nil))
	})
	chB := sameApp(t, appID, b, e.gateway, func(c *Config) { c.CertCache, c.OnCertEvent = cache, evB.add })
	chC := sameApp(t, appID, b, e.gateway, func(c *Config) { c.OnCertEvent = evC.add })

	r := &rotationRun{t: t, e: e, ch: chA, appID: appID}
	orders := r.run(3, 4, 6)
	if t.Failed() {
		t.FailNow()
	}
	r.checkPaid(orders)
	calls, unknown := r.phases(rec)
	if calls[1] == 0 || r.notes[1] == 0 || len(r.paidAfter) == 0 {
		t.Fatalf("the renewal came too late to test anything: %v calls, %v notifications after", calls, r.notes)
	}
	if unknown != [2]int{} || r.refused != [2]int{} || evA.get(CertEventRefused) != 0 || evA.get(CertEventDownloadFailed) != 0 {
		t.Fatalf("unknown calls %v, refused notifications %v, events %v", unknown, r.refused, evA.n)
	}
	// One download; the proxy may also see the lookup of the current certificate, made
	// when a notification signed with the new one arrives before any answer does.
	if evA.get(CertEventDownloaded) != 1 || px.downloads.Load() < 1 || px.downloads.Load() > 2 {
		t.Fatalf("%d downloads trusted, %d seen by the proxy; want one (and at most one lookup)", evA.get(CertEventDownloaded), px.downloads.Load())
	}
	if strings.Contains(logs.String(), "level=ERROR") || strings.Contains(logs.String(), "level=WARN") {
		t.Fatalf("the channel complained:\n%s", logs.String())
	}
	if sn, _ := cache.GetAlipayCert(bg, r.rotationSN); sn == nil {
		t.Fatal("the new certificate is not in the shared cache")
	}
	r.otherInstances(chB, chC, evB, evC)
	t.Logf("rotation mid-run: Alipay calls before the renewal %d (unknown %d), after %d (unknown %d); "+
		"notifications before %d (refused %d), after %d (refused %d); certificates refused %d; "+
		"downloads %d (proxy saw %d); instance B: %d from the shared cache, %d downloads; instance C (notification first): %d downloads",
		calls[0], unknown[0], calls[1], unknown[1], r.notes[0], r.refused[0], r.notes[1], r.refused[1],
		evA.get(CertEventRefused), evA.get(CertEventDownloaded), px.downloads.Load(),
		evB.get(CertEventShared), evB.get(CertEventDownloaded), evC.get(CertEventDownloaded))
}

// checkPaid: nothing was closed wrongly. Every order is paid at Alipay and closing it is
// refused.
func (r *rotationRun) checkPaid(orders int) {
	for i := range orders {
		id := fmt.Sprintf("o-rot-%03d", i)
		if tr, err := r.ch.Query(bg, id); err != nil || tr.Status != payment.TradeSuccess {
			r.t.Errorf("query %s after the run: %+v, %v", id, tr, err)
		}
		if err := r.ch.Close(bg, id); subCode(err) != subStatusError {
			r.t.Errorf("close of paid %s: %v", id, err)
		}
	}
}

// phases counts the recorded calls, and the unknown ones, by phase.
func (r *rotationRun) phases(rec *recorder) (calls, unknown [2]int) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, c := range rec.calls {
		ph := 0
		if r.after(c.CreatedAt) {
			ph = 1
		}
		calls[ph]++
		if c.Outcome == outcomeUnknown {
			unknown[ph]++
		}
	}
	return calls, unknown
}

// otherInstances checks two more instances built before the renewal. B shares A's cache:
// its first answer from the new certificate costs no download. C has its own cache and
// made no call since: a notification signed with the new certificate, which its configured
// one cannot verify, makes it find the new one.
func (r *rotationRun) otherInstances(chB, chC *Channel, evB, evC *eventCount) {
	t := r.t
	if _, err := chB.Query(bg, "o-rot-000"); err != nil || evB.get(CertEventShared) != 1 || evB.get(CertEventDownloaded) != 0 {
		t.Fatalf("second instance: %v, events %v", err, evB.n)
	}
	form, err := r.e.sink.await(r.appID, r.paidAfter[0], isPayment)
	if err != nil {
		t.Fatal(err)
	}
	if chC.verifyWithTrusted(context.Background(), form) {
		t.Fatal("the notification verifies with the old certificate; it proves nothing")
	}
	if _, err := chC.VerifyNotification(form); err != nil || evC.get(CertEventDownloaded) != 1 {
		t.Fatalf("notification-first instance: %v, events %v", err, evC.n)
	}
}

// sameApp builds another channel (another gateway instance) for an app in certificate mode.
func sameApp(t *testing.T, appID string, b *sandbox.CertBundle, gateway string, edit func(*Config)) *Channel {
	t.Helper()
	cfg := Config{AppID: appID, PrivateKey: privPKCS1PEM(testKey(t, 0)), AppCertPEM: b.AppCertPEM, AlipayCertPEM: b.AlipayCertPEM,
		RootCertPEM: b.RootCertPEM, GatewayURL: gateway, Timeout: 30 * time.Second}
	edit(&cfg)
	ch, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
