#!/bin/sh
# The README's main job: installs what is missing, builds, and runs Certbench on the sandbox.
# Until the desktop app lands, the main job is the sandbox itself with the demo seed.
set -eu
cd "$(dirname "$0")/.."

sh build-aux/setup.sh

BUILD=${BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" -Ddevelopment=true
fi
meson compile -C "$BUILD"

DATA_DIR=${CERTBENCH_SANDBOX_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/certbench/sandbox}
exec "$BUILD/src/sandbox/certbench-sandbox" --seed demo --data-dir "$DATA_DIR" "$@"
