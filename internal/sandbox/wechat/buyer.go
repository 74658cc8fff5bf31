package wechat

import (
	"errors"
	"fmt"
	"net/http"
)

// scanView is what the buyer page shows.
type scanView struct {
	Found       bool
	MchID       string
	Description string
	Yuan        string
	State       string
	Payable     bool
	Message     string
	Action      string
}

func (s *Sandbox) viewLocked(pr string, t *Trade, msg string) scanView {
	if t == nil {
		return scanView{Message: msg}
	}
	s.expireLocked(t, s.now())
	v := scanView{Found: true, MchID: t.MchID, Description: t.Description, Yuan: fmt.Sprintf("%d.%02d", t.Total/100, t.Total%100),
		State: stateDesc[t.State], Payable: t.State == stateNotPay, Message: msg, Action: "/sandbox/wechat/scan/" + pr}
	if t.State == stateClosed && t.ClosedAt != nil && t.ClosedAt.Equal(t.ExpiresAt) {
		v.State = "二维码已过期"
	}
	return v
}

// handleScanPage is the buyer's phone after scanning code_url: the order, and buttons to
// pay, cancel or fail for lack of balance.
func (s *Sandbox) handleScanPage(w http.ResponseWriter, r *http.Request) {
	pr := r.PathValue("pr")
	s.mu.Lock()
	t := s.byPR[pr]
	v := s.viewLocked(pr, t, "")
	s.mu.Unlock()
	status := http.StatusOK
	if t == nil {
		status, v.Message = http.StatusNotFound, "二维码无效"
	}
	s.render(w, status, v)
}

func (s *Sandbox) handleScanPost(w http.ResponseWriter, r *http.Request) {
	pr := r.PathValue("pr")
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	outcome := r.PostForm.Get("outcome")
	s.mu.Lock()
	t := s.byPR[pr]
	err := s.buyLocked(t, outcome, "")
	msg := map[string]string{"": "支付成功", "success": "支付成功", "cancel": "已取消支付",
		"insufficient_balance": "零钱余额不足，支付未完成"}[outcome]
	status := http.StatusOK
	if err != nil {
		status, msg = errorStatus(err), buyerMessage(err)
	}
	v := s.viewLocked(pr, t, msg)
	s.mu.Unlock()
	s.render(w, status, v)
}

func buyerMessage(err error) string {
	switch {
	case errors.Is(err, ErrNotFound):
		return "二维码无效"
	case errors.Is(err, ErrExpired):
		return "二维码已过期"
	case errors.Is(err, ErrInvalid):
		return "无效的操作"
	}
	return "订单已支付或已关闭"
}

func (s *Sandbox) render(w http.ResponseWriter, status int, v scanView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = s.page.Execute(w, v)
}
