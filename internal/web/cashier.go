package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// QRSize is the side of the cashier's QR image in pixels: with error correction M and
// Alipay's ~60-character QR text (version 4, 33 modules plus the quiet zone) a module is
// about 12 px, which a phone camera resolves from arm's length on any screen.
const QRSize = 512

// streamLife bounds one status stream below the server's write timeout; the browser's
// EventSource reconnects by itself (after the retry the stream announces).
const streamLife = 50 * time.Second

// pageData is what every page template uses.
type pageData struct {
	Lang  string
	Title string
	Asset string
	Kind  string // the body's data-page: which part of app.js runs
	CSRF  string // console pages: the session's token for every form
	Nav   string // console pages: the active tab
}

type cashierView struct {
	pageData
	T          map[string]string
	Merchant   string
	Subject    string
	Amount     string
	OutTradeNo string
	Token      string
	QRCode     string
	State      string
	ExpiresIn  int64  // seconds from rendering
	Channel    string // alipay or wechat: the page's brand and texts
	OpenLink   bool   // the QR's text opens the wallet on a phone (Alipay's does; WeChat Pay's code_url only scans)
}

// cashierTexts is the catalog of lang for an order of the channel: a WeChat Pay order asks
// to scan with WeChat, under WeChat Pay's brand.
func cashierTexts(lang, channel string) map[string]string {
	T := catalog[lang]
	if channel != payment.ChannelWeChat {
		return T
	}
	out := make(map[string]string, len(T))
	for k, v := range T {
		out[k] = v
	}
	out["scan"], out["qr_alt"], out["brand"] = T["wechat_scan"], T["wechat_qr_alt"], T["wechat_brand"]
	return out
}

// statusView is the JSON of the live status (an SSE "data:" line or a plain GET).
type statusView struct {
	State     string `json:"state"` // pending, paid, expired, closed or refunded
	Status    string `json:"status"`
	ExpiresIn int64  `json:"expires_in"`
}

// cashierState is what the buyer should see: closed orders that ran out of time and
// pending orders past their expiry are "expired"; other states are the order's status.
func cashierState(o *payment.Order, now time.Time) string {
	switch o.Status {
	case payment.StatusPending:
		if !now.Before(o.ExpiresAt) {
			return "expired"
		}
	case payment.StatusClosed:
		if o.ClosedAt == nil || !o.ClosedAt.Before(o.ExpiresAt.Add(-time.Second)) {
			return "expired"
		}
	}
	return string(o.Status)
}

func (h *Handler) orderByToken(ctx context.Context, token string) (*payment.Order, error) {
	if len(token) < 16 || len(token) > 64 {
		return nil, payment.ErrNotFound
	}
	return h.store.GetOrderByToken(ctx, token)
}

// cashier renders the buyer's page; an unknown token is a 404 page.
func (h *Handler) cashier(c *gin.Context) {
	lang := pickLang(c.Query("lang"), c.GetHeader("Accept-Language"))
	T := catalog[lang]
	o, err := h.orderByToken(c.Request.Context(), c.Param("token"))
	if err != nil {
		status := http.StatusNotFound
		if !errors.Is(err, payment.ErrNotFound) {
			h.log.Error("cashier: load order", slog.String("err", err.Error()))
			status = http.StatusInternalServerError
		}
		h.render(c, status, "notfound", cashierView{pageData: pageData{Lang: lang, Title: T["not_found"], Asset: h.assetTag, Kind: "plain"}, T: T})
		return
	}
	now := h.now()
	channel := payment.OrderChannel(o)
	T = cashierTexts(lang, channel)
	h.render(c, http.StatusOK, "cashier", cashierView{
		pageData: pageData{Lang: lang, Title: T["title"] + " · " + h.merchant, Asset: h.assetTag, Kind: "cashier"},
		T:        T, Merchant: h.merchant, Subject: o.Subject, Amount: o.TotalAmount.String(),
		OutTradeNo: o.OutTradeNo, Token: o.CashierToken, QRCode: o.QRCode,
		State: cashierState(o, now), ExpiresIn: max(0, int64(o.ExpiresAt.Sub(now)/time.Second)),
		Channel: channel, OpenLink: channel != payment.ChannelWeChat,
	})
}

// qrImage is the order's QR as a PNG (error correction M, QRSize px square).
func (h *Handler) qrImage(c *gin.Context) {
	o, err := h.orderByToken(c.Request.Context(), c.Param("token"))
	if err != nil || o.QRCode == "" {
		c.String(http.StatusNotFound, "not found")
		return
	}
	png, err := qrcode.Encode(o.QRCode, qrcode.Medium, QRSize)
	if err != nil {
		h.log.Error("cashier: encode QR", slog.String("err", err.Error()))
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "private, max-age=3600") // an order's QR never changes
	c.Data(http.StatusOK, "image/png", png)
}

func (h *Handler) statusOf(o *payment.Order) statusView {
	now := h.now()
	return statusView{State: cashierState(o, now), Status: string(o.Status),
		ExpiresIn: max(0, int64(o.ExpiresAt.Sub(now)/time.Second))}
}

// status is the cashier's live status: a server-sent event stream when the client accepts
// text/event-stream (the page's EventSource), else one JSON answer, held like the merchant
// API's ?wait=N (at most 60 s) while the order is pending.
func (h *Handler) status(c *gin.Context) {
	ctx := c.Request.Context()
	o, err := h.orderByToken(ctx, c.Param("token"))
	if err != nil {
		c.JSON(http.StatusNotFound, gin.H{"error": gin.H{"code": "NOT_FOUND", "message": "order not found"}})
		return
	}
	c.Header("Cache-Control", "no-store")
	if !strings.Contains(c.GetHeader("Accept"), "text/event-stream") {
		if wait, err := strconv.Atoi(c.Query("wait")); err == nil && wait > 0 && o.Status == payment.StatusPending {
			o, err = h.notes.WaitSettled(ctx, o, time.Duration(min(wait, 60))*time.Second)
			if err != nil {
				c.JSON(http.StatusInternalServerError, gin.H{"error": gin.H{"code": "INTERNAL", "message": "internal error"}})
				return
			}
		}
		c.JSON(http.StatusOK, h.statusOf(o))
		return
	}
	h.stream(c, o)
}

// stream sends the order's state now and at every change until it is final, the expiry
// passes, the client leaves, or streamLife ends.
func (h *Handler) stream(c *gin.Context, o *payment.Order) {
	ctx := c.Request.Context()
	sub := h.notes.Subscribe(o.OutTradeNo)
	defer sub.Close()
	if fresh, err := h.store.GetOrder(ctx, o.OutTradeNo); err == nil { // after subscribing: no change missed
		o = fresh
	}
	w := c.Writer
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 1000\n\n")
	life := time.NewTimer(streamLife)
	defer life.Stop()
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		v := h.statusOf(o)
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		w.Flush()
		if v.State != "pending" {
			return
		}
		expiry := time.NewTimer(o.ExpiresAt.Sub(h.now()) + 50*time.Millisecond)
		select {
		case o = <-sub.C:
		case <-expiry.C: // say "expired" even before the reconciler closes the order
		case <-ping.C:
			fmt.Fprint(w, ": ping\n\n")
		case <-life.C:
			expiry.Stop()
			return
		case <-ctx.Done():
			expiry.Stop()
			return
		}
		expiry.Stop()
	}
}
