package payment

import (
	"context"
	"strings"
)

// RefusedHeadBytes is how much of a notification refused before parsing is kept for audit.
const RefusedHeadBytes = 4 << 10

// RecordRefusedNotification keeps the audit row of a notification the HTTP layer refused
// before HandleNotification could see it (a body over the size limit, a body that could not
// be read, a rate-limited sender), so that SPEC §3's "every notification is kept" holds for
// those too. head is the start of the body; at most RefusedHeadBytes of it are stored,
// with invalid UTF-8 (also a character cut in half) replaced by U+FFFD. Errors are the store's, uncoded.
func (s *Service) RecordRefusedNotification(ctx context.Context, head []byte, remoteAddr, reason string) error {
	raw := head
	if len(raw) > RefusedHeadBytes {
		raw = raw[:RefusedHeadBytes]
	}
	text := strings.ToValidUTF8(string(raw), "\uFFFD")
	rec := &NotificationRecord{ReceivedAt: s.now(), RemoteAddr: remoteAddr, Raw: text,
		Outcome: "refused: " + truncate(reason, 200)}
	s.log.Warn("notification refused", "reason", rec.Outcome, "remote_addr", remoteAddr, "bytes_kept", len(text))
	s.noticed("refused")
	return s.store.InsertNotification(ctx, rec)
}
