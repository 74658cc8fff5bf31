package sandbox

import (
	"html/template"
	"net/http"
)

// paycodePageHTML is the sandbox "Alipay app" showing the buyer's payment code (付款码)
// for a till to scan: a Code 128 barcode and its digits.
const paycodePageHTML = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>支付宝沙箱付款码</title>
<style>
body{font-family:system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;color:#222}
.code{font-family:ui-monospace,monospace;font-size:1.5rem;letter-spacing:.08em;margin:.5rem 0}
.muted{color:#777;font-size:.9rem}.msg{padding:.7rem;border-radius:.4rem;background:#f4f4f4;margin:1rem 0}
img{max-width:100%;image-rendering:pixelated}
a.b,button{display:block;width:100%;box-sizing:border-box;text-align:center;padding:.8rem;margin:.5rem 0;font-size:1rem;
border:0;border-radius:.4rem;cursor:pointer;background:#eee;color:#222;text-decoration:none}
.pay{background:#1677ff;color:#fff}
</style></head><body>
<h1>支付宝沙箱 · 付款码</h1>
{{if .Code}}
<img id="barcode" src="/sandbox/paycode/{{.Code.AuthCode}}/barcode.png" alt="付款码条形码">
<div class="code" id="auth-code">{{.Code.AuthCode}}</div>
<div class="muted">行为 {{.Code.Behaviour}} · 一次有效，60 秒内使用</div>
{{if eq .Code.Behaviour "password"}}
<p class="muted">收银台扣款后，在这里输入密码确认（或取消）：</p>
<form method="post" action="/sandbox/paycode/{{.Code.AuthCode}}/confirm">
<button class="pay" name="outcome" value="success">确认付款</button>
<button name="outcome" value="cancel">取消</button>
</form>
{{end}}
{{end}}
{{if .Message}}<div class="msg" id="message">{{.Message}}</div>{{end}}
<p class="muted">生成新的付款码：</p>
<a class="b pay" href="/sandbox/paycode?behaviour=pay">直接付款</a>
<a class="b" href="/sandbox/paycode?behaviour=password">需要输入密码</a>
<a class="b" href="/sandbox/paycode?behaviour=insufficient_balance">余额不足</a>
</body></html>`

var paycodePage = template.Must(template.New("paycode").Parse(paycodePageHTML))

type paycodeView struct {
	Code    *AuthCode
	Message string
}

// handlePaycodePage shows a fresh payment code (?behaviour=pay|password|
// insufficient_balance, optional &buyer_logon_id=) or, without a behaviour, the choice.
func (s *Sandbox) handlePaycodePage(w http.ResponseWriter, r *http.Request) {
	var v paycodeView
	status := http.StatusOK
	if b := r.URL.Query().Get("behaviour"); b != "" {
		c, err := s.NewAuthCode(b, r.URL.Query().Get("buyer_logon_id"))
		if err != nil {
			status, v.Message = errorStatus(err), err.Error()
		}
		v.Code = c
	}
	renderPaycode(w, status, v)
}

// handlePaycodeImage serves the barcode of an issued payment code.
func (s *Sandbox) handlePaycodeImage(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("code")
	s.mu.Lock()
	known := s.codes[code] != nil
	s.mu.Unlock()
	if !known {
		writeJSONError(w, http.StatusNotFound, "no such payment code")
		return
	}
	img, err := barcodePNG(code, 2, 90)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "internal error")
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(img)
}

// handlePaycodeConfirm is the buyer answering the password prompt on the page.
func (s *Sandbox) handlePaycodeConfirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	outcome := ""
	if err := r.ParseForm(); err == nil {
		outcome = r.PostForm.Get("outcome")
	}
	var v paycodeView
	status := http.StatusOK
	t, err := s.ConfirmAuthCode(r.PathValue("code"), outcome)
	switch {
	case err != nil:
		status, v.Message = errorStatus(err), err.Error()
	case t.Status == StatusTradeSuccess:
		v.Message = "付款成功：" + t.TotalAmount + " 元，商户订单号 " + t.OutTradeNo
	default:
		v.Message = "已取消付款，收银台将撤销该笔交易"
	}
	renderPaycode(w, status, v)
}

func renderPaycode(w http.ResponseWriter, status int, v paycodeView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = paycodePage.Execute(w, v)
}
