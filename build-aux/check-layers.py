#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the code's layers from what the compiler produced (docs/DESIGN.md).

For each part's static library, every object file's undefined symbols that another object of
the same library defines make a "calls" edge between two source files; every
#include "x.h" of a header whose .c is in the same folder makes another. The check fails on:
  - a circle of calls or includes between files of one folder;
  - in src/sandbox, a file that calls or includes a file of a higher layer (LAYERS below);
  - a part that links a library it must not use (GTK in core, sandbox, devsim or cli);
  - a call that only one file of a part may make (ONE_CALLER below) from another file.
Usage: check-layers.py SOURCE_ROOT BUILD_ROOT
"""

import os
import re
import subprocess
import sys

PARTS = ["src/core", "src/sandbox", "src/devsim", "src/cli", "src/app"]
NO_GTK = ["src/core", "src/sandbox", "src/devsim", "src/cli"]

# The sandbox's layers, lowest first: (layer, file stems as regular expressions).
LAYERS = [
    ("codec", [r"cb-hub-query(-.*)?", r"cb-mqtt-packet", r"cb-sb-json", r"cb-sb-twin-json",
               r"cb-sb-validate", r"cb-sb-adr-ids", r"cb-sb-error", r"cb-sb-azure-hosts",
               r"cb-sb-hub-query-sql"]),
    ("infrastructure", [r"cb-sb-world", r"cb-sb-store", r"cb-sb-sql", r"cb-sb-clock",
                        r"cb-sb-faults?", r"cb-sb-events", r"cb-sb-keys", r"cb-sb-net",
                        r"cb-sb-listener", r"cb-sb-client-hello", r"cb-sb-folder-lock",
                        r"cb-sb-tls", r"cb-sb-batch"]),
    ("state", [r"cb-sb-directory", r"cb-sb-topology", r"cb-sb-activity", r"cb-sb-dps-cache",
               r"cb-sb-adr-store", r"cb-sb-.*-store", r"cb-sb-hub", r"cb-sb-dps"]),
    ("domain", [r"cb-sb-ca", r"cb-sb-issuance", r"cb-sb-verdict", r"cb-sb-sas", r"cb-sb-adr(-.*)?",
                r"cb-sb-lro", r"cb-sb-paging", r"cb-sb-dps-register", r"cb-sb-dps-x509", r"cb-sb-dps-x509-groups",
                r"cb-sb-operations?",
                r"cb-sb-ca-byor"]),
    ("surface", [r"cb-sb-request", r"cb-sb-reply", r"cb-sb-router", r"cb-sb-auth",
                 r"cb-sb-routes-.*", r"cb-sb-mqtt(-.*)?", r"cb-sb-info",
                 r"cb-sb-preconditions", r"cb-sb-arm-.*", r"cb-sb-workers"]),
    ("assembly", [r"cb-sandbox", r"cb-sandbox-private", r"cb-sb-modules", r"cb-sandbox-seed",
                  r"cb-sandbox-seed-fleet",
                  r"cb-sb-seed", r"cb-sandbox-profile", r"cb-sandbox-service", r"cb-sandbox-hosts",
                  r"cb-sb-adr-module", r"main"]),
]


def layer_of(stem):
    # The most specific match wins: an exact name before a pattern with a wildcard.
    best = None
    for index, (_, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if re.fullmatch(pattern, stem):
                exact = not any(ch in pattern for ch in ".*?(")
                if best is None or (exact and not best[1]):
                    best = (index, exact)
    return None if best is None else best[0]


# A class split Text Editor style (editor-window.c, editor-window-actions.c and
# editor-window-private.h) is one module: its parts call each other through the private header.
# Parts are regular expressions of file stems.
SPLIT_CLASSES = {
    "cb-registry-page": [r"cb-registry-page-actions", r"cb-registry-activity",
                         r"cb-registry-policy-pane", r"cb-registry-page-namespaces"],
    "cb-bench-page": [r"cb-bench-page-.*"],
    "cb-registry-ca-pane": [r"cb-registry-ca-pane-actions", r"cb-registry-ca-pane-groups",
                            r"cb-registry-ca-pane-certs"],
    # The context and its sign-in (cb-context-private.h).
    "cb-context": [r"cb-context-sign-in"],
    # The run's state machine and its steps (they call back into it to pass or fail a step).
    "cb-provisioning-run": [r"cb-run-step-(identify|key|register|check-chain|install|prove|hub)"],
}


def whole_of(stem):
    for whole, parts in SPLIT_CLASSES.items():
        if any(re.fullmatch(part, stem) for part in parts):
            return whole
    return stem


def module_of(stem):
    # foo-private.h is part of foo: it is the struct and the functions foo's own files share.
    if stem.endswith("-private"):
        stem = stem[:-len("-private")]
    return whole_of(stem)


def stems_in(folder):
    stems = set()
    for name in os.listdir(folder):
        if name.endswith((".c", ".h")):
            stems.add(name[:-2])
    return stems


# What the layers allow across them on purpose: a part's public header names the types every
# layer uses (CbSandbox, the portable device's structs), and any layer may type-check its
# world handle.
ALLOWED = {("*", "cb-sandbox", "includes"), ("*", "cbd-device", "includes"), ("*", "cb-sandbox", "calls cb_sandbox_get_type"),
           ("*", "cb-sandbox", "calls cb_sandbox_error_quark")}


def allowed(edge):
    a, b, how = edge
    return (a, b, how) in ALLOWED or ("*", b, how) in ALLOWED


def include_edges(folder, stems):
    # Only headers of a module with code count: a header of declarations alone (an umbrella,
    # the module inits) is checked through the calls to what it declares.
    with_code = {module_of(name[:-2]) for name in os.listdir(folder) if name.endswith(".c")}
    stems = {stem for stem in stems if module_of(stem) in with_code}
    edges = set()
    for name in os.listdir(folder):
        if not name.endswith((".c", ".h")):
            continue
        src = name[:-2]
        with open(os.path.join(folder, name), encoding="utf-8") as f:
            for line in f:
                m = re.match(r'\s*#\s*include\s+"([^"]+)\.h"', line)
                if m and m.group(1) in stems and module_of(m.group(1)) != module_of(src):
                    edges.add((module_of(src), module_of(m.group(1)), "includes"))
    return edges


# Calls that one file of a part makes for the whole part: (part, symbol) → that file's stem.
ONE_CALLER = {
    # libadwaita 1.2's toast use-after-free (src/app/cb-toasts.c): every toast goes through
    # cb_toast_overlay_add_kind or cb_preferences_window_add_kind.
    ("src/app", "adw_toast_overlay_add_toast"): "cb-toasts",
    ("src/app", "adw_preferences_window_add_toast"): "cb-toasts",
}


def one_caller_problems(part, library):
    out = subprocess.run(["nm", "-A", "-u", library], capture_output=True, text=True,
                         check=True).stdout
    problems = []
    for line in out.splitlines():
        m = re.match(r".*?([^/:]+)\.c\.o:\s+U\s+(\S+)$", line)
        if not m:
            continue
        stem, symbol = m.groups()
        caller = ONE_CALLER.get((part, symbol))
        if caller is not None and stem != caller:
            problems.append(f"{part}: {stem} calls {symbol}; only {caller} may")
    return problems


def call_edges(library):
    out = subprocess.run(["nm", "-A", library], capture_output=True, text=True, check=True).stdout
    defined, undefined = {}, []
    for line in out.splitlines():
        m = re.match(r".*?([^/:]+)\.c\.o:\s*(?:[0-9a-f]+)?\s+([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        stem, kind, symbol = m.groups()
        if kind == "U":
            undefined.append((stem, symbol))
        elif kind in "TDBRGS":
            defined[symbol] = stem
    edges = set()
    for stem, symbol in undefined:
        target = defined.get(symbol)
        if target is not None and module_of(target) != module_of(stem):
            edges.add((module_of(stem), module_of(target), "calls " + symbol))
    return edges


def circles(edges):
    graph = {}
    for a, b, _ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def main():
    source_root, build_root = sys.argv[1], sys.argv[2]
    problems = []
    for part in PARTS:
        folder = os.path.join(source_root, part)
        libdir = os.path.join(build_root, part)
        if not os.path.isdir(libdir):
            continue  # not built (-Dapp=false)
        libraries = [os.path.join(libdir, n) for n in os.listdir(libdir) if n.endswith(".a")]
        stems = stems_in(folder)
        edges = include_edges(folder, stems)
        for library in libraries:
            edges |= call_edges(library)
            problems += one_caller_problems(part, library)
        edges = {e for e in edges if not allowed(e)}
        for component in circles(edges):
            detail = [f"    {a} {how} → {b}" for a, b, how in sorted(edges)
                      if a in component and b in component]
            problems.append(f"{part}: a circle between {', '.join(component)}:\n" + "\n".join(detail[:12]))
        if part == "src/sandbox":
            for a, b, how in sorted(edges):
                la, lb = layer_of(a), layer_of(b)
                if la is None or lb is None:
                    missing = a if la is None else b
                    problems.append(f"{part}: {missing} has no layer (add it to LAYERS in {sys.argv[0]})")
                elif lb > la:
                    problems.append(f"{part}: {a} ({LAYERS[la][0]}) {how} {b} ({LAYERS[lb][0]}), a higher layer")
        if part in NO_GTK:
            for library in libraries:
                out = subprocess.run(["nm", "-u", library], capture_output=True, text=True).stdout
                gtk = sorted({s for s in out.split() if s.startswith(("gtk_", "adw_", "gdk_"))})
                if gtk:
                    problems.append(f"{part}: calls GTK ({', '.join(gtk[:5])})")
    for problem in dict.fromkeys(problems):
        print(problem)
    print(f"{len(dict.fromkeys(problems))} layer problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
