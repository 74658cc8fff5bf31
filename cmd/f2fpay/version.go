package main

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"github.com/f2fpay/f2fpay/internal/version"
)

// runVersion prints the build: version, commit and the commit's date (`make build` stamps
// them; other builds take them from the Go toolchain's build info when it has them).
func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		return fail(stderr, "usage: f2fpay version")
	}
	fmt.Fprintf(stdout, "f2fpay %s\ncommit: %s\ndate:   %s\ngo:     %s\n", version.Version, version.Commit, version.Date, runtime.Version())
	return 0
}
