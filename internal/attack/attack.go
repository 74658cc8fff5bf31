// Package attack is the security suite (docs/security.md): it builds the real f2fpay binary,
// runs `f2fpay demo` as a child process, throws forged and malformed inputs at the merchant
// API and the notify endpoint, and proves by a full database dump before and after that none
// was accepted and nothing changed. The same run checks that no secret reaches the program's
// logs and that real answers match api/openapi.yaml.
//
// The package has no code of its own. Its tests are attack_test.go (the suite and its
// world) and attack_<family>_test.go, one file per family of attacks (CONTRIBUTING.md).
package attack
