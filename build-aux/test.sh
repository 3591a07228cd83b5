#!/bin/sh
# The README's test command: installs what is missing, builds with warnings as errors and
# runs the whole suite headless (Xvfb, a private D-Bus session with an unlocked keyring),
# then prints "N passed, N failed" counted from meson's test log.
set -u
cd "$(dirname "$0")/.."

sh build-aux/setup.sh || exit 1
# Microsoft's Node SDKs, pinned, for the compatibility tests (tests/compat): the test
# command's own, so running the app never downloads them.
sh build-aux/setup-compat.sh || exit 1

BUILD=${BUILD_DIR:-build}
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --werror -Ddevelopment=true >&2 || exit 1
fi
meson compile -C "$BUILD" >&2 || { echo "0 passed, 1 failed"; exit 1; }

# The sanitizer pass (ASan + UBSan, its own build dir) comes after this one: on a whole-suite
# run, or with CB_SANITIZE=1 also for the named tests; CB_SANITIZE=0 leaves it out.
SANITIZE=0
if [ "${CB_SANITIZE:-}" = 1 ] || { [ -z "${CB_SANITIZE:-}" ] && [ $# -eq 0 ]; }; then
  SANITIZE=1
fi

# On a whole-suite run with the sanitizer pass, each displayless test runs once, in that pass
# (the stricter build, and the same code: core, sandbox, devsim and CLI do not change with the
# app). This pass runs the rest: the display and compat suites, what the sanitizer build does
# not have (the app's file checks, the benchmarks' smoke runs) and the tests whose wall-clock
# cases skip themselves under the sanitizer (suite 'wallclock').
if [ $SANITIZE = 1 ] && [ $# -eq 0 ]; then
  NORMAL=$(/usr/bin/python3 build-aux/normal-pass.py "$BUILD" \
             "$(sh build-aux/test-sanitize.sh --list)") || { echo "0 passed, 1 failed"; exit 1; }
  # shellcheck disable=SC2086
  set -- $NORMAL
  WHOLE=1
fi

# A throwaway HOME so tests never touch the user's keyring, settings or data.
TEST_HOME=$(mktemp -d)
trap 'rm -rf "$TEST_HOME"' EXIT INT TERM

HOME="$TEST_HOME" XDG_DATA_HOME="$TEST_HOME/.local/share" \
XDG_CONFIG_HOME="$TEST_HOME/.config" XDG_CACHE_HOME="$TEST_HOME/.cache" \
XDG_RUNTIME_DIR="$TEST_HOME/run" \
  xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- \
  sh build-aux/run-suite.sh "$BUILD" "$@" >&2
status=$?

LOGS="$BUILD/meson-logs/testlog.json"
if [ $SANITIZE = 1 ]; then
  if [ "${WHOLE:-0}" = 1 ]; then
    SANITIZE_LOGS=$(sh build-aux/test-sanitize.sh) || status=1
  else
    SANITIZE_LOGS=$(sh build-aux/test-sanitize.sh "$@") || status=1
  fi
  LOGS="$LOGS $SANITIZE_LOGS"
fi

# shellcheck disable=SC2086
/usr/bin/python3 build-aux/count-tests.py $LOGS
count_status=$?
if [ $status -ne 0 ] || [ $count_status -ne 0 ]; then
  exit 1
fi
exit 0
