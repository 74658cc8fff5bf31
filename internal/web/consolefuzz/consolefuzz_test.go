package consolefuzz_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/crypto/bcrypt"

	"github.com/f2fpay/f2fpay/internal/notifier"
	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/secretbox"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
	"github.com/f2fpay/f2fpay/internal/web"
)

// writes counts what changes state: store transactions and the writes made outside one,
// and Alipay calls that move money or close trades.
type writes struct{ n atomic.Int64 }

// countingStore is the real store, counting its writes.
type countingStore struct {
	payment.Store
	w *writes
}

func (s countingStore) Tx(ctx context.Context, fn func(q payment.Queries) error) error {
	s.w.n.Add(1)
	return s.Store.Tx(ctx, fn)
}

func (s countingStore) InsertMerchant(ctx context.Context, c *payment.Merchant) error {
	s.w.n.Add(1)
	return s.Store.InsertMerchant(ctx, c)
}

func (s countingStore) ResetDelivery(ctx context.Context, eventID string, now time.Time) error {
	s.w.n.Add(1)
	return s.Store.ResetDelivery(ctx, eventID, now)
}

// alipayFake knows one paid trade, fz_paid; every other trade waits for its buyer. Refunds
// and closes succeed and are counted.
type alipayFake struct{ w *writes }

func (alipayFake) AppID() string    { return "2021000000000001" }
func (alipayFake) SellerID() string { return "" }

func (alipayFake) Precreate(context.Context, payment.PrecreateRequest) (string, error) {
	return "https://qr.alipay.com/fuzz", nil
}

func (alipayFake) Query(_ context.Context, no string) (*payment.Trade, error) {
	if no == "fz_paid" {
		at := time.Now()
		return &payment.Trade{Status: payment.TradeSuccess, OutTradeNo: no, TradeNo: "2024010122001400000000000001", TotalAmount: 990, PaidAt: &at}, nil
	}
	return &payment.Trade{Status: payment.TradeWaitBuyerPay, OutTradeNo: no}, nil
}

func (a alipayFake) Refund(_ context.Context, r payment.RefundRequest) (*payment.RefundResult, error) {
	a.w.n.Add(1)
	at := time.Now()
	return &payment.RefundResult{Found: true, Succeeded: true, Amount: r.Amount, RefundFee: r.Amount, SucceededAt: &at}, nil
}

func (alipayFake) RefundQuery(context.Context, string, string) (*payment.RefundResult, error) {
	return &payment.RefundResult{}, nil
}

func (a alipayFake) Close(context.Context, string) error { a.w.n.Add(1); return nil }

func (alipayFake) VerifyNotification(url.Values) (*payment.Notification, error) {
	return nil, errors.New("not in this test")
}

