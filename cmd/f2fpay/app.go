package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/payment"
	"github.com/f2fpay/f2fpay/internal/store/postgres"
	"github.com/f2fpay/f2fpay/internal/store/sqlite"
)

// openStore opens the database named by a DSN: sqlite:PATH (or a bare path) or
// postgres://… with the default pool.
func openStore(ctx context.Context, dsn string) (payment.Store, error) {
	return openStoreWith(ctx, dsn, PoolConfig{})
}

// openStoreWith is openStore with the PostgreSQL pool settings of the configuration.
func openStoreWith(ctx context.Context, dsn string, pool PoolConfig) (payment.Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		st, err := postgres.Open(ctx, dsn, postgres.Options{MaxConns: pool.MaxConns, MinConns: pool.MinConns,
			MaxConnLifetime: pool.MaxConnLifetime, MaxConnIdleTime: pool.MaxConnIdleTime, Schema: pool.Schema})
		if err != nil {
			return nil, fmt.Errorf("database: %v", err)
		}
		return st, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
	}
	if dsn == "" {
		return nil, errors.New("database: empty DSN; use sqlite:PATH or postgres://…")
	}
	st, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("database %s: %v", dsn, err)
	}
	return st, nil
}

// newLogger builds the process logger: JSON for serve, text for the interactive commands.
func newLogger(w io.Writer, format string) *slog.Logger {
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// newServer sets the timeouts that keep slow or idle clients from holding connections.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      75 * time.Second, // above the longest ?wait=60
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
