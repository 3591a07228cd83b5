#!/bin/sh
# Installs Microsoft's Node SDKs for the compatibility tests (tests/compat), exactly the
# versions tests/compat/package-lock.json pins, into tests/compat/node_modules. Node and npm
# come from Debian when missing. Safe to run every time: a stamp of the lock file's hash
# skips the install when nothing changed. When npm cannot reach its registry this says so
# and goes on: the compatibility tests then skip, with that reason.
set -eu
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing: nodejs npm" >&2
  $SUDO apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm >&2
fi

dir=tests/compat
stamp="$dir/node_modules/.certbench-lock-sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi

echo "setup: installing the pinned npm packages of tests/compat" >&2
if (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2; then
  echo "$want" > "$stamp"
else
  rm -rf "$dir/node_modules"
  echo "setup: npm could not install tests/compat's packages; the compatibility tests will skip" >&2
fi
