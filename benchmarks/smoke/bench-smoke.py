#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench-smoke: runs one benchmark at a tiny size and checks that it still works.

A benchmark nobody runs rots: an API changes under it and it crashes, or a figure turns into
nan. This runs BENCHMARK ARGS... (a tiny size the benchmark accepts), shows its output, and
passes only when it exits 0 and its output has a line matching PATTERN (a Python regex, its
ratio line) whose figures are all finite numbers. Exit 77 (meson's skip) is passed on: a
benchmark says so when what it compares with is missing. The timing itself is not checked.

Run: benchmarks/smoke/bench-smoke.py PATTERN BENCHMARK [ARGS...]
"""
import re
import subprocess
import sys

# A figure that is not a number: printf's and Python's spellings, "x" (a ratio) after it or not.
NOT_A_NUMBER = re.compile(r"(?<![A-Za-z])[-+]?(?i:nan|inf(?:inity)?)(?![A-WYZa-wyz])")


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    pattern = re.compile(sys.argv[1])
    command = sys.argv[2:]

    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          stdin=subprocess.DEVNULL, check=False)
    output = proc.stdout.decode("utf-8", errors="replace")
    sys.stdout.write(output)
    sys.stdout.flush()

    if proc.returncode == 77:
        print(f"bench-smoke: {command[0]} skipped itself (77)")
        return 77
    if proc.returncode != 0:
        how = (f"signal {-proc.returncode}" if proc.returncode < 0
               else f"exit status {proc.returncode}")
        print(f"bench-smoke: FAIL: {command[0]} ended with {how}")
        return 1
    lines = [line for line in output.splitlines() if pattern.search(line)]
    if not lines:
        print(f"bench-smoke: FAIL: no line matches {sys.argv[1]!r}")
        return 1
    for line in lines:
        if NOT_A_NUMBER.search(line):
            print(f"bench-smoke: FAIL: a figure is not a number: {line}")
            return 1
    print(f"bench-smoke: ok: {lines[-1].strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
