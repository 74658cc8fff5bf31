package version

import (
	"runtime/debug"
	"testing"
)

func TestFill(t *testing.T) {
	vcs := &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20260102030405-0123456789ab"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-01-02T03:04:05Z"},
	}}
	for _, c := range []struct {
		name                  string
		version, commit, date string
		info                  *debug.BuildInfo
		want                  [3]string
	}{
		{"ldflags win", "v1.2.0", "feed", "2026-02-03T00:00:00Z", vcs, [3]string{"v1.2.0", "feed", "2026-02-03T00:00:00Z"}},
		{"build info fills the gaps", "", "", "", vcs,
			[3]string{"v0.0.0-20260102030405-0123456789ab", "0123456789abcdef0123456789abcdef01234567", "2026-01-02T03:04:05Z"}},
		{"only the version stamped", "v1.2.0", "", "", vcs,
			[3]string{"v1.2.0", "0123456789abcdef0123456789abcdef01234567", "2026-01-02T03:04:05Z"}},
		{"go run: (devel), no vcs", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, [3]string{"dev", "unknown", "unknown"}},
		{"no build info", "", "", "", nil, [3]string{"dev", "unknown", "unknown"}},
	} {
		v, co, d := fill(c.version, c.commit, c.date, c.info)
		if got := [3]string{v, co, d}; got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestInitLeavesNothingEmpty(t *testing.T) {
	if Version == "" || Commit == "" || Date == "" {
		t.Fatalf("after init: version %q commit %q date %q", Version, Commit, Date)
	}
	if s := String(); s != Version+" (commit "+Commit+", "+Date+")" {
		t.Fatalf("String() = %q", s)
	}
}
