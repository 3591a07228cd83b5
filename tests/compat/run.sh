#!/bin/sh
# Runs one of tests/compat's Node test files against a sandbox of its own, as Azure.
#
# The run happens inside a network namespace and a mount namespace made for it: there the
# Azure host names resolve to the sandbox (a hosts file bind-mounted over /etc/hosts, seen by
# nothing outside) and the sandbox listens on Azure's ports, 443 and 8883 (--azure-hosts).
# Microsoft's SDKs run unchanged; all they are given is that mapping and the sandbox's CA
# (NODE_EXTRA_CA_CERTS), as docs/sandbox.md tells a user to do. Prints TAP.
#
# usage: run.sh CERTBENCH_SANDBOX TEST_FILE
set -u

sandbox=$1
test_file=$2
here=$(cd "$(dirname "$0")" && pwd)

skip ()
{
  echo "1..0 # SKIP $1"
  exit 0
}

bail ()
{
  echo "Bail out! $1"
  exit 1
}

if [ "${CB_COMPAT_INSIDE:-}" != 1 ]; then
  [ -f "$here/node_modules/.certbench-lock-sha256" ] ||
    skip "Microsoft's npm packages are not installed: build-aux/setup-compat.sh could not reach npm"
  command -v node >/dev/null 2>&1 || skip "node is not installed"
  flags="--net --mount"
  [ "$(id -u)" -eq 0 ] || flags="$flags --map-root-user"
  # shellcheck disable=SC2086
  unshare $flags true 2>/dev/null ||
    skip "this machine does not allow a network namespace (unshare $flags)"
  # shellcheck disable=SC2086
  CB_COMPAT_INSIDE=1 exec unshare $flags sh "$0" "$@"
fi

ip link set lo up || bail "could not bring up loopback in the test's network namespace"

work=$(mktemp -d)
pid=""
cleanup ()
{
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

data="$work/sandbox"
"$sandbox" --data-dir "$data" --seed demo --azure-hosts --port 0 >"$work/sandbox.log" 2>&1 &
pid=$!

base=""
i=0
while [ $i -lt 600 ]; do
  base=$(sed -n 's/.* is listening on \(https:[^ ]*\).*/\1/p' "$work/sandbox.log" | head -n 1)
  [ -n "$base" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/sandbox.log" >&2; bail "the sandbox did not start"; }
  sleep 0.1
  i=$((i + 1))
done
[ -n "$base" ] || { cat "$work/sandbox.log" >&2; bail "the sandbox did not start in 60 s"; }

"$sandbox" hosts --data-dir "$data" >"$work/hosts-lines" 2>&1 ||
  { cat "$work/hosts-lines" >&2; bail "certbench-sandbox hosts failed"; }
{
  echo "127.0.0.1       localhost"
  echo "::1             localhost"
  grep -v '^#' "$work/hosts-lines"
} >"$work/hosts"
mount --bind "$work/hosts" /etc/hosts || bail "could not bind-mount the test's hosts file"

export NODE_EXTRA_CA_CERTS="$data/sandbox-ca.pem"
export CB_SANDBOX_URL="$base"
export CB_SANDBOX_LOG="$work/sandbox.log"
cd "$here" || bail "no $here"
node --test-reporter=tap "$test_file"
status=$?
[ $status -eq 0 ] || { echo "# the sandbox's log:" >&2; sed 's/^/#   /' "$work/sandbox.log" >&2; }
exit $status
