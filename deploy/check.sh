#!/bin/sh
# Validates deploy/prometheus/f2fpay.rules.yml and runs its unit tests
# (f2fpay.rules_test.yml) with promtool, which Debian's prometheus package ships.
# CI runs it; so can anyone: deploy/check.sh (PROMTOOL=/path/to/promtool to override).
set -eu
cd "$(dirname "$0")/prometheus"
promtool=${PROMTOOL:-promtool}
if ! command -v "$promtool" >/dev/null 2>&1; then
	echo "check.sh: $promtool not found; install it with: apt-get install -y prometheus" >&2
	exit 1
fi
"$promtool" check rules f2fpay.rules.yml
"$promtool" test rules f2fpay.rules_test.yml
