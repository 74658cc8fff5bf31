package natsrelay

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestCheck: a JetStream server answers with its version; a stream that does not exist is
// reported, not created; nothing listening is an error.
func TestCheck(t *testing.T) {
	url := natsURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream := fmt.Sprintf("F2FPAY_CHECK_%d", os.Getpid())
	res, err := Check(ctx, url, stream)
	if err != nil || res.ServerVersion == "" || res.StreamExists || res.Stream != stream {
		t.Fatalf("Check = %+v, %v", res, err)
	}
	if res, _ := Check(ctx, url, stream); res.StreamExists {
		t.Fatal("Check created the stream")
	}
	if res, _ := Check(ctx, url, ""); res.Stream != defaultStream {
		t.Errorf("default stream: %q", res.Stream)
	}
	short, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	if _, err := Check(short, "nats://127.0.0.1:1", ""); err == nil || !strings.HasPrefix(err.Error(), "nats: ") {
		t.Fatalf("nothing listening: %v", err)
	}
}
