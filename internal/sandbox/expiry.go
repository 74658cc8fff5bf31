package sandbox

import "time"

// retention is how long a finished (paid, closed, dead) record is kept after its last
// change; unpaid scanned trades are kept until they expire and close.
const retention = 72 * time.Hour

func (s *Sandbox) expiryLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.sweepInterval())
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
			s.sweep()
		}
	}
}

// sweepInterval is 1 s, shorter under a large TimeScale so expiry stays punctual.
func (s *Sandbox) sweepInterval() time.Duration {
	return max(10*time.Millisecond, min(time.Second, s.scaled(time.Minute)))
}

// sweep closes expired trades (notifying) and forgets records past the retention period.
func (s *Sandbox) sweep() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepCodesLocked(now)
	s.sweepLedgerLocked(now)
	for key, r := range s.recs {
		s.refreshLocked(r, now)
		if r.t.Status == StatusWaitBuyerPay || (r.t.Status == "" && !r.dead) {
			continue
		}
		if now.Sub(r.updatedAt) < retention {
			continue
		}
		delete(s.recs, key)
		if r.t.QRToken != "" {
			delete(s.byCode, r.t.QRToken)
		}
		if r.t.TradeNo != "" {
			delete(s.byTradeNo, r.t.TradeNo)
		}
	}
}
