// Package e2e runs the f2fpay binary as a child process against a sandbox and a webhook
// receiver hosted in the test process: crashes, lost notifications and two instances
// sharing PostgreSQL, Redis and NATS (docs/architecture.md).
//
// The package has no code of its own. main_test.go builds the binary and the world the
// tests share; e2e_<scenario>_test.go hold one scenario each (CONTRIBUTING.md).
package e2e
