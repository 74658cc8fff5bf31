package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/f2fpay/f2fpay/client"

	"github.com/f2fpay/f2fpay/internal/testbin"
	"github.com/f2fpay/f2fpay/internal/testutil"
)

// program is the real f2fpay binary's run function serving `demo` on a free port.
type program struct {
	t      *testing.T
	dir    string
	state  demoState
	api    *client.Client
	cancel context.CancelFunc
	done   chan int
	out    *testbin.Buffer
	errOut *testbin.Buffer
	// dbFlags name the demo's database to commands run against it (none: its data dir's).
	dbFlags []string
}

// runDemoForTest runs `f2fpay demo --listen 127.0.0.1:0 --data-dir dir [extra…]` and waits
// until it serves.
func runDemoForTest(t *testing.T, dir string, extra ...string) *program {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &program{t: t, dir: dir, cancel: cancel, done: make(chan int, 1), out: &testbin.Buffer{}, errOut: &testbin.Buffer{}}
	go func() {
		p.done <- run(ctx, append([]string{"demo", "--listen", "127.0.0.1:0", "--data-dir", dir}, extra...), p.out, p.errOut)
	}()
	testutil.WaitFor(t, 0, "the demo to start", func() bool {
		return strings.Contains(p.out.String(), "f2fpay demo is running") || len(p.done) > 0
	})
	if len(p.done) > 0 {
		t.Fatalf("demo exited with %d:\n%s", <-p.done, p.errOut.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "demo.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &p.state); err != nil {
		t.Fatal(err)
	}
	p.api = client.New(p.state.BaseURL, p.state.AppID, p.state.Secret)
	t.Cleanup(p.stop)
	return p
}

// stop ends the program as Ctrl-C would and waits for a clean exit.
func (p *program) stop() {
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	select {
	case code := <-p.done:
		if code != 0 {
			p.t.Errorf("demo exited with %d:\n%s", code, p.errOut.String())
		}
	case <-time.After(testutil.DefaultWait):
		p.t.Errorf("demo did not stop within %s of its context ending", testutil.DefaultWait)
	}
}

// sandbox calls a control route of the embedded simulator and decodes its JSON answer.
func (p *program) sandbox(method, path string, body any, out any) int {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, p.state.BaseURL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			p.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode
}

// sandboxTrade is the simulator's view of a trade (the fields the tests use).
type sandboxTrade struct {
	TradeNo        string `json:"trade_no"`
	Status         string `json:"status"`
	TotalAmount    string `json:"total_amount"`
	RefundedAmount string `json:"refunded_amount"`
	BuyerID        string `json:"buyer_id"`
	BuyerLogonID   string `json:"buyer_logon_id"`
	SellerID       string `json:"seller_id"`
	QRActive       bool   `json:"qr_active"`
}

func (p *program) sandboxTrade(outTradeNo string) sandboxTrade {
	p.t.Helper()
	var list struct {
		Trades []sandboxTrade `json:"trades"`
	}
	q := url.Values{"app_id": {p.state.AlipayAppID}, "out_trade_no": {outTradeNo}}
	if code := p.sandbox("GET", "/sandbox/api/trades?"+q.Encode(), nil, &list); code != 200 || len(list.Trades) != 1 {
		p.t.Fatalf("sandbox trade %s: status %d, %d trades", outTradeNo, code, len(list.Trades))
	}
	return list.Trades[0]
}

// pay makes the sandbox buyer pay the order; it returns the HTTP status of the pay call.
func (p *program) pay(outTradeNo string) int {
	return p.sandbox("POST", "/sandbox/api/pay", map[string]string{"app_id": p.state.AlipayAppID, "out_trade_no": outTradeNo}, nil)
}

// waitStatus polls the merchant API until the order has the status.
func (p *program) waitStatus(outTradeNo, status string) *client.Payment {
	p.t.Helper()
	var o *client.Payment
	testutil.WaitFor(p.t, 0, "order "+outTradeNo+" to be "+status, func() bool {
		var err error
		if o, err = p.api.Query(context.Background(), outTradeNo, client.QueryOptions{}); err != nil {
			p.t.Fatal(err)
		}
		return string(o.Status) == status
	})
	return o
}

// events counts the client's events of a type for one order.
func (p *program) events(outTradeNo, typ string) int {
	p.t.Helper()
	n, after := 0, int64(0)
	for {
		list, err := p.api.Events(context.Background(), after, 200)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, e := range list.Data {
			if e.Type != typ {
				continue
			}
			var data struct {
				OutTradeNo string `json:"out_trade_no"`
			}
			_ = json.Unmarshal(e.Data, &data)
			if data.OutTradeNo == outTradeNo {
				n++
			}
		}
		if !list.HasMore {
			return n
		}
		after = list.NextAfter
	}
}

func mustCreate(t *testing.T, p *program, no, amount string) *client.Payment {
	t.Helper()
	o, created, err := p.api.Create(context.Background(), client.CreateRequest{OutTradeNo: no, TotalAmount: amount, Subject: "测试商品 " + no})
	if err != nil || !created || o.QRCode == "" {
		t.Fatalf("create %s: created=%v err=%v", no, created, err)
	}
	return o
}

func errCode(err error) string {
	if err == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s", client.ErrorCode(err))
}
