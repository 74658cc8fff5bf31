package natsrelay

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// defaultStream is the stream the relay publishes to when Config.Stream is empty.
const defaultStream = "F2FPAY_EVENTS"

// CheckResult is what Check found on a NATS server.
type CheckResult struct {
	ServerVersion string // the version the server reports
	Stream        string // the stream the relay publishes to
	StreamExists  bool   // false: the relay creates it at its first publish
}

// Check connects once to url (no retry, unlike the relay), asks JetStream for the
// account's information and looks up stream ("" = the relay's default); it changes
// nothing (doctor). Errors: the connection's ("nats: …"), or JetStream not enabled.
func Check(ctx context.Context, url, stream string) (CheckResult, error) {
	if stream == "" {
		stream = defaultStream
	}
	res := CheckResult{Stream: stream}
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	nc, err := nats.Connect(url, nats.Name("f2fpay doctor"), nats.Timeout(timeout), nats.MaxReconnects(0))
	if err != nil {
		return res, fmt.Errorf("nats: %s", strings.TrimPrefix(err.Error(), "nats: "))
	}
	defer nc.Close()
	res.ServerVersion = nc.ConnectedServerVersion()
	js, err := jetstream.New(nc)
	if err != nil {
		return res, fmt.Errorf("nats: %v", err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		return res, fmt.Errorf("nats: JetStream: %w", err)
	}
	_, err = js.Stream(ctx, stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
	case err != nil:
		return res, fmt.Errorf("nats: stream %s: %w", stream, err)
	default:
		res.StreamExists = true
	}
	return res, nil
}
