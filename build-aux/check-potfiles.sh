#!/bin/sh
# Every source file with a translatable string must be listed in po/POTFILES.in, every
# listed file must exist, and every message they hold has a German translation (po/de.po),
# so a German user meets no English. TAP output.
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

echo "1..3"
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

# The messages as meson's glib preset extracts them (po/meson.build), merged into de.po.
if ! command -v xgettext >/dev/null 2>&1 || ! command -v msgmerge >/dev/null 2>&1; then
  echo "ok 3 # SKIP xgettext or msgmerge is not installed"
  exit 0
fi
pot=$(mktemp)
merged=$(mktemp)
trap 'rm -f "$want" "$have" "$pot" "$merged"' EXIT
xgettext --files-from=po/POTFILES.in --directory=. --output="$pot" --from-code=UTF-8 \
  --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format 2>/dev/null
msgmerge --quiet --no-fuzzy-matching --output-file="$merged" po/de.po "$pot"
untranslated=$(msgattrib --untranslated --no-obsolete "$merged" | grep -c '^msgid ' || true)
fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$merged" | grep -c '^msgid ' || true)
# msgattrib prints the header entry with either list, when the list is not empty.
[ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
[ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
if [ "$untranslated" -eq 0 ] && [ "$fuzzy" -eq 0 ]; then
  echo "ok 3 every message has a German translation"
else
  echo "not ok 3 po/de.po lacks $untranslated messages and has $fuzzy fuzzy ones" \
    "(msgmerge po/de.po with the messages of po/POTFILES.in)"
  msgattrib --untranslated --no-obsolete "$merged" | grep -A1 '^msgid ' | grep '^msgid ' |
    sed -n '2,21p' | sed 's/^/# untranslated: /'
fi
