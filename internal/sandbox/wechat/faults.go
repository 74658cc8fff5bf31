package wechat

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"
)

// Faults are the fault-injection knobs (POST /sandbox/wechat/api/faults), the same JSON as
// the Alipay simulator's where the notion is the same. Rates are probabilities in [0,1]
// drawn from one PRNG seeded with Seed, so a sequential run repeats exactly.
type Faults struct {
	Seed            int64           `json:"seed"`
	NotifyDrop      float64         `json:"notify_drop"`
	NotifyDuplicate float64         `json:"notify_duplicate"`
	NotifyDelayMS   int64           `json:"notify_delay_ms"`
	NotifyBadSign   float64         `json:"notify_bad_sign"`
	NotifyReorder   float64         `json:"notify_reorder"`
	NotifyStates    map[string]bool `json:"notify_states,omitempty"` // by event type, e.g. {"REFUND.SUCCESS":false}

	GatewaySystemError        float64  `json:"gateway_system_error"`
	GatewaySystemErrorApplied float64  `json:"gateway_system_error_applied"`
	GatewayReject             float64  `json:"gateway_reject"`
	GatewayRejectCode         string   `json:"gateway_reject_code,omitempty"`   // default FREQUENCY_LIMITED
	GatewayRejectStatus       int      `json:"gateway_reject_status,omitempty"` // default: the code's documented status
	GatewayTimeout            float64  `json:"gateway_timeout"`
	GatewayLatencyMS          int64    `json:"gateway_latency_ms"`
	Methods                   []string `json:"methods,omitempty"` // native, query, close, refund, refund_query
}

// Operation names Faults.Methods accepts.
var operations = []string{opNative, opQuery, opClose, opRefund, opRefundQuery}

const (
	opNative      = "native"
	opQuery       = "query"
	opClose       = "close"
	opRefund      = "refund"
	opRefundQuery = "refund_query"
)

// defaultReject is the rejection when gateway_reject_code is empty: WeChat Pay's rate limit.
const defaultReject = "FREQUENCY_LIMITED"

// rejectStatus is the documented HTTP status of the codes a rejection may carry.
var rejectStatus = map[string]int{
	"FREQUENCY_LIMITED": 429, "RATELIMIT_EXCEEDED": 429, "SYSTEM_ERROR": 500, "BANK_ERROR": 500,
	"PARAM_ERROR": 400, "INVALID_REQUEST": 400, "ORDERPAID": 400, "ORDER_CLOSED": 400, "MCH_NOT_EXISTS": 400,
	"APPID_MCHID_NOT_MATCH": 400, "SIGN_ERROR": 401, "NO_AUTH": 403, "NOT_ENOUGH": 403, "OUT_TRADE_NO_USED": 403,
	"RULE_LIMIT": 403, "TRADE_ERROR": 403, "USER_ACCOUNT_ABNORMAL": 403, "REQUEST_BLOCKED": 403,
	"ORDER_NOT_EXIST": 404, "RESOURCE_NOT_EXISTS": 404, "SERVICE_UNAVAILABLE": 503,
}

var codePattern = regexp.MustCompile(`^[A-Z][A-Z_]{1,39}$`)

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
	if f.NotifyDelayMS < 0 || f.GatewayLatencyMS < 0 || f.NotifyDelayMS > 86_400_000 || f.GatewayLatencyMS > 600_000 {
		return errors.New("notify_delay_ms must be 0..86400000 and gateway_latency_ms 0..600000")
	}
	if f.GatewayRejectCode != "" && !codePattern.MatchString(f.GatewayRejectCode) {
		return errors.New("gateway_reject_code must be an upper-case WeChat Pay code such as NOT_ENOUGH")
	}
	if _, known := rejectStatus[f.GatewayRejectCode]; f.GatewayRejectCode != "" && !known && f.GatewayRejectStatus == 0 {
		return errors.New("gateway_reject_status is required for a code without a documented status")
	}
	if f.GatewayRejectStatus != 0 && (f.GatewayRejectStatus < 400 || f.GatewayRejectStatus > 599) {
		return errors.New("gateway_reject_status must be 400..599")
	}
	for k := range f.NotifyStates {
		if !slices.Contains(events, k) {
			return errors.New("notify_states keys: TRANSACTION.SUCCESS, REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED")
		}
	}
	for _, m := range f.Methods {
		if !slices.Contains(operations, m) {
			return errors.New("methods: native, query, close, refund, refund_query")
		}
	}
	return nil
}

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

// faultState holds the knobs and the seeded PRNG; it has its own lock because deliveries
// roll dice outside Sandbox.mu.
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
	fs.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x77_6563_6861_7400))
}

func (fs *faultState) get() Faults {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.f
}

// roll draws one decision; a zero rate draws nothing, so unrelated knobs do not shift the
// sequence of the ones in use.
func (fs *faultState) roll(k rollKind) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f := &fs.f
	rate := [...]float64{f.NotifyDrop, f.NotifyDuplicate, f.NotifyBadSign, f.NotifyReorder, f.GatewaySystemError,
		f.GatewayTimeout, f.GatewaySystemErrorApplied, f.GatewayReject}[k]
	if rate <= 0 {
		return false
	}
	return fs.rng.Float64() < rate
}

// coin draws a fair bit: which flavour of system error to answer.
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

func (fs *faultState) notifyEnabled(event string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	on, set := fs.f.NotifyStates[event]
	return on || !set
}

// reject is the configured rejection: its HTTP status and code.
func (fs *faultState) reject() (int, string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	code, status := fs.f.GatewayRejectCode, fs.f.GatewayRejectStatus
	if code == "" {
		code = defaultReject
	}
	if status == 0 {
		status = rejectStatus[code]
	}
	return status, code
}

// SetFaults replaces every knob and reseeds the PRNG (Seed 0 picks a random seed, reported
// by GET …/api/faults). Rates out of range are clamped to 0..1.
func (s *Sandbox) SetFaults(f Faults) {
	for _, p := range f.rates() {
		*p = min(max(*p, 0), 1)
	}
	f.NotifyDelayMS, f.GatewayLatencyMS = max(f.NotifyDelayMS, 0), max(f.GatewayLatencyMS, 0)
	s.faults.set(f)
}

// ClearFaults switches every fault off.
func (s *Sandbox) ClearFaults() { s.faults.set(Faults{Seed: 1}) }

type gatewayFault int

const (
	faultNone gatewayFault = iota
	faultReject
	faultSystemError        // not applied; signed 500 SYSTEM_ERROR
	faultBadGateway         // not applied; unsigned 502 from the front end
	faultAppliedSystemError // applied, then signed 500 SYSTEM_ERROR
	faultTimeout            // applied, then no answer
)

// gatewayFault applies latency and decides the fault for one authenticated call.
func (s *Sandbox) gatewayFault(ctx context.Context, op string) gatewayFault {
	f := s.faults.get()
	if len(f.Methods) > 0 && !slices.Contains(f.Methods, op) {
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
	switch {
	case s.faults.roll(rollReject):
		return faultReject
	case s.faults.roll(rollSystemError):
		if s.faults.coin() {
			return faultBadGateway
		}
		return faultSystemError
	case s.faults.roll(rollSystemErrorApplied):
		return faultAppliedSystemError
	case s.faults.roll(rollTimeout):
		return faultTimeout
	}
	return faultNone
}

// hang simulates a timeout after the call took effect: it holds the request until the
// client gives up (or 60 s, or Close) and then drops the connection.
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
