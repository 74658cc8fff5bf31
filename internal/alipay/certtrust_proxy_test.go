package alipay

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// Forgery modes of the tampering proxy.
const (
	forgeNone       = ""
	forgeSelfSigned = "self-signed" // a self-signed certificate under the real issuer's name
	forgeOtherRoot  = "other-root"  // issued by another root bearing the real root's name
)

// tamperProxy stands between a channel and the sandbox. It passes everything through,
// except that while mode is set it replaces the certificate in every answer to
// alipay.open.app.alipaycert.download with a forgery carrying the same SN (same issuer
// name, same serial), keeping the envelope's alipay_cert_sn.
type tamperProxy struct {
	srv       *httptest.Server
	mode      atomic.Value // string
	forger    *rsa.PrivateKey
	downloads atomic.Int64 // download requests seen
	forged    atomic.Int64 // answers replaced
	failed    atomic.Value // string: why the last forgery could not be made
}

func newTamperProxy(t *testing.T, e *env) *tamperProxy {
	p := &tamperProxy{forger: testKey(t, 1)}
	p.mode.Store(forgeNone)
	p.failed.Store("")
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, e.base+r.URL.RequestURI(), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		form, _ := url.ParseQuery(string(body))
		if form.Get("method") == methodCertDownload || r.URL.Query().Get("method") == methodCertDownload {
			p.downloads.Add(1)
			if mode := p.mode.Load().(string); mode != forgeNone {
				answer = p.forge(answer, mode)
			}
		}
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(answer)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *tamperProxy) gateway() string { return p.srv.URL + "/sandbox/gateway.do" }

// forge rewrites a download answer; on any failure it notes why and returns it unchanged.
func (p *tamperProxy) forge(answer []byte, mode string) []byte {
	const node = "alipay_open_app_alipaycert_download_response"
	var env map[string]json.RawMessage
	var inner map[string]any
	if json.Unmarshal(answer, &env) != nil || json.Unmarshal(env[node], &inner) != nil {
		p.failed.Store("unreadable answer")
		return answer
	}
	content, _ := inner["alipay_cert_content"].(string)
	served, err := base64.StdEncoding.DecodeString(content)
	if err != nil || len(served) == 0 {
		return answer // an error answer: nothing to replace
	}
	cs, err := certs(served)
	if err != nil {
		p.failed.Store(err.Error())
		return answer
	}
	fake, err := p.forgery(cs[0], mode)
	if err != nil {
		p.failed.Store(err.Error())
		return answer
	}
	inner["alipay_cert_content"] = base64.StdEncoding.EncodeToString(fake)
	env[node], _ = json.Marshal(inner)
	out, _ := json.Marshal(env)
	p.forged.Add(1)
	return out
}

// forgery makes a certificate with orig's SN signed by the forger's key.
func (p *tamperProxy) forgery(orig *x509.Certificate, mode string) ([]byte, error) {
	k := p.forger
	dates := func(c *x509.Certificate) *x509.Certificate {
		c.NotBefore, c.NotAfter = time.Now().Add(-time.Hour), time.Now().AddDate(1, 0, 0)
		return c
	}
	var chain []*x509.Certificate
	switch mode {
	case forgeSelfSigned:
		tpl := dates(&x509.Certificate{Subject: orig.Issuer, SerialNumber: orig.SerialNumber, IsCA: true, BasicConstraintsValid: true})
		c, err := create(tpl, tpl, k)
		if err != nil {
			return nil, err
		}
		chain = []*x509.Certificate{c}
	case forgeOtherRoot:
		rootTpl := dates(&x509.Certificate{Subject: orig.Issuer, SerialNumber: orig.SerialNumber, IsCA: true,
			BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
		root, err := create(rootTpl, rootTpl, k)
		if err != nil {
			return nil, err
		}
		leaf, err := create(dates(&x509.Certificate{Subject: orig.Subject, SerialNumber: orig.SerialNumber}), root, k)
		if err != nil {
			return nil, err
		}
		chain = []*x509.Certificate{leaf, root}
	}
	if certSN(chain[0]) != certSN(orig) {
		return nil, fmt.Errorf("forgery SN %s, want %s", certSN(chain[0]), certSN(orig))
	}
	return pemOf(chain...), nil
}

func create(tpl, parent *x509.Certificate, k *rsa.PrivateKey) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, &k.PublicKey, k)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

// rotate renews the sandbox's Alipay certificate through its HTTP API and returns the new
// SN.
func rotate(t *testing.T, e *env) string {
	t.Helper()
	sn, err := rotateErr(e)
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

// rotateErr is rotate for goroutines other than the test's.
func rotateErr(e *env) (string, error) {
	resp, err := http.Post(e.base+"/sandbox/api/alipay-cert/rotate", "application/json", nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		SN string `json:"alipay_cert_sn"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated || out.SN == "" {
		return "", fmt.Errorf("rotate: %d %v", resp.StatusCode, err)
	}
	return out.SN, nil
}
