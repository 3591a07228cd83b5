#!/bin/sh
# The README's main job: installs what is missing, builds, and runs Certbench, the desktop app.
# On first start the app runs the local sandbox in-process (demo seed, data in
# $XDG_DATA_HOME/certbench/sandbox), so nothing needs configuring.
# `sh build-aux/run.sh sandbox [options]` runs the sandbox on its own instead (for the CLI,
# curl or a second app instance).
set -eu
cd "$(dirname "$0")/.."

sh build-aux/setup.sh

BUILD=${BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" -Ddevelopment=true
fi
meson compile -C "$BUILD"

if [ "${1:-}" = "sandbox" ]; then
  shift
  DATA_DIR=${CERTBENCH_SANDBOX_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/certbench/sandbox}
  exec "$BUILD/src/sandbox/certbench-sandbox" --seed demo --data-dir "$DATA_DIR" "$@"
fi

# The schema is compiled into the build dir; the app is not installed.
GSETTINGS_SCHEMA_DIR="$(cd "$BUILD" && pwd)/data${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
export GSETTINGS_SCHEMA_DIR
exec "$BUILD/src/app/certbench" "$@"
