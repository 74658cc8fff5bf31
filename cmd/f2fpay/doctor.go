package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/f2fpay/f2fpay/internal/config"
	"github.com/f2fpay/f2fpay/internal/doctor"
)

// runDoctor is `f2fpay doctor [--config F | --data-dir D]`: it checks serve's
// configuration (the YAML file and F2FPAY_*), or a demo's setup against its own sandbox,
// prints one line per check and exits 1 when any failed (warnings do not fail).
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "YAML configuration file of serve (settings also come from F2FPAY_* env)")
	dataDir := fs.String("data-dir", "", "a demo's data dir: check the demo's setup against its sandbox instead")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || (*configPath != "" && *dataDir != "") {
		return fail(stderr, "usage: f2fpay doctor [--config f2fpay.yaml | --data-dir DIR]")
	}
	o := doctor.Options{ConfigPath: *configPath, Getenv: os.Getenv}
	var err error
	if *dataDir != "" {
		fmt.Fprintf(stdout, "f2fpay doctor: the demo in %s, against its own sandbox\n", *dataDir)
		o.Config, o.SecretFiles, err = demoConfig(*dataDir)
		o.Local, o.ConfigPath = true, ""
	} else {
		what := "the F2FPAY_* environment"
		if *configPath != "" {
			what = *configPath + " and " + what
		}
		fmt.Fprintf(stdout, "f2fpay doctor: serve's configuration from %s\n", what)
		o.Config, err = config.Load(*configPath, os.Getenv)
	}
	var rs []doctor.Result
	if err != nil {
		rs = []doctor.Result{{Name: "configuration", Status: doctor.Fail, Detail: err.Error(),
			Fix: "correct what is named (README.md, Configuration, lists every setting)"}}
	} else {
		rs = doctor.Run(ctx, o)
	}
	doctor.Print(stdout, rs)
	if doctor.Failed(rs) {
		return 1
	}
	return 0
}
