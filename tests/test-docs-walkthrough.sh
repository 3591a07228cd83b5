#!/bin/bash
# Runs the curl + openssl walk-through of docs/sandbox.md exactly as written, against a fresh
# sandbox with the demo seed, and checks what a reader is told to expect. TAP output.
# Usage: test-docs-walkthrough.sh SANDBOX_BINARY DOC
set -u
SANDBOX_BIN=$1
DOC=$2

WORK=$(mktemp -d)
cleanup () {
  [ -n "${SANDBOX_PID:-}" ] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "1..9"

"$SANDBOX_BIN" --seed demo --port 0 --lro-delay-ms 500 --data-dir "$WORK/data" > "$WORK/sandbox.out" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 100); do
  grep -q 'is listening on' "$WORK/sandbox.out" && break
  sleep 0.1
done
URL=$(sed -n 's/.*is listening on \(https:[^ ]*\).*/\1/p' "$WORK/sandbox.out")
if [ -z "$URL" ]; then
  echo "not ok 1 the sandbox started"
  sed 's/^/# /' "$WORK/sandbox.out"
  exit 1
fi
echo "ok 1 the sandbox started at $URL"

# The shell blocks between the walkthrough markers, in order, as one session.
sed -n '/<!-- walkthrough:begin -->/,/<!-- walkthrough:end -->/p' "$DOC" |
  awk '/^```sh$/ {on=1; next} /^```$/ {on=0; next} on {print}' > "$WORK/walkthrough.sh"

mkdir -p "$WORK/run"
(cd "$WORK/run" && SANDBOX_DIR="$WORK/data" B="$URL" bash -e "$WORK/walkthrough.sh") > "$WORK/out.txt" 2> "$WORK/err.txt"
status=$?
sed 's/^/# /' "$WORK/out.txt" | cut -c1-300 >&2
sed 's/^/# stderr: /' "$WORK/err.txt" >&2

check () {
  if grep -q -- "$2" "$WORK/out.txt"; then
    echo "ok $1 $3"
  else
    echo "not ok $1 $3 (expected to see: $2)"
  fi
}

if [ $status -eq 0 ]; then echo "ok 2 every command ran"; else echo "not ok 2 every command ran (exit $status)"; fi
check 3 'signed in: yes' 'device-code sign-in gave a token'
check 4 '"name":"demo-ns"' 'the demo namespace is listed'
check 5 '"validityPeriodInDays":14' 'the new policy exists with 14-day leaves'
check 6 'InvalidRequestContent' '120 days is refused'
check 7 'cert1.pem: OK' 'openssl verifies the chain DPS issued'
if grep -q '"verdict":"accepted"' "$WORK/out.txt" && grep -q '"verdict":"revoked-identifier"' "$WORK/out.txt"; then
  echo "ok 8 accepted before the revoke, revoked-identifier after"
else
  echo "not ok 8 accepted before the revoke, revoked-identifier after"
fi
check 9 'reason=walkthrough hello walk-sas' 'a SAS device with hub-made keys receives a cloud-to-device message'
