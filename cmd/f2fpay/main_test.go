package main

import (
	"os"
	"testing"
)

// TestMain removes the binary that the signal tests build, if they built it.
func TestMain(m *testing.M) {
	code := m.Run()
	binCleanup()
	os.Exit(code)
}
