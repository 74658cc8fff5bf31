package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// UnverifiedKeepBytes is how much of the body of a notification whose signature did not
// verify its audit row keeps, besides the body's length and SHA-256 (docs/security.md):
// enough to see what was sent, too little for a flood of forged ones to fill the disk.
// A verified notification is kept whole.
const UnverifiedKeepBytes = 2 << 10

// RefusedHeadBytes is how much of a notification refused before parsing is kept for audit:
// such a notification is unverified.
const RefusedHeadBytes = UnverifiedKeepBytes

// NotifyFailBudget is a budget, per source, of notifications whose signature does not
// verify (docs/security.md). NotifyFailed charges one to the source of remoteAddr (an
// IPv4 address, an IPv6 network) and reports whether the budget had room, and if not,
// after how long it will. A verified notification is never charged.
type NotifyFailBudget interface {
	NotifyFailed(ctx context.Context, remoteAddr string) (ok bool, retryAfter time.Duration)
}

// SetNotifyFailBudget makes the service charge unverified notifications to b; when b has
// no room, such a notification is answered with RATE_LIMITED and leaves no audit row, only
// the "throttled" count of OnNotification. Call it before serving.
func (s *Service) SetNotifyFailBudget(b NotifyFailBudget) { s.notifyFail = b }

// CountThrottledNotification counts, as OnNotification's "throttled", a notification the
// HTTP layer refused under a rate limit before reading it: no row is written for it.
func (s *Service) CountThrottledNotification() { s.noticed("throttled") }

// admitUnverified charges an unverified notification to its source's budget. Errors:
// RATE_LIMITED with RetryAfter when the budget is spent.
func (s *Service) admitUnverified(ctx context.Context, remoteAddr string) error {
	if s.notifyFail == nil {
		return nil
	}
	ok, retry := s.notifyFail.NotifyFailed(ctx, remoteAddr)
	if ok {
		return nil
	}
	s.noticed("throttled")
	s.log.Debug("unverified notification over its source's budget; not stored", slog.String("remote_addr", remoteAddr))
	e := Errorf(CodeRateLimited, "too many unverified notifications from this source")
	e.RetryAfter = retry
	return e
}

// newNotificationRecord starts the audit row of a notification body: whole, with its
// length and hash. keepUnverified cuts it once the signature is known not to verify.
func newNotificationRecord(now time.Time, remoteAddr, raw string) *NotificationRecord {
	sum := sha256.Sum256([]byte(raw))
	return &NotificationRecord{ReceivedAt: now, RemoteAddr: remoteAddr, Raw: raw, RawLength: len(raw),
		RawSHA256: hex.EncodeToString(sum[:])}
}

// keepUnverified cuts the body of an unverified record to its first UnverifiedKeepBytes.
func (r *NotificationRecord) keepUnverified() { r.Raw = KeepHead(r.Raw, UnverifiedKeepBytes) }

// KeepHead returns the start of s, at most n bytes, as valid UTF-8 without NUL (which
// PostgreSQL's text refuses): invalid bytes, a character cut in half and NUL become U+FFFD,
// and the result is cut again, at a character boundary, if that made it longer than n.
func KeepHead(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// RecordRefusedNotification keeps the audit row of a notification the HTTP layer refused
// before HandleNotification could see it (a body over the size limit, a body that could not
// be read), so that "every notification is audited" (docs/decisions.md, Notifications) holds for those too. head is
// what was read of the body: its first UnverifiedKeepBytes are kept (KeepHead) with its
// length; its hash is left empty, since the body was not read whole. Such a notification is
// unverified and charged to its source's budget. Errors: RATE_LIMITED (nothing stored) when
// that budget is spent; the store's, uncoded.
func (s *Service) RecordRefusedNotification(ctx context.Context, head []byte, remoteAddr, reason string) error {
	if err := s.admitUnverified(ctx, remoteAddr); err != nil {
		return err
	}
	rec := &NotificationRecord{ReceivedAt: s.now(), RemoteAddr: remoteAddr, RawLength: len(head),
		Raw: KeepHead(string(head), UnverifiedKeepBytes), Outcome: "refused: " + truncate(reason, 200)}
	s.log.Warn("notification refused", slog.String("reason", rec.Outcome), slog.String("remote_addr", remoteAddr),
		slog.Int("bytes_kept", len(rec.Raw)))
	s.noticed("refused")
	return s.store.InsertNotification(ctx, rec)
}
