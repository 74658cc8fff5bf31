package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

const maxAPIBody = 64 << 10

// decodeBody reads a small JSON body into v, ignoring unknown fields: clients written
// against the SPEC's selectors may send extra keys (a buyer id, say).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeJSON(w, r, v, false)
}

// decodeStrictBody is decodeBody refusing unknown fields: for the fault knobs, where a
// misspelt knob silently ignored would make a test believe a fault is on.
func decodeStrictBody(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeJSON(w, r, v, true)
}

func decodeJSON(w http.ResponseWriter, r *http.Request, v any, strict bool) bool {
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

func (s *Sandbox) handlePublicKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = io.WriteString(w, s.pubPEM)
}

func (s *Sandbox) handleApps(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AppID        string `json:"app_id"`
		AppPublicKey string `json:"app_public_key"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if err := s.RegisterApp(in.AppID, in.AppPublicKey); err != nil {
		writeJSONError(w, errorStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"app_id": in.AppID, "seller_id": s.SellerID(in.AppID),
		"alipay_public_key": s.pubPEM})
}

// handleCerts issues certificate-mode material: {"app_id","app_public_key"} → CertBundle.
func (s *Sandbox) handleCerts(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AppID        string `json:"app_id"`
		AppPublicKey string `json:"app_public_key"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	b, err := s.IssueAppCert(in.AppID, in.AppPublicKey)
	if err != nil {
		writeJSONError(w, errorStatus(err), err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"app_cert": string(b.AppCertPEM), "alipay_cert": string(b.AlipayCertPEM),
		"alipay_root_cert": string(b.RootCertPEM), "app_cert_sn": b.AppCertSN, "alipay_cert_sn": b.AlipayCertSN,
		"alipay_root_cert_sn": b.RootCertSN})
}

// buyerRequest selects a trade by qr_code (full text or token) or by app_id+out_trade_no.
type buyerRequest struct {
	QRCode       string `json:"qr_code"`
	AppID        string `json:"app_id"`
	OutTradeNo   string `json:"out_trade_no"`
	Outcome      string `json:"outcome"`
	BuyerLogonID string `json:"buyer_logon_id"`
	BuyerID      string `json:"buyer_id"`
}

func (in buyerRequest) buyer() buyer { return buyer{logon: in.BuyerLogonID, id: in.BuyerID} }

func (s *Sandbox) selectLocked(in buyerRequest) *record {
	if in.QRCode != "" {
		code := in.QRCode[strings.LastIndex(in.QRCode, "/")+1:]
		return s.byCode[code]
	}
	return s.recs[recKey(in.AppID, in.OutTradeNo)]
}

func (s *Sandbox) handleAPIScan(w http.ResponseWriter, r *http.Request) {
	var in buyerRequest
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	rec, err := s.scanLocked(s.selectLocked(in), in.buyer())
	var t *Trade
	if err == nil {
		t = rec.snapshot()
	}
	s.mu.Unlock()
	s.answer(w, t, err)
}

func (s *Sandbox) handleAPIPay(w http.ResponseWriter, r *http.Request) {
	var in buyerRequest
	if !decodeBody(w, r, &in) {
		return
	}
	s.mu.Lock()
	t, err := s.payLocked(s.selectLocked(in), in.Outcome, in.buyer())
	s.mu.Unlock()
	s.answer(w, t, err)
}

func (s *Sandbox) handleAPIFinish(w http.ResponseWriter, r *http.Request) {
	var in buyerRequest
	if !decodeBody(w, r, &in) {
		return
	}
	err := s.FinishTrade(in.AppID, in.OutTradeNo)
	t, _ := s.Trade(in.AppID, in.OutTradeNo)
	s.answer(w, t, err)
}

func (s *Sandbox) answer(w http.ResponseWriter, t *Trade, err error) {
	if err != nil {
		writeAPIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

// writeAPIError answers a control-API error; a refusal Alipay itself would give carries
// its sub code: {"error":{"message","sub_code"}}.
func writeAPIError(w http.ResponseWriter, err error) {
	e := map[string]string{"message": err.Error()}
	var ae *alipayError
	if errors.As(err, &ae) {
		e["sub_code"] = ae.sub
	}
	writeJSON(w, errorStatus(err), map[string]any{"error": e})
}

func (s *Sandbox) handleGetFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.faults.get())
}

func (s *Sandbox) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if !decodeStrictBody(w, r, &f) {
		return
	}
	if err := f.Validate(); err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, s.faults.get())
}

func (s *Sandbox) handleClearFaults(w http.ResponseWriter, r *http.Request) {
	s.ClearFaults()
	writeJSON(w, http.StatusOK, s.faults.get())
}

func (s *Sandbox) handleTrades(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, map[string]any{"trades": s.trades(q.Get("app_id"), q.Get("out_trade_no"))})
}

func (s *Sandbox) handleNotifications(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"notifications": s.Notifications(r.URL.Query().Get("out_trade_no"))})
}
