#!/bin/sh
# TAP test for the man pages: each page formats without a groff warning, and every long option
# (and command) the binary's own --help prints appears in its page, so a new option without
# documentation fails here.
# usage: check-man.sh BINARY PAGE [BINARY PAGE ...]
set -u

if [ $# -lt 2 ] || [ $(($# % 2)) -ne 0 ]; then
  echo "usage: check-man.sh BINARY PAGE [BINARY PAGE ...]" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "1..$(($# / 2 * 3))"
n=0
while [ $# -ge 2 ]; do
  bin=$1
  page=$2
  shift 2
  name=$(basename "$bin")

  n=$((n + 1))
  if ! command -v groff >/dev/null 2>&1; then
    echo "not ok $n - $name.1: groff is not installed (build-aux/setup.sh installs groff-base)"
    n=$((n + 2))
    continue
  fi
  # -ww: all warnings; -P-cbou: plain text without bold, underline or overstrike.
  LC_ALL=C groff -man -Tascii -ww -P-cbou "$page" >"$tmp/page.txt" 2>"$tmp/groff.err"
  rc=$?
  if [ $rc -eq 0 ] && [ ! -s "$tmp/groff.err" ] && [ -s "$tmp/page.txt" ]; then
    echo "ok $n - $name.1 formats without warnings"
  else
    echo "not ok $n - $name.1 formats without warnings (groff exit $rc)"
    sed 's/^/# /' "$tmp/groff.err"
  fi

  n=$((n + 1))
  upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
  problem=""
  grep -q "^\.TH $upper 1 " "$page" || problem="no .TH $upper 1"
  grep -q "^ *$name - " "$tmp/page.txt" || problem="$problem; no '$name - ' NAME line"
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES "SEE ALSO"; do
    grep -q "^\.SH \"*$section\"*\$" "$page" || problem="$problem; no section $section"
  done
  if [ -z "$problem" ]; then
    echo "ok $n - $name.1 has .TH $upper 1 and the standard sections"
  else
    echo "not ok $n - $name.1 has .TH $upper 1 and the standard sections"
    echo "# $problem"
  fi

  n=$((n + 1))
  if ! "$bin" --help >"$tmp/help.txt" 2>&1; then
    echo "not ok $n - every option in $name --help is in $name.1"
    echo "# $bin --help failed"
    continue
  fi
  # Options are the lines that start with blanks and a dash; take every --long-name on them.
  grep -E '^[[:space:]]+-' "$tmp/help.txt" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/opts"
  # Commands (certbench-cli): the first word of the lines indented by two under "Commands:".
  sed -n '/^Commands:/,/^$/p' "$tmp/help.txt" | grep -E '^  [a-z]' | awk '{ print $1 }' \
    | sort -u >>"$tmp/opts"
  missing=""
  count=0
  while read -r opt; do
    count=$((count + 1))
    # Whole option names only: --port must not be satisfied by --portal.
    grep -qE -- "$opt([^a-z0-9-]|\$)" "$tmp/page.txt" || missing="$missing $opt"
  done <"$tmp/opts"
  if [ "$count" -gt 0 ] && [ -z "$missing" ]; then
    echo "ok $n - every option in $name --help is in $name.1 ($count checked)"
  else
    echo "not ok $n - every option in $name --help is in $name.1"
    echo "# missing from $page:$missing (of $count)"
  fi
done
