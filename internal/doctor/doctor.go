// Package doctor checks a `serve` configuration end to end before the first customer
// pays: the configuration, the key pair, certificate mode's certificates, a signed call to
// the Alipay gateway (and WeChat Pay's, when configured), the clock, the database and its migrations, Redis and NATS, the
// public URL, the TLS certificate and the modes of secret files. Each check is a small
// function giving Results; `f2fpay doctor` prints them and exits 1 when one failed.
//
// Doctor changes nothing: it applies no migration, creates no file, records no Alipay
// call and stores no certificate (docs/decisions.md, "Operations").
package doctor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/f2fpay/f2fpay/internal/alipay"
	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/payment"
)

// Status is a check's verdict.
type Status int

// The verdicts, from best to worst; Skip is a check that could not run because an
// earlier one failed.
const (
	OK Status = iota
	Skip
	Warn
	Fail
)

// Mark is how a verdict is printed.
func (s Status) Mark() string { return [...]string{"✓", "-", "!", "✗"}[s] }

// Result is one check's outcome: what was checked, what was found and, when it failed or
// warns, how to fix it.
type Result struct {
	Name   string
	Status Status
	Detail string
	Fix    string
}

// Options is what Run checks.
type Options struct {
	// Config is the configuration as config.Load gave it; Run validates a copy.
	Config *config.Config
	// ConfigPath and Getenv are where it came from, for the files holding secrets.
	ConfigPath string
	Getenv     func(string) string // nil = no environment
	// SecretFiles are more files to check the modes of (a demo's data dir).
	SecretFiles []config.SecretFile
	// Local: the gateway and public_url are on this machine by design (a demo), so a
	// public_url that Alipay cannot reach is not worth a warning.
	Local bool
	// Now is the local clock; nil = time.Now.
	Now func() time.Time
	// Timeout bounds each network check; 0 = 15 s.
	Timeout time.Duration
}

// doctor is one run: the options and what earlier checks learnt for later ones.
type doctor struct {
	o       Options
	cfg     config.Config
	now     func() time.Time
	valid   bool               // config.Validate passed
	store   payment.Store      // open when the database is reachable and current (certificate mode only)
	channel *alipay.Channel    // built when the Alipay settings allow it
	answer  *answerTimes       // when the gateway's answer came and its Date header
	probe   *alipay.QueryProbe // the signed query's answer
	certs   *alipay.CertSet    // certificate mode's certificates, parsed
	closers []func()           // run at the end of Run
	results []Result
}

// Run runs every check in order and returns their results. It never fails itself: what
// cannot be checked is a failed or skipped Result.
func Run(ctx context.Context, o Options) []Result {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	d := &doctor{o: o, cfg: *o.Config, now: o.Now}
	defer func() {
		for i := len(d.closers) - 1; i >= 0; i-- {
			d.closers[i]()
		}
	}()
	for _, check := range []func(context.Context){
		d.checkConfig, d.checkKeys, d.checkCerts, d.checkDatabase, d.checkGateway, d.checkClock,
		d.checkAlipayCerts, d.checkWeChat, d.checkRedis, d.checkNATS, d.checkPublicURL, d.checkTLS, d.checkFileModes,
	} {
		check(ctx)
	}
	return d.results
}

func (d *doctor) add(r Result) { d.results = append(d.results, r) }

// timeout is ctx bounded by Options.Timeout, for one network check.
func (d *doctor) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.o.Timeout)
}

// Failed reports whether any check failed (warnings do not fail).
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Status == Fail {
			return true
		}
	}
	return false
}

// Print writes one line per check, its mark, name and detail, and under each that warns
// or fails its fix; then a count.
func Print(w io.Writer, rs []Result) {
	width := 0
	for _, r := range rs {
		width = max(width, len(r.Name))
	}
	count := map[Status]int{}
	for _, r := range rs {
		count[r.Status]++
		fmt.Fprintf(w, "%s %-*s  %s\n", r.Status.Mark(), width, r.Name, r.Detail)
		if r.Fix != "" && r.Status != OK {
			fmt.Fprintf(w, "  %*s  fix: %s\n", width, "", r.Fix)
		}
	}
	parts := []string{fmt.Sprintf("%d passed", count[OK])}
	for _, s := range []struct {
		st   Status
		name string
	}{{Warn, "warning"}, {Fail, "failed"}, {Skip, "skipped"}} {
		if n := count[s.st]; n > 0 {
			if n > 1 && s.st == Warn {
				s.name += "s"
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, s.name))
		}
	}
	fmt.Fprintf(w, "%d checks: %s\n", len(rs), strings.Join(parts, ", "))
}

// madeUpOrder is an out_trade_no no merchant uses: doctor_ and 16 random hex digits.
func madeUpOrder() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "doctor_" + hex.EncodeToString(b)
}

// day formats a certificate date for people.
func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
