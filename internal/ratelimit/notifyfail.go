package ratelimit

import (
	"context"
	"time"
)

// Defaults of the budget of unverified notifications per source (docs/security.md): a
// notification whose signature does not verify is kept for audit (its first 2 KiB), so a
// source gets 20 such rows at once and 2 a second after that; over it, a notification is
// refused before anything is stored. Alipay's own notifications verify and never count.
const (
	DefaultNotifyFailRate  = 2
	DefaultNotifyFailBurst = 20
)

// NotifyFailed charges one unverified notification to the source of ip (Source) and
// reports whether its budget had room, and if not, how long until it has. It satisfies
// payment.NotifyFailBudget. A store failure answers true, as every limit here does.
func (p *Policy) NotifyFailed(ctx context.Context, ip string) (bool, time.Duration) {
	return p.take(ctx, "notifyfail:"+p.Source(ip), p.notifyFail)
}
