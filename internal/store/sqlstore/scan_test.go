package sqlstore

import (
	"testing"
	"time"
)

func TestEncode(t *testing.T) {
	d := compile(Dialect{Time: func(t time.Time) any { return t.UnixMicro() }})
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	var none *time.Time
	got := d.encode([]any{"a", at, &at, none, 7})
	want := []any{"a", at.UnixMicro(), at.UnixMicro(), nil, 7}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("encode arg %d = %#v, want %#v", i, got[i], want[i])
		}
	}
}

// TestTimeCol: both encodings of a time column read back as the same UTC time.
func TestTimeCol(t *testing.T) {
	at := time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)
	for _, src := range []any{at.UnixMicro(), at.In(time.FixedZone("CST", 8*3600))} {
		var got time.Time
		if err := tm(&got).Scan(src); err != nil || got != at {
			t.Errorf("Scan(%#v) = %v, %v; want %v", src, got, err, at)
		}
		var p *time.Time
		if err := tmNull(&p).Scan(src); err != nil || p == nil || *p != at {
			t.Errorf("optional Scan(%#v) = %v, %v", src, p, err)
		}
	}
	p := &at
	if err := tmNull(&p).Scan(nil); err != nil || p != nil {
		t.Errorf("Scan(NULL) = %v, %v; want nil", p, err)
	}
	var got time.Time
	if err := tm(&got).Scan("2024-05-01"); err == nil {
		t.Error("Scan of a string succeeded")
	}
}
