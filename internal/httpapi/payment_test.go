package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/f2fpay/f2fpay/client"
	"github.com/f2fpay/f2fpay/internal/sandbox"
)

func TestCreateIdempotentAndConflict(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	req := createReq("T_create_1", "9.90")
	req.Metadata = map[string]string{"device": "vm-7"}
	p, created, err := b.client.Create(ctx, req)
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	if p.Status != client.StatusPending || p.QRCode == "" || p.TotalAmount != "9.90" || p.RefundedAmount != "0.00" ||
		p.Metadata["device"] != "vm-7" || p.PaidAt != nil || p.ClosedAt != nil {
		t.Fatalf("payment %+v", p)
	}
	if !strings.HasPrefix(p.CashierURL, b.srv.URL+"/pay/") || p.QRImageURL != p.CashierURL+"/qr.png" {
		t.Fatalf("cashier %q qr image %q", p.CashierURL, p.QRImageURL)
	}
	again, created, err := b.client.Create(ctx, req)
	if err != nil || created || again.QRCode != p.QRCode || again.CashierURL != p.CashierURL {
		t.Fatalf("repeat: %v created=%v %+v", err, created, again)
	}
	other := req
	other.TotalAmount = "9.91"
	_, _, err = b.client.Create(ctx, other)
	wantClientError(t, err, http.StatusConflict, client.CodeConflict)

	// Another client cannot see, nor take over, the order.
	cl2, secret2, err := b.svc.CreateMerchant(ctx, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	c2 := client.New(b.srv.URL, cl2.AppID, secret2)
	_, err = c2.Query(ctx, req.OutTradeNo, client.QueryOptions{})
	wantClientError(t, err, http.StatusNotFound, client.CodeNotFound)
	_, _, err = c2.Create(ctx, req)
	wantClientError(t, err, http.StatusConflict, client.CodeConflict)
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	post := func(body string) rawResponse {
		return b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: []byte(body)})
	}
	valid := `"out_trade_no":"V1","total_amount":"1.00","subject":"s"`
	cases := []struct{ body, msg string }{
		{`{` + valid + `,"colour":"red"}`, `unknown field "colour"`},
		{`{` + valid + `,"subject":"t"}`, "duplicate field subject"},
		{`{` + valid + `,"metadata":{"a":"1","a":"2"}}`, "duplicate field metadata.a"},
		{`{` + valid + `}{}`, "nothing after it"},
		{`{` + valid + `} trailing`, "nothing after it"},
		{`{` + valid + `,"body":"` + "\xc3\x28" + `"}`, "valid UTF-8"},
		{`{"out_trade_no":"V1","total_amount":1.00,"subject":"s"}`, "total_amount must be a string"},
		{`{"out_trade_no":"V1","total_amount":"1.001","subject":"s"}`, "total_amount must be yuan"},
		{`{"out_trade_no":"V1","total_amount":"-1","subject":"s"}`, "total_amount must be yuan"},
		{`{"out_trade_no":"V1","subject":"s"}`, "total_amount is required"},
		{`{"out_trade_no":"V1","total_amount":"0.00","subject":"s"}`, "total_amount must be between"},
		{`{"out_trade_no":"V 1","total_amount":"1.00","subject":"s"}`, "out_trade_no"},
		{`{"out_trade_no":"V1","total_amount":"1.00","subject":""}`, "subject"},
		{`{` + valid + `,"timeout_minutes":"5"}`, "timeout_minutes must be an integer"},
		{`{` + valid + `,"timeout_minutes":1441}`, "timeout_minutes"},
		{`{` + valid + `,"metadata":{"a":1}}`, "metadata values must be strings"},
		{`{` + valid + `,"notify_url":"ftp://x"}`, "notify_url"},
		{`[]`, "must be a JSON object"},
		{``, "must be a JSON object"},
		{`{"out_trade_no":`, "not valid JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.msg, func(t *testing.T) {
			wantError(t, post(tc.body), http.StatusBadRequest, "INVALID_PARAMETER", tc.msg)
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pad := strings.Repeat("x", 64<<10)
	big := []byte(`{"out_trade_no":"B1","total_amount":"1.00","subject":"s","body":"` + pad + `"}`)
	wantError(t, b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: big}),
		http.StatusRequestEntityTooLarge, "INVALID_PARAMETER", "larger than 65536 bytes")

	// Exactly 64 KiB passes the limit (and then fails validation on its content).
	exact := append([]byte(`{"x":"`), bytes.Repeat([]byte("y"), 64<<10-8)...)
	exact = append(exact, `"}`...)
	if len(exact) != 64<<10 {
		t.Fatalf("len %d", len(exact))
	}
	wantError(t, b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: exact}),
		http.StatusBadRequest, "INVALID_PARAMETER", `unknown field "x"`)
}

