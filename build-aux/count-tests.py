#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints 'N passed, N failed' from meson's testlog.json (one or more: the counts add up).

Usage: count-tests.py [testlog.json ...]

meson counts test executables; we count what each one checked. A TAP test contributes its
'ok' and 'not ok' lines; a crash, a timeout, a non-zero exit or fewer results than its plan
('1..N') counts as a failure on top. A test that is not TAP counts as one.
"""
import json
import re
import sys

PLAN = re.compile(r'^1\.\.(\d+)')
OK = re.compile(r'^ok\b')
NOT_OK = re.compile(r'^not ok\b')
SKIP = re.compile(r'#\s*skip', re.IGNORECASE)
TODO = re.compile(r'#\s*todo', re.IGNORECASE)


def count(path):
    passed = failed = skipped = 0
    failures = []
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            name = entry.get('name', '?')
            result = entry.get('result', 'ERROR')
            out = entry.get('stdout') or ''
            is_tap = bool(re.search(r'^(1\.\.\d+|ok\b|not ok\b)', out, re.M))
            if not is_tap:
                if result in ('OK', 'EXPECTEDFAIL'):
                    passed += 1
                elif result == 'SKIP':
                    skipped += 1
                else:
                    failed += 1
                    failures.append(f'{name}: {result}')
                continue
            plan = None
            t_pass = t_fail = t_skip = 0
            for tline in out.splitlines():
                tline = tline.strip()
                m = PLAN.match(tline)
                if m:
                    plan = int(m.group(1))
                elif NOT_OK.match(tline):
                    if TODO.search(tline):
                        t_pass += 1
                    else:
                        t_fail += 1
                        failures.append(f'{name}: {tline}')
                elif OK.match(tline):
                    if SKIP.search(tline):
                        t_skip += 1
                    else:
                        t_pass += 1
            seen = t_pass + t_fail + t_skip
            if plan is not None and seen < plan:
                t_fail += plan - seen
                failures.append(f'{name}: {plan - seen} of {plan} planned results missing ({result})')
            elif result not in ('OK', 'SKIP', 'EXPECTEDFAIL') and t_fail == 0:
                t_fail += 1
                failures.append(f'{name}: {result}')
            passed += t_pass
            failed += t_fail
            skipped += t_skip
    return passed, failed, skipped, failures


def main():
    paths = sys.argv[1:] or ['build/meson-logs/testlog.json']
    passed = failed = skipped = 0
    for path in paths:
        try:
            p, f, s, failures = count(path)
        except FileNotFoundError:
            # A pass that did not even write its log (it failed to build) counts as a failure.
            print(f'no test log at {path}', file=sys.stderr)
            p, f, s, failures = 0, 1, 0, []
        # With several logs (the normal and the sanitizer pass), say which one failed.
        prefix = f'[{path}] ' if len(paths) > 1 else ''
        for failure in failures:
            print(f'FAILED {prefix}{failure}', file=sys.stderr)
        passed += p
        failed += f
        skipped += s
    if skipped:
        print(f'{passed} passed, {failed} failed, {skipped} skipped')
    else:
        print(f'{passed} passed, {failed} failed')
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