// console is the console over real SQLite with a paid and a pending order, and an operator
// logged in: session cookie and CSRF token.
type console struct {
	h       http.Handler
	close   func()
	w       *writes
	session *http.Cookie
	csrf    string
	event   string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// fixture is the database every console starts from, built and migrated once: the
// merchant, a paid and a pending order, and the paid order's event. Migrating a fresh
// database took most of a restart, and the target restarts every 60 writes.
type fixture struct {
	dir   string // in RAM when the system has /dev/shm (no fsync per execution)
	db    string // the file to copy
	box   *secretbox.Box
	hash  []byte // bcrypt of the operator's password
	event string
	n     int // consoles made
}

func newFixture(f testing.TB) *fixture {
	ctx := context.Background()
	dir, err := os.MkdirTemp("/dev/shm", "f2fpay-fuzz-")
	if err != nil {
		dir, err = os.MkdirTemp("", "f2fpay-fuzz-")
	}
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { os.RemoveAll(dir) })
	box, _ := secretbox.New(secretbox.NewKey())
	hash, _ := bcrypt.GenerateFromPassword([]byte("operator"), bcrypt.MinCost)
	fx := &fixture{dir: dir, db: filepath.Join(dir, "fixture.db"), box: box, hash: hash}
	st, err := sqlite.Open(ctx, fx.db)
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	svc := payment.NewService(st, alipayFake{&writes{}}, box, nil,
		payment.Config{PublicURL: "https://pay.example.com", ConfirmWithQuery: true}, nil)
	cl, _, err := svc.CreateMerchant(ctx, "fuzz", "")
	if err != nil {
		f.Fatal(err)
	}
	for _, no := range []string{"fz_paid", "fz_pending"} {
		if _, _, err := svc.Create(ctx, cl.AppID, payment.CreateRequest{OutTradeNo: no, TotalAmount: 990, Subject: "fuzz"}); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := svc.Sync(ctx, "fz_paid"); err != nil {
		f.Fatal(err)
	}
	events, err := st.ListOrderEvents(ctx, "fz_paid")
	if err != nil || len(events) == 0 {
		f.Fatalf("events: %v %v", events, err)
	}
	fx.event = events[0].ID
	return fx
}

// console builds a console over a copy of the fixture's database and logs in; close
// removes the copy.
func (fx *fixture) console(f testing.TB) *console {
	ctx := context.Background()
	fx.n++
	path := filepath.Join(fx.dir, fmt.Sprintf("f2fpay-%d.db", fx.n))
	data, err := os.ReadFile(fx.db)
	if err == nil {
		err = os.WriteFile(path, data, 0o600)
	}
	if err != nil {
		f.Fatal(err)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		f.Fatal(err)
	}
	c := &console{w: &writes{}, event: fx.event, close: func() {
		st.Close()
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
	}}
	svc := payment.NewService(countingStore{st, c.w}, alipayFake{c.w}, fx.box, nil,
		payment.Config{PublicURL: "https://pay.example.com", ConfirmWithQuery: true}, nil)
	pages, err := web.New(web.Config{Service: svc, Notifier: notifier.New(st), AdminPasswordHash: string(fx.hash),
		Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		f.Fatal(err)
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	pages.Mount(e)
	c.h = e
	c.login(f)
	return c
}

// newConsole is a console over a fixture of its own.
func newConsole(f testing.TB) *console { return newFixture(f).console(f) }

// do serves one request in process.
func (c *console) do(method, path, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.1:40000"
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

func cookie(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == name && ck.Value != "" {
			return ck
		}
	}
	return nil
}

// loginForm fetches the login page: its double-submit cookie and token.
func (c *console) loginForm() (*http.Cookie, string) {
	rec := c.do(http.MethodGet, "/admin/login", "")
	m := csrfField.FindStringSubmatch(rec.Body.String())
	if m == nil {
		return nil, ""
	}
	return cookie(rec, "f2fpay_login"), m[1]
}

func (c *console) login(f testing.TB) {
	lc, token := c.loginForm()
	rec := c.do(http.MethodPost, "/admin/login", url.Values{"csrf": {token}, "password": {"operator"}}.Encode(), lc)
	if c.session = cookie(rec, "f2fpay_admin"); c.session == nil {
		f.Fatalf("login: %d", rec.Code)
	}
	m := csrfField.FindStringSubmatch(c.do(http.MethodGet, "/admin/orders/fz_paid", "", c.session).Body.String())
	if m == nil {
		f.Fatal("the order page has no CSRF token")
	}
	c.csrf = m[1]
}

// loginToken is a login form token of our own: the login form's token is only compared
// with its cookie, so no page needs fetching per execution.
const loginToken = "fuzz-login-token-of-forty-three-characters-"

// actions are the console's form posts; %s is the fuzzed path parameter.
var actions = []string{"/admin/login", "/admin/orders/%s/refund", "/admin/orders/%s/close", "/admin/orders/%s/sync",
	"/admin/events/%s/resend", "/admin/clients", "/admin/clients/%s/rotate", "/admin/clients/%s/disable",
	"/admin/clients/%s/rotate-webhook"}

// FuzzConsoleForms posts fuzzed forms to the console's actions (login, refund, close,
// sync, resend, client create, rotate, disable, rotate-webhook), with or without the
// operator's session, with the right CSRF token or none (the form may carry its own).
// Nothing may panic or answer 500; a post without both session and token changes nothing,
// in the store or at Alipay; a wrong password never yields a session.
func FuzzConsoleForms(f *testing.F) {
	fx := newFixture(f)
	c := fx.console(f)
	f.Cleanup(func() { c.close() })
	f.Add(uint8(1), "fz_paid", "amount=1.00&refund_no=rf-1&reason=fuzz", true, true)
	f.Add(uint8(1), "fz_paid", "amount=1.00&refund_no=rf-1", false, true)
	f.Add(uint8(2), "fz_pending", "", true, true)
	f.Add(uint8(3), "fz_paid", "", true, false)
	f.Add(uint8(4), "", "", true, true)
	f.Add(uint8(5), "", "name=shop&notify_url=http%3A%2F%2F169.254.169.254%2F", true, true)
	f.Add(uint8(6), "app_x", "csrf=forged", true, false)
	f.Add(uint8(0), "", "password=operator", true, true)
	f.Add(uint8(0), "", "password=guess&password=operator", false, true)
	f.Fuzz(func(t *testing.T, action uint8, param, form string, session, token bool) {
		if len(param) > 40 || len(form) > 96 { // minimizing is quadratic in length
			return
		}
		if c.w.n.Load() > 60 { // clients, refunds and events pile up and slow every page: start over
			c.close()
			c = fx.console(t)
		}
		path := actions[int(action)%len(actions)]
		if strings.Contains(path, "%s") {
			if param == "" && strings.Contains(path, "/events/") {
				param = c.event
			}
			path = strings.Replace(path, "%s", url.PathEscape(param), 1)
		}
		var cookies []*http.Cookie
		csrf := c.csrf
		if path == "/admin/login" { // the login form's token is a double-submit cookie
			csrf = loginToken
			cookies = append(cookies, &http.Cookie{Name: "f2fpay_login", Value: loginToken})
		} else if session {
			cookies = append(cookies, c.session)
		}
		if token {
			form += "&csrf=" + url.QueryEscape(csrf)
		}
		before := c.w.n.Load()
		rec := c.do(http.MethodPost, path, form, cookies...)
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("POST %s %q: 500 %s", path, form, rec.Body.String())
		}
		if path == "/admin/login" {
			if ck := cookie(rec, "f2fpay_admin"); ck != nil && !rightPassword(form) {
				t.Fatalf("POST %s %q: a session for a wrong password", path, form)
			}
			return
		}
		if changed := c.w.n.Load() - before; changed != 0 && !(session && token) {
			t.Fatalf("POST %s %q (session %v, token %v): %d writes without session and CSRF token", path, form, session, token, changed)
		}
	})
}

// rightPassword reports whether the login form's password (the first, as the handler
// reads it) is the operator's.
func rightPassword(form string) bool {
	v, err := url.ParseQuery(form)
	return err == nil && v.Get("password") == "operator"
}

// TestWritesCounted: the fuzz target's judge sees an operator's refund, and sees nothing
// of the same post without the CSRF token, so its property can fail.
func TestWritesCounted(t *testing.T) {
	c := newConsole(t)
	defer c.close()
	before := c.w.n.Load()
	rec := c.do(http.MethodPost, "/admin/orders/fz_paid/refund", "amount=1.00&refund_no=rf-1", c.session)
	if rec.Code != http.StatusForbidden || c.w.n.Load() != before {
		t.Fatalf("without token: %d, %d writes", rec.Code, c.w.n.Load()-before)
	}
	rec = c.do(http.MethodPost, "/admin/orders/fz_paid/refund", "amount=1.00&refund_no=rf-1&csrf="+url.QueryEscape(c.csrf), c.session)
	if rec.Code != http.StatusSeeOther || c.w.n.Load() == before {
		t.Fatalf("with session and token: %d, %d writes", rec.Code, c.w.n.Load()-before)
	}
}
