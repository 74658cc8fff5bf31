//go:build race

package worker

// raceBuild is true under the race detector, where the randomized ledger's 2,000 operations
// take many minutes; .ci/run runs it again without -race and prints its counts.
const raceBuild = true
