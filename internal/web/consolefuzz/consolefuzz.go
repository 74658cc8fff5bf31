// Package consolefuzz fuzzes the console's form handlers. It is a package of its own so
// that its test binary does not link the browser driver, the simulator and the Alipay SDK
// that the web package's tests use: fuzzing instruments every linked package and compares
// all their coverage counters after each execution.
//
// The package has no code of its own; the fuzz target is in consolefuzz_test.go.
package consolefuzz
