// Package notifyfuzz fuzzes the payment core's notification path. It is a package of its
// own so that its test binary links only the core, SQLite and the secret box: fuzzing
// instruments every linked package and compares all their coverage counters after each
// execution, and the payment package's own tests link the Alipay SDK, the simulator and
// Gin as well, which made every execution several times slower.
//
// The package has no code of its own; the fuzz target is in notifyfuzz_test.go.
package notifyfuzz
