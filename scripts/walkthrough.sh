#!/usr/bin/env bash
# One payment against a running `f2fpay demo`, with curl and openssl only: every merchant API
# request is signed by hand (docs/api.md, Authentication), the buyer pays through the sandbox, and the order is
# polled until paid. Usage: scripts/walkthrough.sh [path/to/demo.json]
set -euo pipefail
demo=${1:-./f2fpay-data/demo.json}
field() { sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" | head -n1; }
base=$(field base_url <"$demo"); app=$(field app_id <"$demo"); secret=$(field secret <"$demo")
alipay_app=$(field alipay_app_id <"$demo")

# call METHOD PATH [BODY]: a signed request to the merchant API.
call() {
  local method=$1 path=$2 body=${3:-} ts nonce bodyhash sig
  ts=$(date +%s)
  nonce=$(openssl rand -hex 16)
  bodyhash=$(printf '%s' "$body" | openssl dgst -sha256 -hex | sed 's/^.* //')
  sig=$(printf '%s\n%s\n%s\n%s\n%s\n%s' "$method" "${path%%\?*}" "$(query_of "$path")" "$ts" "$nonce" "$bodyhash" |
    openssl dgst -sha256 -hmac "$secret" -hex | sed 's/^.* //')
  curl -sS -X "$method" "$base$path" -H "X-App-Id: $app" -H "X-Timestamp: $ts" -H "X-Nonce: $nonce" \
    -H "X-Signature: $sig" -H 'Content-Type: application/json' ${body:+--data-binary "$body"}
}
# query_of PATH: the canonical query (this script only sends one already-sorted parameter).
query_of() { case $1 in *\?*) printf '%s' "${1#*\?}" ;; *) printf '' ;; esac; }

no="walk-$(date +%s)-$RANDOM"
echo "1. create order $no"
created=$(call POST /api/v1/payment/create "{\"out_trade_no\":\"$no\",\"total_amount\":\"9.90\",\"subject\":\"Cola\"}")
echo "   $created"
qr=$(printf '%s' "$created" | field qr_code)
[ -n "$qr" ] || { echo "no qr_code in the answer" >&2; exit 1; }
echo "   QR text: $qr"

echo "2. the buyer scans and pays in the sandbox"
curl -sS -X POST "$base/sandbox/api/pay" -H 'Content-Type: application/json' \
  -d "{\"app_id\":\"$alipay_app\",\"out_trade_no\":\"$no\"}" >/dev/null

echo "3. wait until f2fpay knows (Alipay's notification, confirmed by a query)"
for _ in $(seq 1 50); do
  order=$(call GET "/api/v1/payment/query/$no")
  status=$(printf '%s' "$order" | field status)
  if [ "$status" = paid ]; then
    echo "   $order"
    echo "paid: trade_no $(printf '%s' "$order" | field trade_no)"
    exit 0
  fi
  sleep 0.2
done
echo "order did not become paid: $order" >&2
exit 1
