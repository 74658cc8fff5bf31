// Package testbin builds the f2fpay binary for tests and tools that run it as a child
// process, and collects a child's output safely.
package testbin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Build compiles ./cmd/f2fpay of the module rooted at moduleRoot into a fresh temporary
// directory and returns the binary's path and a function that removes it.
func Build(moduleRoot string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "f2fpay-bin")
	if err != nil {
		return "", nil, err
	}
	bin := filepath.Join(dir, "f2fpay")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/f2fpay")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("go build ./cmd/f2fpay: %v\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// Main is a TestMain body: it builds the binary into *bin, runs the tests, cleans up and
// exits with their status.
func Main(run func() int, moduleRoot string, bin *string) {
	path, cleanup, err := Build(moduleRoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*bin = path
	code := run()
	cleanup()
	os.Exit(code)
}

// Buffer is an io.Writer that a child's output goroutine writes while the test reads it.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
