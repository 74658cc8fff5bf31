package attack

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/testbin"
)

// world is the running program and what the suite knows about it.
type world struct {
	t        *testing.T
	dir      string
	p        *proc
	logs     *testbin.Buffer
	base     string
	a, b     cred            // the demo client and a second client
	alipay   *rsa.PrivateKey // the simulator's key: signs notifications "as Alipay"
	other    *rsa.PrivateKey // a key Alipay never had
	pending  string          // an order of a, pending with a QR
	paid     string          // an order of a, paid and partly refunded
	ofB      string          // an order of b, pending
	genuine  url.Values      // the genuine notification that paid `paid`, as the DB audited it
	replay   mreq            // a genuine request sent before the restart
	recorder *recorder       // the genuine flow's exchanges, for the OpenAPI check
	mu       sync.Mutex
	// authentic holds app id + nonce of every request signed over what was sent with the
	// app id's real secret: the only requests allowed to record a nonce.
	authentic map[string]bool
	sigs      []string // every X-Signature and notify sign the suite sent: none may be logged
}

type cred struct{ appID, secret string }

func (w *world) remember(sig string) {
	w.mu.Lock()
	w.sigs = append(w.sigs, sig)
	w.mu.Unlock()
}

// mreq is one hand-made merchant API request. Zero fields take a valid default (w.a's
// credentials, now, a fresh nonce, the signature of what is sent); sign* fields, when set,
// are what is signed instead of what is sent.
type mreq struct {
	method, path, query string
	body                []byte
	cred                *cred
	ts, nonce, sig      string
	signMethod          string
	signPath, signQuery string
	signBody            []byte
	signSecret          string
	omit                string            // a header left out
	header              func(http.Header) // last word on the headers
}

// merchant sends r and answers "STATUS CODE" (the error code, or "ok").
func (w *world) merchant(r mreq) string {
	w.t.Helper()
	c := w.a
	if r.cred != nil {
		c = *r.cred
	}
	if r.ts == "" {
		r.ts = strconv.FormatInt(time.Now().Unix(), 10)
	}
	if r.nonce == "" {
		r.nonce = client.NewNonce()
	}
	sm, sp, sq, sb, ss := r.method, r.path, r.query, r.body, c.secret
	if r.signMethod != "" {
		sm = r.signMethod
	}
	if r.signPath != "" {
		sp = r.signPath
	}
	if r.signQuery != "" {
		sq = r.signQuery
	}
	if r.signBody != nil {
		sb = r.signBody
	}
	if r.signSecret != "" {
		ss = r.signSecret
	}
	if r.sig == "" {
		r.sig = client.Sign(ss, sm, sp, sq, r.ts, r.nonce, sb)
	}
	w.remember(r.sig)
	w.noteNonce(c.appID, r, sm == r.method && sp == r.path && sq == r.query && string(sb) == string(r.body))
	u := w.base + r.path
	if r.query != "" {
		u += "?" + r.query
	}
	req, err := http.NewRequest(r.method, u, bytes.NewReader(r.body))
	if err != nil {
		w.t.Fatal(err)
	}
	h := req.Header
	h.Set("X-App-Id", c.appID)
	h.Set("X-Timestamp", r.ts)
	h.Set("X-Nonce", r.nonce)
	h.Set("X-Signature", r.sig)
	if r.body != nil {
		h.Set("Content-Type", "application/json")
	}
	if r.omit != "" {
		h.Del(r.omit)
	}
	if r.header != nil {
		r.header(h)
	}
	return w.send(req, true)
}

// send performs req and renders the answer: "STATUS CODE" for JSON errors, "STATUS ok"
// for other JSON, "STATUS body" for the notify endpoint's plain text.
func (w *world) send(req *http.Request, jsonAnswer bool) string {
	w.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !jsonAnswer {
		return strconv.Itoa(resp.StatusCode) + " " + strings.TrimSpace(string(body))
	}
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return strconv.Itoa(resp.StatusCode) + " " + e.Error.Code
	}
	return strconv.Itoa(resp.StatusCode) + " ok"
}

// notify posts a raw body to /notify/alipay and answers "STATUS body".
func (w *world) notify(body string) string {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.base+"/notify/alipay", strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return w.send(req, false)
}

// signAs signs a notification form as Alipay does (every non-empty parameter but sign
// and sign_type, sorted, k=v joined by &, SHA256withRSA, base64) with key.
func (w *world) signAs(key *rsa.PrivateKey, form url.Values) url.Values {
	w.t.Helper()
	var keys []string
	for k := range form {
		if k != "sign" && k != "sign_type" && form.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + form.Get(k)
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "&")))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		w.t.Fatal(err)
	}
	out := clone(form)
	out.Set("sign", base64.StdEncoding.EncodeToString(sig))
	w.remember(out.Get("sign"))
	return out
}

// form builds a notification like Alipay's for an order of ours, from the genuine one.
func (w *world) form(outTradeNo, amount, status string) url.Values {
	f := clone(w.genuine)
	f.Del("sign")
	f.Set("out_trade_no", outTradeNo)
	f.Set("total_amount", amount)
	f.Set("receipt_amount", amount)
	f.Set("buyer_pay_amount", amount)
	f.Set("trade_status", status)
	f.Set("notify_id", "forged"+strconv.FormatInt(time.Now().UnixNano(), 10))
	return f
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func readPrivateKey(t *testing.T, path string) *rsa.PrivateKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if rk, ok := k.(*rsa.PrivateKey); err == nil && ok {
		return rk
	}
	t.Fatalf("%s: not an RSA private key", path)
	return nil
}

// sandbox posts JSON to a control route of the embedded simulator.
func (w *world) sandbox(path string, in any) error {
	b, _ := json.Marshal(in)
	resp, err := http.Post(w.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return errors.New(resp.Status + ": " + string(msg))
	}
	return nil
}

// notificationsAcknowledged reports whether every notification the simulator sent has
// an attempt we answered "success".
func (w *world) notificationsAcknowledged() bool {
	resp, err := http.Get(w.base + "/sandbox/api/notifications")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var out struct {
		Notifications []struct {
			NotifyID string `json:"notify_id"`
			Success  bool   `json:"success"`
		} `json:"notifications"`
	}
	if json.NewDecoder(resp.Body).Decode(&out) != nil {
		return false
	}
	ok := map[string]bool{}
	for _, n := range out.Notifications {
		ok[n.NotifyID] = ok[n.NotifyID] || n.Success
	}
	for _, v := range ok {
		if !v {
			return false
		}
	}
	return len(ok) > 0
}

// noteNonce records whether r is signed, with the real secret of its app id, over exactly
// what is sent.
func (w *world) noteNonce(appID string, r mreq, sameContent bool) {
	real := map[string]string{w.a.appID: w.a.secret, w.b.appID: w.b.secret}[appID]
	if real == "" || !sameContent || r.sig != client.Sign(real, r.method, r.path, r.query, r.ts, r.nonce, r.body) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.authentic == nil {
		w.authentic = map[string]bool{}
	}
	w.authentic["app_id="+appID+" | nonce="+r.nonce] = true
}
