package web

import (
	"context"
	"fmt"
	"strings"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// refusedShown is how many of an order's unverified notifications its timeline unfolds:
// the latest few, each cut to its first bytes. The others are only counted, so that a
// flood of forged notifications naming an order cannot bury its history
// (docs/security.md).
const refusedShown = 5

// notifications are an order's timeline entries for Alipay notifications: each one whose
// signature verified, and one entry counting those that did not, which unfolds the latest.
func (h *Handler) notifications(ctx context.Context, no string) ([]entry, error) {
	verified, err := h.store.ListNotificationsByTrust(ctx, no, true, timelineLimit)
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, n := range verified {
		refused := strings.HasPrefix(n.Outcome, "refused")
		out = append(out, entry{at: n.ReceivedAt, Kind: "notification", Title: "Alipay notification " + n.TradeStatus,
			Detail: "signature verified · " + n.Outcome + " · from " + n.RemoteAddr, Good: !refused, Bad: refused, Body: n.Raw})
	}
	count, err := h.store.CountNotifications(ctx, no, false)
	if err != nil || count == 0 {
		return out, err
	}
	latest, err := h.store.ListNotificationsByTrust(ctx, no, false, refusedShown)
	if err != nil || len(latest) == 0 {
		return out, err
	}
	var b strings.Builder
	for _, n := range latest {
		fmt.Fprintf(&b, "%s · from %s · %s\n%s\n%s\n\n", h.fmtTime(n.ReceivedAt), n.RemoteAddr, n.Outcome, sizeNote(n),
			payment.KeepHead(n.Raw, payment.UnverifiedKeepBytes))
	}
	return append(out, entry{at: latest[0].ReceivedAt, Kind: "notification", Bad: true,
		Title:  fmt.Sprintf("%d notifications refused: signature not verified", count),
		Detail: fmt.Sprintf("kept as their first %d bytes, length and SHA-256; the latest at %s", payment.UnverifiedKeepBytes, h.fmtTime(latest[0].ReceivedAt)),
		Body:   strings.TrimSpace(b.String()), Fold: fmt.Sprintf("latest %d", len(latest))}), nil
}

// sizeNote describes how much of a notification's body its row kept.
func sizeNote(n *payment.NotificationRecord) string {
	s := fmt.Sprintf("%d bytes", n.RawLength)
	if n.RawLength == 0 {
		s = fmt.Sprintf("%d bytes", len(n.Raw))
	}
	if n.RawSHA256 != "" {
		s += ", SHA-256 " + n.RawSHA256
	}
	if n.RawLength > len(n.Raw) {
		s += fmt.Sprintf("; the first %d kept:", len(n.Raw))
	}
	return s
}
