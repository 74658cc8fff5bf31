package sandbox

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Faults are the fault-injection knobs (POST /sandbox/api/faults). Rates are
// probabilities in [0,1], drawn from one PRNG seeded with Seed, so a sequential run
// repeats exactly. See the package documentation for each knob.
type Faults struct {
	Seed               int64           `json:"seed"`
	NotifyDrop         float64         `json:"notify_drop"`
	NotifyDuplicate    float64         `json:"notify_duplicate"`
	NotifyDelayMS      int64           `json:"notify_delay_ms"`
	NotifyBadSign      float64         `json:"notify_bad_sign"`
	NotifyReorder      float64         `json:"notify_reorder"`
	NotifyStates       map[string]bool `json:"notify_states,omitempty"`
	GatewaySystemError float64         `json:"gateway_system_error"`
	GatewayTimeout     float64         `json:"gateway_timeout"`
	GatewayLatencyMS   int64           `json:"gateway_latency_ms"`
	Methods            []string        `json:"methods,omitempty"`

	GatewaySystemErrorApplied float64 `json:"gateway_system_error_applied"`
	GatewayReject             float64 `json:"gateway_reject"`
	GatewayRejectCode         string  `json:"gateway_reject_code,omitempty"`     // default 40005
	GatewayRejectSubCode      string  `json:"gateway_reject_sub_code,omitempty"` // default isv.app-call-limited
}

// rates lists every probability knob, for validation and clamping.
func (f *Faults) rates() []*float64 {
	return []*float64{&f.NotifyDrop, &f.NotifyDuplicate, &f.NotifyBadSign, &f.NotifyReorder, &f.GatewaySystemError,
		&f.GatewayTimeout, &f.GatewaySystemErrorApplied, &f.GatewayReject}
}

// Validate reports the first knob out of range.
func (f Faults) Validate() error {
	for _, r := range f.rates() {
		if *r < 0 || *r > 1 || *r != *r {
			return errors.New("rates must be within 0..1")
		}
	}
	if err := validateReject(f.GatewayRejectCode, f.GatewayRejectSubCode); err != nil {
		return err
	}
	if f.NotifyDelayMS < 0 || f.GatewayLatencyMS < 0 || f.NotifyDelayMS > 86_400_000 || f.GatewayLatencyMS > 600_000 {
		return errors.New("notify_delay_ms must be 0..86400000 and gateway_latency_ms 0..600000")
	}
	for k := range f.NotifyStates {
		switch k {
		case kindWaitPay, kindPaid, kindRefund, kindClosed, kindFinished:
		default:
			return errors.New("notify_states keys: WAIT_BUYER_PAY, TRADE_SUCCESS, REFUND, TRADE_CLOSED, TRADE_FINISHED")
		}
	}
	return nil
}

// defaultNotify are the per-kind switches when Faults.NotifyStates does not name a kind.
func defaultNotify(kind string) bool { return kind != kindWaitPay }

type rollKind int

const (
	rollDrop rollKind = iota
	rollDuplicate
	rollBadSign
	rollReorder
	rollSystemError
	rollTimeout
	rollSystemErrorApplied
	rollReject
)

// faultState holds the knobs and the seeded PRNG; it has its own lock because
// deliveries roll dice outside Sandbox.mu.
type faultState struct {
	mu  sync.Mutex
	f   Faults
	rng *rand.Rand
}

func newFaultState() *faultState {
	fs := &faultState{}
	fs.set(Faults{Seed: 1})
	return fs
}

func (fs *faultState) set(f Faults) {
	if f.Seed == 0 {
		var b [8]byte
		_, _ = crand.Read(b[:])
		f.Seed = int64(binary.LittleEndian.Uint64(b[:]) >> 1)
	}
	f.Methods = slices.Clone(f.Methods)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.f = f
	fs.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x5a4e_f2f0_7061_7900))
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

// roll draws one decision; a zero rate draws nothing, so unrelated knobs do not shift
// the sequence of the ones in use.
func (fs *faultState) roll(k rollKind) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	rate := [...]float64{fs.f.NotifyDrop, fs.f.NotifyDuplicate, fs.f.NotifyBadSign, fs.f.NotifyReorder,
		fs.f.GatewaySystemError, fs.f.GatewayTimeout, fs.f.GatewaySystemErrorApplied, fs.f.GatewayReject}[k]
	if rate <= 0 {
		return false
	}
	return fs.rng.Float64() < rate
}

// coin draws a fair bit (which flavour of system error to answer).
func (fs *faultState) coin() bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.rng.IntN(2) == 1
}

func (fs *faultState) notifyDelay() time.Duration {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return time.Duration(fs.f.NotifyDelayMS) * time.Millisecond
}

func (fs *faultState) notifyEnabled(kind string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if on, ok := fs.f.NotifyStates[kind]; ok {
		return on
	}
	return defaultNotify(kind)
}

// SetFaults replaces every fault knob and reseeds the PRNG (Seed 0 picks a random seed,
// reported by GET /sandbox/api/faults). Out-of-range rates are clamped to 0..1.
func (s *Sandbox) SetFaults(f Faults) {
	for _, p := range f.rates() {
		*p = min(max(*p, 0), 1)
	}
	f.NotifyDelayMS, f.GatewayLatencyMS = max(f.NotifyDelayMS, 0), max(f.GatewayLatencyMS, 0)
	s.faults.set(f)
}

// ClearFaults switches every fault off (notification kinds back to their defaults).
func (s *Sandbox) ClearFaults() { s.faults.set(Faults{Seed: 1}) }

type gatewayFault int

const (
	faultNone gatewayFault = iota
	faultSystemError
	faultBizSystemError
	faultTimeout
	faultReject                // nothing carried out; answered with the configured error
	faultAppliedSystemError    // carried out, then answered 20000
	faultAppliedBizSystemError // carried out, then answered 40004 ACQ.SYSTEM_ERROR
)

// gatewayFault applies latency and decides the fault for one authenticated call.
func (s *Sandbox) gatewayFault(ctx context.Context, method string) gatewayFault {
	f := s.faults.get()
	if len(f.Methods) > 0 && !slices.Contains(f.Methods, method) {
		return faultNone
	}
	if f.GatewayLatencyMS > 0 {
		t := time.NewTimer(time.Duration(f.GatewayLatencyMS) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
		case <-s.ctx.Done():
		}
		t.Stop()
	}
	// A knob at 0 draws nothing, so the order below keeps older seeded runs repeatable.
	if s.faults.roll(rollReject) {
		return faultReject
	}
	if s.faults.roll(rollSystemError) {
		if s.faults.coin() {
			return faultBizSystemError
		}
		return faultSystemError
	}
	if s.faults.roll(rollSystemErrorApplied) {
		if s.faults.coin() {
			return faultAppliedBizSystemError
		}
		return faultAppliedSystemError
	}
	if s.faults.roll(rollTimeout) {
		return faultTimeout
	}
	return faultNone
}

// hang simulates a gateway timeout after the call took effect: it holds the request
// until the client gives up (or 60 s, or Close) and then drops the connection.
func (s *Sandbox) hang(w http.ResponseWriter, r *http.Request) {
	t := time.NewTimer(60 * time.Second)
	select {
	case <-t.C:
	case <-r.Context().Done():
	case <-s.ctx.Done():
	}
	t.Stop()
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
