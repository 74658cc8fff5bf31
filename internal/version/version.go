// Package version names the running build: the release, the commit it was built from and
// when that commit was made. `make build` stamps the three variables with -ldflags -X; a
// plain `go build` leaves them empty, and init fills them from the module and VCS data the
// Go toolchain records in the binary (debug.ReadBuildInfo), so that every binary can say
// what it is.
package version

import (
	"runtime/debug"
)

// Set at link time by `make build`:
//
//	-X github.com/f2fpay/f2fpay/internal/version.Version=…
//	-X github.com/f2fpay/f2fpay/internal/version.Commit=…
//	-X github.com/f2fpay/f2fpay/internal/version.Date=…
//
// They must stay uninitialised (or constant) for -X to set them.
var (
	// Version is the release, e.g. v1.2.0, or a git-describe name between releases.
	Version string
	// Commit is the full hash of the commit the binary was built from.
	Commit string
	// Date is the commit's time in RFC 3339, which keeps builds of one commit identical.
	Date string
)

// unknown is what a field says when neither the linker nor the toolchain recorded it
// (go run, go test).
const unknown = "unknown"

func init() {
	info, _ := debug.ReadBuildInfo()
	Version, Commit, Date = fill(Version, Commit, Date, info)
}

// fill returns the linker's values, completed from the build info where they are empty.
func fill(version, commit, date string, info *debug.BuildInfo) (string, string, string) {
	if info != nil {
		if version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision" && commit == "":
				commit = s.Value
			case s.Key == "vcs.time" && date == "":
				date = s.Value
			}
		}
	}
	return or(version, "dev"), or(commit, unknown), or(date, unknown)
}

func or(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

// String is the one-line form for logs: "v1.2.0 (commit 0123abc…, 2026-01-02T03:04:05Z)".
func String() string {
	return Version + " (commit " + Commit + ", " + Date + ")"
}
