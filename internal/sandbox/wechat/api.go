package wechat

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

const maxAPIBody = 64 << 10

// decodeBody reads a small JSON control-API body into v; strict refuses unknown fields (for
// the fault knobs, where a misspelt knob silently ignored would fool a test).
func decodeBody(w http.ResponseWriter, r *http.Request, v any, strict bool) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeJSONError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// errorStatus maps the control API's sentinel errors to HTTP statuses.
func errorStatus(err error) int {
	switch {
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ErrExpired):
		return http.StatusGone
	case errors.Is(err, ErrInvalid):
		return http.StatusBadRequest
	}
	return http.StatusConflict
}

func (s *Sandbox) handlePublicKey(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Header().Set("Wechatpay-Serial", s.keyID)
	_, _ = io.WriteString(w, s.pubPEM)
}

func (s *Sandbox) handleMerchants(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MchID     string `json:"mchid"`
		SerialNo  string `json:"serial_no"`
		PublicKey string `json:"public_key"`
		APIv3Key  string `json:"api_v3_key"`
	}
	if !decodeBody(w, r, &in, false) {
		return
	}
	if err := s.RegisterMerchant(in.MchID, in.SerialNo, in.PublicKey, in.APIv3Key); err != nil {
		writeJSONError(w, errorStatus(err), err.Error())
		return
	}
	s.mu.Lock()
	serial := s.merchants[in.MchID].SerialNo
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]string{"mchid": in.MchID, "serial_no": serial,
		"platform_public_key": s.pubPEM, "platform_public_key_id": s.keyID})
}

// buyerRequest selects an order by code_url (or its pr) or by mchid + out_trade_no.
type buyerRequest struct {
	CodeURL    string `json:"code_url"`
	PR         string `json:"pr"`
	MchID      string `json:"mchid"`
	OutTradeNo string `json:"out_trade_no"`
	Outcome    string `json:"outcome"` // success (default), cancel, insufficient_balance
	OpenID     string `json:"openid"`
}

func (s *Sandbox) selectLocked(in buyerRequest) *Trade {
	switch {
	case in.CodeURL != "":
		return s.byPR[strings.TrimPrefix(in.CodeURL, codeURLPrefix)]
	case in.PR != "":
		return s.byPR[in.PR]
	}
	return s.trades[tradeKey(in.MchID, in.OutTradeNo)]
}

// buyLocked carries out a buyer's outcome on t. Only success changes the order: a buyer who
// cancels, or whose balance is short, leaves it NOTPAY, as in WeChat.
func (s *Sandbox) buyLocked(t *Trade, outcome, openID string) error {
	if t == nil {
		return ErrNotFound
	}
	now := s.now()
	switch outcome {
	case "", "success":
		return s.payLocked(t, openID, now)
	case "cancel", "insufficient_balance":
		s.expireLocked(t, now)
		if t.State != stateNotPay {
			return ErrConflict
		}
		return nil
	}
	return errors.Join(ErrInvalid, errors.New("outcome must be success, cancel or insufficient_balance"))
}

func (s *Sandbox) handleAPIPay(w http.ResponseWriter, r *http.Request) {
	var in buyerRequest
	if !decodeBody(w, r, &in, false) {
		return
	}
	s.mu.Lock()
	t := s.selectLocked(in)
	err := s.buyLocked(t, in.Outcome, in.OpenID)
	var snap Trade
	if err == nil {
		snap = t.snapshotLocked()
	}
	s.mu.Unlock()
	if err != nil {
		writeJSONError(w, errorStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// handleAPIRefund is a refund made on the merchant platform, outside the API:
// {"mchid","out_trade_no","refund"(fen),"out_refund_no"?,"reason"?}. It settles and notifies
// like any other refund (to the order's notify_url).
func (s *Sandbox) handleAPIRefund(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MchID       string `json:"mchid"`
		OutTradeNo  string `json:"out_trade_no"`
		Refund      int64  `json:"refund"`
		OutRefundNo string `json:"out_refund_no"`
		Reason      string `json:"reason"`
	}
	if !decodeBody(w, r, &in, false) {
		return
	}
	if in.OutRefundNo == "" {
		in.OutRefundNo = "mp" + randomFrom("0123456789", 20)
	}
	if in.Refund < 1 || !outRefundNoPattern.MatchString(in.OutRefundNo) {
		writeJSONError(w, http.StatusBadRequest, "refund must be at least 1 fen; out_refund_no 1-64 of 0-9A-Za-z_-|*@")
		return
	}
	s.mu.Lock()
	t := s.trades[tradeKey(in.MchID, in.OutTradeNo)]
	var total int64
	if t != nil {
		total = t.Total
	}
	rf, a := s.refundLocked(in.MchID, t, in.OutRefundNo, in.Refund, total, in.Reason, "", true, s.now())
	var snap Refund
	if rf != nil {
		snap = *rf
		snap.trade = nil
	}
	s.mu.Unlock()
	switch {
	case rf != nil:
		writeJSON(w, http.StatusOK, snap)
	case a.status == http.StatusNotFound:
		writeJSONError(w, http.StatusNotFound, a.code+": "+a.message)
	default:
		writeJSONError(w, http.StatusConflict, a.code+": "+a.message)
	}
}

func (s *Sandbox) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.faults.get())
}

func (s *Sandbox) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if !decodeBody(w, r, &f, true) {
		return
	}
	if err := f.Validate(); err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, s.faults.get())
}

func (s *Sandbox) handleClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	writeJSON(w, http.StatusOK, s.faults.get())
}

func (s *Sandbox) handleTrades(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, map[string]any{"trades": s.Trades(q.Get("mchid"), q.Get("out_trade_no"))})
}

func (s *Sandbox) handleNotifications(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"notifications": s.Notifications(r.URL.Query().Get("out_trade_no"))})
}
