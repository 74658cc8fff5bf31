# f2fpay: build, test, lint and bench. `make` alone lists the targets.
.DEFAULT_GOAL := help
.PHONY: help build test lint bench clean

PKG     := github.com/f2fpay/f2fpay/internal/version
BIN     ?= bin/f2fpay
# The version names the commit; the date is the commit's, not the clock's, so that one
# commit always builds to the same bytes (docs/deploy.md, Docker).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)

# A static binary (no cgo: SQLite is modernc's pure Go), without DWARF, symbol tables or
# the build machine's paths, and without Gin's unused msgpack codec. -buildvcs=false: the
# -X flags already say what VCS stamping would, and a checkout owned by another user (a
# Docker build context) would otherwise fail the build.
GOBUILD := CGO_ENABLED=0 go build -trimpath -buildvcs=false -tags nomsgpack \
	-ldflags "-s -w -X $(PKG).Version=$(VERSION) -X $(PKG).Commit=$(COMMIT) -X $(PKG).Date=$(DATE)"

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z]+:.*## / {printf "  make %-6s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## static, reproducible binary in bin/f2fpay (BIN=path to change)
	$(GOBUILD) -o $(BIN) ./cmd/f2fpay
	@ls -l $(BIN)

test: ## every test, as README.md and CI run them (F2FPAY_TEST_* switch on PostgreSQL, Redis, NATS)
	go test -race ./...

# golangci-lint is a tool of the module (go.mod's tool line); .golangci.yml says what it runs
# (govet and staticcheck among them). The gofmt check covers every tracked file, generated or not.
lint: ## golangci-lint (.golangci.yml) and gofmt
	go tool golangci-lint run ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

bench: ## the rate limiter, 1,000 waiting queries, the write path and a million orders (docs/BENCHMARKS.md)
	go run ./bench -duration 10s
	go run ./bench/waitrss -n 1000
	go run ./bench/perf
	go run ./bench/perf -only sqlite -soak 10m
	go run ./bench/perf -scale 1000000

clean: ## remove bin/
	rm -rf bin