func TestQuery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if _, _, err := b.client.Create(ctx, createReq("Q1", "2.00")); err != nil {
		t.Fatal(err)
	}
	p, err := b.client.Query(ctx, "Q1", client.QueryOptions{})
	if err != nil || p.OutTradeNo != "Q1" || p.Status != client.StatusPending {
		t.Fatalf("query: %v %+v", err, p)
	}
	// sync asks the simulator, where the trade does not exist until a scan: still pending.
	if p, err = b.client.Query(ctx, "Q1", client.QueryOptions{Sync: true}); err != nil || p.Status != client.StatusPending {
		t.Fatalf("sync query: %v %+v", err, p)
	}
	// Paid at the simulator; a sync query learns it even before the notification.
	if _, err := b.sb.Pay(alipayAppID, "Q1", sandbox.OutcomeSuccess); err != nil {
		t.Fatal(err)
	}
	if p, err = b.client.Query(ctx, "Q1", client.QueryOptions{Sync: true}); err != nil || p.Status != client.StatusPaid || p.TradeNo == "" {
		t.Fatalf("sync query after pay: %v %+v", err, p)
	}
	_, err = b.client.Query(ctx, "NOPE", client.QueryOptions{})
	wantClientError(t, err, http.StatusNotFound, client.CodeNotFound)

	for _, q := range []string{"sync=maybe", "wait=61", "wait=-1", "wait=x"} {
		wantError(t, b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/query/Q1", query: q}),
			http.StatusBadRequest, "INVALID_PARAMETER", strings.SplitN(q, "=", 2)[0])
	}
	// Without a Waiter, wait is answered at once.
	if r := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/query/Q1", query: "wait=60"}); r.status != http.StatusOK {
		t.Fatalf("wait: %d %s", r.status, r.body)
	}
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		if _, _, err := b.client.Create(ctx, createReq(fmt.Sprintf("L%d", i), "1.00")); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		l, err := b.client.List(ctx, client.ListOptions{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range l.Data {
			got = append(got, p.OutTradeNo)
		}
		if !l.HasMore {
			if l.NextCursor != "" || len(l.Data) != 1 {
				t.Fatalf("last page %+v", l)
			}
			break
		}
		if len(l.Data) != 2 || l.NextCursor == "" || page > 3 {
			t.Fatalf("page %d: %+v", page, l)
		}
		cursor = l.NextCursor
	}
	if strings.Join(got, ",") != "L5,L4,L3,L2,L1" {
		t.Fatalf("order %v", got)
	}
	// A page exactly at the end says there is no more.
	l, err := b.client.List(ctx, client.ListOptions{Limit: 5})
	if err != nil || len(l.Data) != 5 || l.HasMore {
		t.Fatalf("full list: %v %+v", err, l)
	}
	if l, err = b.client.List(ctx, client.ListOptions{Status: client.StatusPaid}); err != nil || len(l.Data) != 0 || l.Data == nil {
		t.Fatalf("paid list: %v %+v", err, l)
	}
	raw := b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", query: "status=paid"})
	if !bytes.Contains(raw.body, []byte(`"data":[]`)) {
		t.Fatalf("empty list renders %s", raw.body)
	}
	for _, q := range []string{"status=unpaid", "limit=0", "limit=101", "limit=x", "cursor=abc", "cursor=0", "cursor=-3"} {
		wantError(t, b.do(t, rawRequest{method: http.MethodGet, path: "/api/v1/payment/list", query: q}),
			http.StatusBadRequest, "INVALID_PARAMETER", strings.SplitN(q, "=", 2)[0])
	}
	// Another client sees none of these.
	cl2, secret2, err := b.svc.CreateMerchant(ctx, "other", "")
	if err != nil {
		t.Fatal(err)
	}
	if l, err = client.New(b.srv.URL, cl2.AppID, secret2).List(ctx, client.ListOptions{}); err != nil || len(l.Data) != 0 {
		t.Fatalf("other client's list: %v %+v", err, l)
	}
}

