package natsrelay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/f2fpay/f2fpay/internal/payment"
)

// duplicateWindow is the de-duplication window of a stream this package creates: longer
// than any sensible lease, so that a taken-over relay's repeats are dropped.
const duplicateWindow = 10 * time.Minute

// ensureStream makes sure a stream captures the subjects: an existing stream (the
// operator's own configuration) is used as it is; a missing one is created on file storage.
func (r *Relay) ensureStream(ctx context.Context) error {
	r.mu.Lock()
	ok := r.streamOK
	r.mu.Unlock()
	if ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	_, err := r.js.Stream(ctx, r.cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = r.js.CreateStream(ctx, jetstream.StreamConfig{
			Name: r.cfg.Stream, Subjects: []string{SubjectPrefix + ">"}, Storage: jetstream.FileStorage,
			Duplicates: duplicateWindow, Description: "f2fpay payment and refund events",
		})
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			err = nil // another instance created it at the same moment
		}
	}
	if err != nil {
		return fmt.Errorf("nats: stream %s: %w", r.cfg.Stream, err)
	}
	r.mu.Lock()
	r.streamOK = true
	r.mu.Unlock()
	return nil
}

// publish sends one event and waits for JetStream's ack. The message id is the event id:
// JetStream drops a repeat within its duplicate window (the ack then says Duplicate).
func (r *Relay) publish(ctx context.Context, e *payment.Event) error {
	body, err := json.Marshal(payment.EventView(e))
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: SubjectPrefix + e.Type, Data: body, Header: nats.Header{}}
	msg.Header.Set("F2FPay-Event-Type", e.Type)
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	ack, err := r.js.PublishMsg(ctx, msg, jetstream.WithMsgID(e.ID))
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			r.mu.Lock()
			r.streamOK = false // deleted under us: create it again next round
			r.mu.Unlock()
		}
		return fmt.Errorf("nats: publish %s: %w", e.ID, err)
	}
	if ack.Duplicate {
		r.log.Info("nats: event already in the stream", slog.String("event_id", e.ID))
	}
	return nil
}

// ownerID names this process in the relay lease: host, pid and a random suffix.
func ownerID() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}
