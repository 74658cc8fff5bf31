package main

import (
	"context"
	"flag"
	"fmt"
	"io"
)

// migrator is what a store offers to apply its embedded migrations.
type migrator interface {
	Migrate(ctx context.Context) (int, error)
	AppliedAtOpen() int
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := addStoreFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	st, _, err := sf.open(ctx)
	if err != nil {
		return fail(stderr, "migrate: %v", err)
	}
	defer st.Close()
	m, ok := st.(migrator)
	if !ok {
		return fail(stderr, "migrate: this store has no migrations")
	}
	n, err := m.Migrate(ctx)
	if err != nil {
		return fail(stderr, "migrate: %v", err)
	}
	fmt.Fprintf(stdout, "migrations applied: %d (the schema is up to date)\n", n+m.AppliedAtOpen())
	return 0
}
