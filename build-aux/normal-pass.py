#!/usr/bin/env python3
"""normal-pass.py BUILD SANITIZED: the tests the normal pass of a whole-suite run takes, one per
line: every test of BUILD except those the sanitizer pass runs (SANITIZED: its list, one name
per line, from `test-sanitize.sh --list`), but with the tests of suite 'wallclock' kept, whose
wall-clock cases skip themselves under the sanitizer. Fails when a test source calls
cb_test_skip_under_sanitizer() and its test is not in suite 'wallclock': those cases would
then run nowhere."""
import json
import os
import re
import subprocess
import sys

build, sanitized = sys.argv[1], set(sys.argv[2].split())
if not sanitized:
    sys.exit("normal-pass.py: the sanitizer pass lists no tests")

tests = json.loads(subprocess.check_output(["meson", "introspect", build, "--tests"], text=True))
# Suites read "project:suite" in meson's introspection.
wallclock = {t["name"] for t in tests
             if any(s.split(":")[-1] == "wallclock" for s in t["suite"])}

# Every test whose sources call the skip: the test named like its main source file.
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests")
missing = []
for name in sorted(os.listdir(here)):
    if name.startswith("test-") and name.endswith(".c"):
        with open(os.path.join(here, name), encoding="utf-8") as f:
            if re.search(r"\bcb_test_skip_under_sanitizer\s*\(", f.read()):
                if name[:-2] not in wallclock:
                    missing.append(name[:-2])
if missing:
    sys.exit("normal-pass.py: %s call cb_test_skip_under_sanitizer() but are not in suite "
             "'wallclock' (tests/meson.build)" % ", ".join(missing))

for t in tests:
    if t["name"] not in sanitized or t["name"] in wallclock:
        print(t["name"])
