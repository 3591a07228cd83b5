#!/bin/sh
# Every source file with a translatable string must be listed in po/POTFILES.in, and every
# listed file must exist. TAP output.
cd "${1:-.}" || exit 1
want=$(mktemp)
have=$(mktemp)
trap 'rm -f "$want" "$have"' EXIT

git ls-files src ui data 2>/dev/null |
  grep -E '\.(c|ui|xml|in)$' |
  while read -r f; do
    if grep -qE '(^|[^A-Za-z0-9_])(_|N_|C_|ngettext)\(|translatable="yes"' "$f"; then
      echo "$f"
    fi
  done | sort > "$want"
grep -v '^#' po/POTFILES.in | sed '/^$/d' | sort > "$have"

echo "1..2"
missing=$(comm -23 "$want" "$have")
if [ -z "$missing" ]; then
  echo "ok 1 every file with translatable strings is in po/POTFILES.in"
else
  echo "not ok 1 files with translatable strings missing from po/POTFILES.in"
  echo "$missing" | sed 's/^/# missing: /'
fi
stale=""
while read -r f; do
  [ -f "$f" ] || stale="$stale $f"
done < "$have"
if [ -z "$stale" ]; then
  echo "ok 2 every file in po/POTFILES.in exists"
else
  echo "not ok 2 po/POTFILES.in lists files that do not exist:$stale"
fi
