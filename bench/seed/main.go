// Command seed fills an f2fpay database with a year of a busy merchant's history
// (bench/internal/seed): -orders orders of the client -client, spread over the year before
// now, with their refunds, events, notifications, Alipay calls and webhook attempts. It is
// for measuring the gateway at that size (go run ./bench/perf -scale N does it all), never
// for a production database.
//
//	go run ./bench/seed -database sqlite:/tmp/f2fpay.db -client app_… -orders 1000000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/f2fpay/f2fpay/bench/internal/seed"
)

func main() {
	database := flag.String("database", "", "sqlite:PATH or postgres://… (migrated by opening it)")
	schema := flag.String("schema", "", "PostgreSQL schema (database_pool.schema)")
	clientID := flag.String("client", "", "the merchant client that owns the orders (app_…)")
	orders := flag.Int("orders", 1000000, "orders to write (at most 10,000,000)")
	flag.Parse()
	if *database == "" || *clientID == "" || *orders < 1 || *orders > 10000000 {
		fmt.Fprintln(os.Stderr, "seed: -database and -client are required; -orders in [1, 10000000]")
		os.Exit(2)
	}
	ctx := context.Background()
	db, pg, err := seed.Open(ctx, *database, *schema)
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	defer db.Close()
	t0 := time.Now()
	if err := seed.Seed(ctx, db, seed.Options{Postgres: pg, ClientID: *clientID, Orders: *orders, End: time.Now(), Log: os.Stdout}); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
	fmt.Printf("seeded %d orders in %s\n", *orders, time.Since(t0).Round(time.Second))
}
