package sandbox

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

const maxAttemptLog = 10000

// maxInFlight bounds the notifications being delivered at once. A thousand trades paid in
// the same second are sent 64 at a time, as a gateway spreads its callbacks, rather than
// as a thousand connections opened to the merchant's server together (each with its
// goroutines and buffers on both sides, which the demo's one process holds twice).
const maxInFlight = 64

// takeDueLocked marks every due, idle notification in flight and returns them.
func (s *Sandbox) takeDueLocked(now time.Time) []*notification {
	var due []*notification
	for _, n := range s.pending {
		if !n.done && !n.inflight && !now.Before(n.due) {
			n.inflight = true
			due = append(due, n)
		}
	}
	return due
}

// runNotifyOnce delivers every due notification and waits for the deliveries. Tests
// call it directly with a fake clock; the background loop uses startDue instead.
func (s *Sandbox) runNotifyOnce() {
	s.mu.Lock()
	due := s.takeDueLocked(s.now())
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range due {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.deliver(n)
		}()
	}
	wg.Wait()
}

func (s *Sandbox) notifyLoop() {
	defer s.wg.Done()
	for {
		timer := time.NewTimer(s.nextNotifyWait())
		select {
		case <-s.ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
		s.mu.Lock()
		due := s.takeDueLocked(s.now())
		s.mu.Unlock()
		for _, n := range due {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.deliver(n)
			}()
		}
	}
}

// nextNotifyWait is the time until the earliest idle notification is due (max 1 s).
func (s *Sandbox) nextNotifyWait() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	wait := time.Second
	now := s.now()
	for _, n := range s.pending {
		if !n.done && !n.inflight {
			wait = min(wait, max(n.due.Sub(now), 0))
		}
	}
	return wait
}

// deliver makes one attempt (plus a duplicate when that fault fires) and schedules the
// next one per Alipay's retry schedule, compressed by TimeScale.
func (s *Sandbox) deliver(n *notification) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-s.ctx.Done():
		s.mu.Lock()
		n.inflight = false
		s.mu.Unlock()
		return
	}
	params := s.signNotification(n)
	s.mu.Lock()
	n.attempts++
	attempt := n.attempts
	s.mu.Unlock()

	ok := s.attempt(n, attempt, params, false)
	if s.faults.roll(rollDuplicate) {
		s.attempt(n, attempt, params, true)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	n.inflight = false
	now := s.now()
	if ok || attempt >= maxAttempts {
		n.done = true
		s.dropDoneLocked()
		return
	}
	n.due = now.Add(s.scaled(retrySchedule[attempt-1]) + s.faults.notifyDelay())
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Sandbox) dropDoneLocked() {
	kept := s.pending[:0]
	for _, p := range s.pending {
		if !p.done {
			kept = append(kept, p)
		}
	}
	clear(s.pending[len(kept):])
	s.pending = kept
}

// attempt sends the form once and records the attempt; true when acknowledged.
func (s *Sandbox) attempt(n *notification, num int, params map[string]string, dup bool) bool {
	rec := NotifyAttempt{NotifyID: n.id, AppID: n.appID, OutTradeNo: n.outTradeNo, TradeStatus: n.status,
		Kind: n.kind, Attempt: num, At: s.now(), URL: n.url, Duplicate: dup, Params: map[string]string{}}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
		if k != "sign" {
			rec.Params[k] = v
		}
	}
	if s.faults.roll(rollBadSign) {
		rec.BadSign = true
		form.Set("sign", corruptSign(params["sign"]))
	}
	if s.faults.roll(rollDrop) {
		rec.Dropped = true
	} else {
		rec.StatusCode, rec.Response, rec.Error = s.post(n.url, form)
		rec.Success = rec.StatusCode == http.StatusOK && rec.Response == "success"
	}
	s.log.Info("sandbox: notification", slog.String("notify_id", n.id), slog.String("out_trade_no", n.outTradeNo),
		slog.String("trade_status", n.status), slog.Int("attempt", num), slog.Int("status", rec.StatusCode),
		slog.Bool("success", rec.Success), slog.Bool("dropped", rec.Dropped))
	s.mu.Lock()
	s.attempts = append(s.attempts, rec)
	if len(s.attempts) > maxAttemptLog {
		s.attempts = append([]NotifyAttempt(nil), s.attempts[len(s.attempts)-maxAttemptLog/2:]...)
	}
	s.mu.Unlock()
	return rec.Success
}

func (s *Sandbox) post(target string, form url.Values) (int, string, string) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return 0, "", "notify_url is not an absolute http(s) URL"
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return 0, "", err.Error()
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return resp.StatusCode, string(body), ""
}