func TestPaymentObjectShape(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body, _ := json.Marshal(createReq("S1", "9.9"))
	r := b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: body})
	if r.status != http.StatusCreated || r.header.Get("X-Request-Id") == "" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
	var obj map[string]any
	if err := json.Unmarshal(r.body, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"out_trade_no", "total_amount", "subject", "body", "status", "trade_no", "buyer_logon_id",
		"qr_code", "cashier_url", "qr_image_url", "refunded_amount", "created_at", "expires_at", "paid_at", "closed_at", "metadata"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("payment object lacks %s: %s", k, r.body)
		}
	}
	if obj["total_amount"] != "9.90" || obj["paid_at"] != nil || obj["metadata"] == nil {
		t.Errorf("payment object %s", r.body)
	}
}

// TestCreateFollowsAlipayRules: out_trade_no is letters, digits and underscore; subject
// has none of / = &; timeout_minutes is 1-120 (0 refused); store_id, terminal_id and
// operator_id reach alipay.trade.precreate and come back in the payment object
// (docs/api.md, "Create").
func TestCreateFollowsAlipayRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	post := func(body string) rawResponse {
		return b.do(t, rawRequest{method: http.MethodPost, path: "/api/v1/payment/create", body: []byte(body)})
	}
	for _, tc := range []struct{ body, field string }{
		{`{"out_trade_no":"A-1","total_amount":"1.00","subject":"s"}`, "out_trade_no"},
		{`{"out_trade_no":"A1","total_amount":"1.00","subject":"a/b"}`, "subject"},
		{`{"out_trade_no":"A1","total_amount":"1.00","subject":"a=b"}`, "subject"},
		{`{"out_trade_no":"A1","total_amount":"1.00","subject":"a&b"}`, "subject"},
		{`{"out_trade_no":"A1","total_amount":"1.00","subject":"s","timeout_minutes":0}`, "timeout_minutes"},
		{`{"out_trade_no":"A1","total_amount":"1.00","subject":"s","timeout_minutes":121}`, "timeout_minutes"},
		{`{"out_trade_no":"A1","total_amount":"1.00","subject":"s","store_id":"a b"}`, "store_id"},
	} {
		r := post(tc.body)
		wantError(t, r, http.StatusBadRequest, client.CodeInvalidParameter, tc.field)
	}
	r := post(`{"out_trade_no":"A_1","total_amount":"1.00","subject":"s","timeout_minutes":120,` +
		`"store_id":"S_01","terminal_id":"T-9","operator_id":"op7"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("valid create: %d %s", r.status, r.body)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if p["store_id"] != "S_01" || p["terminal_id"] != "T-9" || p["operator_id"] != "op7" {
		t.Fatalf("payment object %s lacks store_id/terminal_id/operator_id", r.body)
	}
	if _, err := b.sb.Scan(alipayAppID, "A_1"); err != nil {
		t.Fatal(err)
	}
	tr, _ := b.sb.Trade(alipayAppID, "A_1")
	if tr.StoreID != "S_01" || tr.TerminalID != "T-9" || tr.OperatorID != "op7" {
		t.Fatalf("alipay.trade.precreate did not carry them: trade %+v", tr)
	}
}
