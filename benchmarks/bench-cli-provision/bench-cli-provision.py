#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench-cli-provision: one `certbench-cli provision` against a standalone sandbox, wall per
process against the run it does, in the same run.

A `certbench-sandbox` process (`--seed demo --lro-delay-ms 0`) serves every round. Each round
starts a fresh `certbench-devsim` on a pty (no pacing: the line costs nothing) and times
`certbench-cli --sandbox-url URL --sandbox-dir DIR provision --port PTY --json` from exec to
exit. The reference is the provisioning run inside that same process: the `durationMs` the CLI
reports for its run (identify to journal). What is left between the two is the process: its
start, the sandbox profile (`/sandbox/info`), the sign-in, the TLS sessions and the exit. The
process floor, `certbench-cli --version`, is timed in the same rounds. Prints min/median/max of
each, the medians of every step, the CPU of the CLI process, and the ratio of the medians.

Run: benchmarks/bench-cli-provision/bench-cli-provision.py SANDBOX DEVSIM CLI [ROUNDS]
"""
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def spread(values, unit="ms", scale=1.0):
    v = sorted(x * scale for x in values)
    return f"{v[0]:8.1f} / {statistics.median(v):8.1f} / {v[-1]:8.1f} {unit}"


def start_sandbox(exe, data, log):
    proc = subprocess.Popen([exe, "--data-dir", data, "--port", "0", "--mqtt-port", "0",
                             "--seed", "demo", "--lro-delay-ms", "0"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        log.seek(0)
        m = re.search(r"is listening on (\S+)", log.read())
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("The sandbox did not start")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    sandbox_exe, devsim_exe, cli_exe = (os.path.abspath(a) for a in sys.argv[1:4])
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 7

    with tempfile.TemporaryDirectory(prefix="bench-cli-provision-") as tmp:
        data = os.path.join(tmp, "sandbox")
        env = dict(os.environ)
        env["XDG_DATA_HOME"] = os.path.join(tmp, "cli-data")
        env["XDG_CONFIG_HOME"] = os.path.join(tmp, "cli-config")
        for name in ("G_DEBUG", "G_MESSAGES_DEBUG", "CERTBENCH_SANDBOX_URL",
                     "CERTBENCH_SANDBOX_DIR", "CERTBENCH_JOURNAL"):
            env.pop(name, None)

        with open(os.path.join(tmp, "sandbox.log"), "w+") as log:
            sandbox, url = start_sandbox(sandbox_exe, data, log)
            walls, runs, cpus, floors = [], [], [], []
            steps = {}
            try:
                for i in range(rounds + 1):   # round 0 warms the sandbox and the page cache
                    t0 = time.monotonic()
                    subprocess.run([cli_exe, "--version"], env=env, check=True,
                                   stdout=subprocess.DEVNULL)
                    floor = time.monotonic() - t0

                    device = subprocess.Popen(
                        [devsim_exe, "--state-dir", os.path.join(tmp, f"dev{i}"),
                         "--serial", f"BENCH{i:04d}"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
                    try:
                        line = device.stdout.readline().strip()
                        if not line.startswith("PTY /dev/"):
                            raise SystemExit(f"The device said {line!r}")
                        cpu0 = children_cpu()
                        t0 = time.monotonic()
                        run = subprocess.run(
                            [cli_exe, "--sandbox-url", url, "--sandbox-dir", data,
                             "--journal", os.path.join(tmp, "journal.db"), "provision",
                             "--port", line[4:], "--template", "bench-{serial}", "--json"],
                            env=env, capture_output=True, text=True, timeout=120)
                        wall = time.monotonic() - t0
                        cpu = children_cpu() - cpu0
                    finally:
                        device.terminate()
                        device.wait(10)

                    try:
                        result = json.loads(run.stdout)
                    except ValueError:
                        result = {}
                    if run.returncode != 0 or result.get("result") != "pass":
                        raise SystemExit(f"round {i}: exit {run.returncode}: "
                                         f"{(run.stdout + run.stderr).strip()[-600:]}")
                    if i == 0:
                        continue
                    walls.append(wall)
                    runs.append(result["durationMs"] / 1000.0)
                    cpus.append(cpu)
                    floors.append(floor)
                    for step in result["steps"]:
                        steps.setdefault(step["name"], []).append(step["durationMs"])
            finally:
                sandbox.terminate()
                sandbox.wait(10)

    load = os.getloadavg()[0]
    print(f"certbench-cli provision against a standalone sandbox, {rounds} rounds "
          f"(load average {load:.1f})")
    print("                                          min /   median /      max")
    print(f"  CLI process, exec to exit          {spread(walls, scale=1000)}")
    print(f"  the run inside it (durationMs)     {spread(runs, scale=1000)}")
    print(f"  left to the process (wall - run)   "
          f"{spread([w - r for w, r in zip(walls, runs)], scale=1000)}")
    print(f"  CLI CPU (user + system)            {spread(cpus, scale=1000)}")
    print(f"  process floor: certbench-cli --version {spread(floors, scale=1000)}")
    print("  steps, median ms: " + ", ".join(
        f"{name} {statistics.median(v):.0f}" for name, v in steps.items()))
    ratio = statistics.median(walls) / statistics.median(runs)
    print(f"ratio process / run (medians): {ratio:.2f}; "
          f"process median {statistics.median(walls) * 1000:.0f} ms (target <= 1000 ms)")


if __name__ == "__main__":
    main()
