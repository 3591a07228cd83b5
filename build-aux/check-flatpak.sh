#!/bin/sh
# TAP test for the Flatpak manifests: flatpak-builder parses both without a word on stderr,
# every downloaded source is pinned by sha256, the sandbox permissions are the documented ones,
# and the release and Devel manifests differ only in the app id and the app's meson options.
# usage: check-flatpak.sh SOURCE_ROOT
set -u

root=$(cd "${1:?usage: check-flatpak.sh SOURCE_ROOT}" && pwd)
release="$root/flatpak/io.github.certbench.Certbench.json"
devel="$root/flatpak/io.github.certbench.Certbench.Devel.json"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "1..6"

if ! command -v flatpak-builder >/dev/null 2>&1; then
  for i in 1 2 3 4 5 6; do
    echo "not ok $i - flatpak-builder is not installed (build-aux/setup.sh installs it)"
  done
  exit 1
fi

n=0
for kind in release devel; do
  n=$((n + 1))
  eval "file=\$$kind"
  # --show-manifest parses the manifest (comments included) and prints it as plain JSON.
  # Run it in the scratch folder: flatpak-builder makes a .flatpak-builder state folder in the cwd.
  if (cd "$tmp" && flatpak-builder --show-manifest "$file") >"$tmp/$kind.json" 2>"$tmp/$kind.err" \
     && [ ! -s "$tmp/$kind.err" ] && [ -s "$tmp/$kind.json" ]; then
    echo "ok $n - flatpak-builder --show-manifest $(basename "$file"): no errors or warnings"
  else
    echo "not ok $n - flatpak-builder --show-manifest $(basename "$file")"
    sed 's/^/# /' "$tmp/$kind.err"
  fi
done

/usr/bin/python3 - "$tmp/release.json" "$tmp/devel.json" 3 <<'PYEOF'
import copy, json, re, sys

first = int(sys.argv[3])
results = []

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return None

release = load(sys.argv[1])
devel = load(sys.argv[2])

def modules(manifest):
    stack = list(manifest.get("modules", []))
    while stack:
        m = stack.pop(0)
        if isinstance(m, str):
            yield {"name": m, "sources": []}   # an included file: not used here
            continue
        yield m
        stack.extend(m.get("modules", []))

def check_pinned():
    problems = []
    for name, manifest in (("release", release), ("devel", devel)):
        if manifest is None:
            return ["the %s manifest did not parse" % name]
        for m in modules(manifest):
            for s in m.get("sources", []):
                if isinstance(s, str):
                    problems.append("%s: %s: source file %s cannot be checked" % (name, m["name"], s))
                    continue
                if s.get("type") in ("archive", "file") and "url" in s:
                    if not re.fullmatch(r"[0-9a-f]{64}", s.get("sha256", "")):
                        problems.append("%s: %s: %s has no sha256" % (name, m["name"], s["url"]))
                if s.get("type") == "git" and not s.get("commit"):
                    problems.append("%s: %s: git source without a commit" % (name, m["name"]))
    return problems

def check_permissions():
    problems = []
    want = {"--socket=wayland", "--socket=fallback-x11", "--share=ipc", "--device=dri",
            "--share=network", "--device=all", "--talk-name=org.freedesktop.secrets"}
    for name, manifest in (("release", release), ("devel", devel)):
        if manifest is None:
            return ["the %s manifest did not parse" % name]
        args = manifest.get("finish-args", [])
        got = set(args)
        if got != want:
            problems.append("%s: finish-args missing %s, unexpected %s"
                            % (name, sorted(want - got), sorted(got - want)))
        for a in args:
            if a.startswith("--filesystem") or a.startswith("--socket=x11") or a == "--socket=session-bus":
                problems.append("%s: %s is not allowed" % (name, a))
        if manifest.get("runtime") != "org.gnome.Platform" or manifest.get("sdk") != "org.gnome.Sdk":
            problems.append("%s: not on the GNOME runtime and SDK" % name)
        if manifest.get("command") != "certbench":
            problems.append("%s: command is not certbench" % name)
    return problems

def strip(manifest):
    m = copy.deepcopy(manifest)
    app_id = m.pop("id", None) or m.pop("app-id", None)
    for mod in modules(m):
        if mod.get("name") == "certbench":
            mod.pop("config-opts", None)
    return app_id, m

def check_agree():
    if release is None or devel is None:
        return ["a manifest did not parse"]
    problems = []
    rid, r = strip(release)
    did, d = strip(devel)
    if rid != "io.github.certbench.Certbench":
        problems.append("release id is %s" % rid)
    if did != rid + ".Devel":
        problems.append("devel id is %s" % did)
    if r != d:
        problems.append("the manifests differ beyond id and the certbench module's config-opts")
    def opts(manifest):
        for mod in modules(manifest):
            if mod.get("name") == "certbench":
                return mod.get("config-opts", [])
        return None
    if "-Ddevelopment=true" not in (opts(devel) or []):
        problems.append("the Devel manifest does not configure -Ddevelopment=true")
    if "-Ddevelopment=true" in (opts(release) or []):
        problems.append("the release manifest configures -Ddevelopment=true")
    return problems

def check_own_module():
    problems = []
    for name, manifest in (("release", release), ("devel", devel)):
        if manifest is None:
            return ["the %s manifest did not parse" % name]
        mods = list(modules(manifest))
        if not mods or mods[-1].get("name") != "certbench":
            problems.append("%s: certbench is not the last module" % name)
            continue
        srcs = mods[-1].get("sources", [])
        if srcs != [s for s in srcs if s.get("type") == "dir" and s.get("path") == ".."] or not srcs:
            problems.append("%s: certbench is not built from the checkout (dir ..)" % name)
        if mods[-1].get("buildsystem") != "meson":
            problems.append("%s: certbench is not a meson module" % name)
        if not any(m.get("name") == "libcbor" for m in mods):
            problems.append("%s: no libcbor module (not in the GNOME runtime)" % name)
    return problems

for desc, fn in (("every archive and file source is pinned by sha256", check_pinned),
                 ("finish-args are exactly the documented permissions, no filesystem access", check_permissions),
                 ("release and Devel manifests agree except id and config-opts", check_agree),
                 ("modules: libcbor, then certbench from the checkout with meson", check_own_module)):
    problems = fn()
    print("%s %d - %s" % ("ok" if not problems else "not ok", first, desc))
    for p in problems:
        print("# " + p)
    first += 1
PYEOF
