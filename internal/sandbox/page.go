package sandbox

import (
	"errors"
	"net/http"
)

// scanPage is the buyer's cashier as the sandbox "Alipay app" shows it after a scan.
const scanPageHTML = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>支付宝沙箱收银台</title>
<style>
body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}
.amount{font-size:2.4rem;font-weight:600;margin:.5rem 0}
.muted{color:#777;font-size:.9rem}.msg{padding:.7rem;border-radius:.4rem;background:#f4f4f4;margin:1rem 0}
button{display:block;width:100%;padding:.8rem;margin:.5rem 0;font-size:1rem;border:0;border-radius:.4rem;cursor:pointer}
.pay{background:#1677ff;color:#fff}.cancel{background:#eee}.poor{background:#fff3e0}
</style></head><body>
<h1>支付宝沙箱</h1>
{{if .Trade}}
<div class="muted">{{.Trade.Subject}}</div>
<div class="amount">¥{{.Trade.TotalAmount}}</div>
<div class="muted">商户订单号 {{.Trade.OutTradeNo}}{{if .Trade.TradeNo}} · 交易号 {{.Trade.TradeNo}}{{end}}</div>
<div class="muted">买家 {{.Trade.BuyerLogonID}} · 状态 {{.Trade.Status}}</div>
{{end}}
{{if .Message}}<div class="msg">{{.Message}}</div>{{end}}
{{if .Payable}}
<form method="post">
<button class="pay" name="outcome" value="success">确认付款</button>
<button class="poor" name="outcome" value="insufficient_balance">模拟余额不足</button>
<button class="cancel" name="outcome" value="cancel">取消</button>
</form>
{{end}}
</body></html>`

type scanView struct {
	Trade   *Trade
	Message string
	Payable bool
}

// handleScanPage is what opening the QR text does: it scans (creates the trade) and
// shows amount, subject and the pay/insufficient-balance/cancel buttons.
func (s *Sandbox) handleScanPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rec := s.byCode[r.PathValue("code")]
	_, err := s.scanLocked(rec, buyer{})
	var v scanView
	if rec != nil {
		v.Trade = rec.snapshot()
	}
	s.mu.Unlock()
	s.renderScan(w, v, err)
}

func (s *Sandbox) handleScanPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	outcome := ""
	if err := r.ParseForm(); err == nil {
		outcome = r.PostForm.Get("outcome")
	}
	s.mu.Lock()
	rec := s.byCode[r.PathValue("code")]
	t, err := s.payLocked(rec, outcome, buyer{})
	v := scanView{Trade: t}
	if t == nil && rec != nil {
		v.Trade = rec.snapshot()
	}
	s.mu.Unlock()
	if err == nil {
		v.Message = map[string]string{OutcomeSuccess: "付款成功", OutcomeCancel: "已取消付款，订单仍可支付",
			OutcomeInsufficientBalance: "余额不足，付款失败"}[t.LastPayOutcome]
	}
	s.renderScan(w, v, err)
}

func (s *Sandbox) renderScan(w http.ResponseWriter, v scanView, err error) {
	status := http.StatusOK
	switch {
	case errors.Is(err, ErrNotFound):
		status, v.Message = http.StatusNotFound, "二维码不存在"
	case errors.Is(err, ErrQRInvalid):
		status, v.Message = http.StatusGone, "二维码已失效"
	case errors.Is(err, ErrState):
		status, v.Message = http.StatusConflict, "订单已支付或已关闭"
	case err != nil:
		status, v.Message = http.StatusBadRequest, "请求无效"
	}
	v.Payable = err == nil && v.Trade != nil && v.Trade.Status == StatusWaitBuyerPay
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = s.page.Execute(w, v)
}
