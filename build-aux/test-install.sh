#!/bin/sh
# Installs the build into a throwaway DESTDIR and checks that the result is a usable install:
# the CLI runs from the installed prefix, and the desktop file, metainfo, icons and schema are
# where desktops and software centres look for them. TAP output.
# Usage: test-install.sh BUILD_DIR PREFIX DATADIR BINDIR APP_ID [app|noapp]
# noapp (a -Dapp=false build): the app and its desktop files are skipped, not checked.
set -u
build=$1 prefix=$2 datadir=$3 bindir=$4 app_id=$5 app=${6:-app}

dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT INT TERM

# Relative datadir/bindir options are under the prefix; absolute ones stand alone.
case $datadir in /*) share=$dest$datadir ;; *) share=$dest$prefix/$datadir ;; esac
case $bindir in /*) bin=$dest$bindir ;; *) bin=$dest$prefix/$bindir ;; esac

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip () { n=$((n + 1)); echo "ok $n # SKIP $1 (-Dapp=false)"; }
check_file () {
  if [ "$app" = noapp ]; then skip "$1"; return; fi
  if [ -s "$2" ]; then ok "$1"; else not_ok "$1 (missing: $2)"; fi
}

echo "1..10"

if DESTDIR=$dest meson install -C "$build" --no-rebuild --quiet >"$dest.log" 2>&1; then
  ok "meson install into DESTDIR"
else
  sed 's/^/# /' "$dest.log"
  not_ok "meson install into DESTDIR"
fi
rm -f "$dest.log"

if version=$("$bin/certbench-cli" --version 2>&1) && [ -n "$version" ]; then
  ok "installed certbench-cli --version runs: $version"
else
  echo "$version" | sed 's/^/# /'
  not_ok "installed certbench-cli --version runs"
fi

for exe in certbench certbench-sandbox certbench-devsim; do
  if [ "$exe" = certbench ] && [ "$app" = noapp ]; then skip "$exe installed"; continue; fi
  if [ -x "$bin/$exe" ]; then ok "$exe installed"; else not_ok "$exe installed ($bin/$exe)"; fi
done

check_file "desktop file" "$share/applications/$app_id.desktop"
check_file "metainfo" "$share/metainfo/$app_id.metainfo.xml"
check_file "app icon" "$share/icons/hicolor/scalable/apps/$app_id.svg"
check_file "symbolic icon" "$share/icons/hicolor/symbolic/apps/$app_id-symbolic.svg"
check_file "GSettings schema" "$share/glib-2.0/schemas/io.github.certbench.Certbench.gschema.xml"

exit $failed
