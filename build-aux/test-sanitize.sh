#!/bin/sh
# The sanitizer pass of the README's test command (build-aux/test.sh calls it after the normal
# run): builds Certbench with AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer
# in a build dir of its own and runs the tests there headless, like test.sh does. Any finding
# fails the test that made it. Prints the meson test logs it wrote (for count-tests.py) on
# stdout; everything else goes to stderr.
#
#   sh build-aux/test-sanitize.sh [<test-name>...]
#   sh build-aux/test-sanitize.sh --list     # configures only; prints the tests a whole pass runs
#
# The build is configured with -Dapp=false: core, sandbox, devsim and CLI without GTK, so every
# CI run also proves that option builds and passes. Without test names it runs that build's
# whole suite (the displayless one), with leak checks. The app's display tests are not part of
# this pass (GTK, fontconfig, Pango and Mesa keep caches until exit that LeakSanitizer cannot
# tell from leaks). SANITIZE_BUILD_DIR (default build-asan) names the build dir.
set -u
cd "$(dirname "$0")/.."

BUILD=${SANITIZE_BUILD_DIR:-build-asan}
SRC=$(pwd)
LOGDIR="$BUILD/meson-logs"

if [ ! -f "$BUILD/build.ninja" ]; then
  # b_lundef=false: the sanitizer runtimes resolve some symbols only at run time.
  meson setup "$BUILD" --werror -Ddevelopment=true -Dapp=false \
    -Db_sanitize=address,undefined -Db_lundef=false >&2 || { echo "$LOGDIR/testlog-sanitize.json"; exit 1; }
elif ! grep -q '"name": "app", "value": false' "$BUILD/meson-info/intro-buildoptions.json" 2>/dev/null; then
  # A build dir from before the pass left the app out.
  meson configure "$BUILD" -Dapp=false >&2 || { echo "$LOGDIR/testlog-sanitize.json"; exit 1; }
fi
if [ "${1:-}" != --list ]; then
  rm -f "$LOGDIR"/testlog-sanitize*.json
  meson compile -C "$BUILD" >&2 || { echo "$LOGDIR/testlog-sanitize.json"; exit 1; }
fi

# Not worth the sanitizer's time: they run no code of ours (shell checks of files).
SKIP="check-potfiles check-flatpak"
# Wall-clock checks that the sanitizer's 2-3x slowdown breaks (not memory checks) skip
# themselves in this build: cb_test_skip_under_sanitizer() in tests/cb-test-sandbox.c. So the
# pass is one meson run, and both cores stay busy to its end.

list_suite () {
  # "project:suite / name" with several suites, a bare name with one (as with -Dapp=false).
  for t in $(meson test -C "$BUILD" --no-rebuild --list --suite "$1" 2>/dev/null |
             sed 's/.* \/ //'); do
    case " $SKIP " in *" $t "*) ;; *) echo "$t" ;; esac
  done
}

if [ "${1:-}" = --list ]; then
  list_suite displayless
  exit 0
elif [ $# -gt 0 ]; then
  ALL="$*"
else
  ALL="$(list_suite displayless)"
fi
if [ -z "$(echo $ALL)" ]; then
  # A pass that runs nothing must not look like a pass that found nothing.
  echo "sanitizer pass: no tests found in $BUILD" >&2
  echo "$LOGDIR/testlog-sanitize.json"
  exit 1
fi

# halt_on_error: the first finding ends the test with a failure (UBSan included: the build
# keeps recovery on, the run turns it off). fast_unwind_on_malloc=0: allocation stacks through
# libraries built without frame pointers (Debian's GLib, GIO, libsoup), which lsan.supp matches
# on. That slow unwinder runs at every malloc and free and is most of the pass's time: 20 frames
# reach every suppressed caller (the deepest seen is 12 frames down: soup_server_listen) at
# about 60 % of the CPU 30 frames cost. GLib 2.74 still has GSlice: plain malloc, so ASan
# sees every block.
ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=20:halt_on_error=1:exitcode=86:detect_stack_use_after_return=0:print_summary=1"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:print_summary=1"
LSAN_OPTIONS="suppressions=$SRC/build-aux/lsan.supp:print_suppressions=0"
G_SLICE=always-malloc
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS G_SLICE

TEST_HOME=$(mktemp -d)
trap 'rm -rf "$TEST_HOME"' EXIT INT TERM

run () {
  HOME="$TEST_HOME" XDG_DATA_HOME="$TEST_HOME/.local/share" \
  XDG_CONFIG_HOME="$TEST_HOME/.config" XDG_CACHE_HOME="$TEST_HOME/.cache" \
  XDG_RUNTIME_DIR="$TEST_HOME/run" \
    xvfb-run -a -s "-screen 0 1280x1024x24" dbus-run-session -- \
    sh build-aux/run-suite.sh "$BUILD" --no-rebuild --timeout-multiplier 3 "$@" >&2
}

start=$(date +%s)
status=0
# shellcheck disable=SC2086
run --logbase testlog-sanitize $ALL || status=1
echo "sanitizer pass: $(( $(date +%s) - start )) s" >&2

echo "$LOGDIR/testlog-sanitize.json"
exit $status
