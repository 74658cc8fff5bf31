package wechat

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

const maxAttemptLog = 10000

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

// runOnce applies the passage of time (expiry, refund settling) and delivers every due
// notification, waiting for the deliveries. Tests call it with a fake clock.
func (s *Sandbox) runOnce() {
	s.mu.Lock()
	now := s.now()
	s.sweepLocked(now)
	due := s.takeDueLocked(now)
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

func (s *Sandbox) loop() {
	defer s.wg.Done()
	for {
		timer := time.NewTimer(s.nextWait())
		select {
		case <-s.ctx.Done():
			timer.Stop()
			return
		case <-s.wake:
		case <-timer.C:
		}
		timer.Stop()
		s.mu.Lock()
		now := s.now()
		s.sweepLocked(now)
		due := s.takeDueLocked(now)
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

// nextWait is the time until the earliest idle notification or refund settling is due
// (at most 1 s, which also bounds how late an expiry is noticed).
func (s *Sandbox) nextWait() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	wait, now := time.Second, s.now()
	for _, n := range s.pending {
		if !n.done && !n.inflight {
			wait = min(wait, max(n.due.Sub(now), 0))
		}
	}
	for _, r := range s.processing {
		wait = min(wait, max(r.settleAt.Sub(now), 0))
	}
	return wait
}

// deliver makes one attempt (plus a duplicate when that fault fires) and schedules the
// next one on WeChat Pay's retry schedule, compressed by TimeScale.
func (s *Sandbox) deliver(n *notification) {
	s.mu.Lock()
	n.attempts++
	attempt := n.attempts
	s.mu.Unlock()

	ok := s.attempt(n, attempt, false)
	if s.faults.roll(rollDuplicate) {
		s.attempt(n, attempt, true)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	n.inflight = false
	if ok || attempt >= maxAttempts {
		n.done = true
		kept := s.pending[:0]
		for _, p := range s.pending {
			if !p.done {
				kept = append(kept, p)
			}
		}
		clear(s.pending[len(kept):])
		s.pending = kept
		return
	}
	n.due = s.now().Add(s.scaled(retrySchedule[attempt-1]) + s.faults.notifyDelay())
	s.wakeLoop()
}

// attempt sends the notification once, signed afresh, and records it; true when the
// receiver answered 200 or 204 (WeChat Pay's success rule; the body does not matter).
func (s *Sandbox) attempt(n *notification, num int, dup bool) bool {
	rec := NotifyAttempt{ID: n.id, MchID: n.mchID, OutTradeNo: n.outTradeNo, EventType: n.event, Attempt: num,
		At: s.now(), URL: n.url, Duplicate: dup, Resource: n.plain}
	rec.BadSign = s.faults.roll(rollBadSign)
	if s.faults.roll(rollDrop) {
		rec.Dropped = true
	} else {
		rec.StatusCode, rec.Response, rec.Error = s.post(n, rec.BadSign)
		rec.Success = rec.StatusCode == http.StatusOK || rec.StatusCode == http.StatusNoContent
	}
	s.log.Info("wechat sandbox: notification", slog.String("id", n.id), slog.String("out_trade_no", n.outTradeNo),
		slog.String("event_type", n.event), slog.Int("attempt", num), slog.Int("status", rec.StatusCode),
		slog.Bool("success", rec.Success), slog.Bool("dropped", rec.Dropped))
	s.mu.Lock()
	s.attempts = append(s.attempts, rec)
	if len(s.attempts) > maxAttemptLog {
		s.attempts = append([]NotifyAttempt(nil), s.attempts[len(s.attempts)-maxAttemptLog/2:]...)
	}
	s.mu.Unlock()
	return rec.Success
}

func (s *Sandbox) post(n *notification, badSign bool) (int, string, string) {
	u, err := url.Parse(n.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return 0, "", "notify_url is not an absolute http(s) URL"
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(n.body))
	if err != nil {
		return 0, "", err.Error()
	}
	s.signHeaders(req.Header, n.body, badSign)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/4.0")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	return resp.StatusCode, string(body), ""
}
