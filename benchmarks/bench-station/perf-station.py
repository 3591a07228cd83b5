#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs perf on a long-running station over exactly N provisioned devices.

A sandbox, `certbench-cli station --pty-dir DIR`, and N paced devsim devices plugged in one
at a time (or AT_ONCE at a time); after two devices to warm the station up, perf attaches to
the station for the N devices and nothing else. With the default `perf stat` it prints the
station's task-clock, context switches and syscalls per device, and its main thread's
voluntary and involuntary context switches per device from /proc. Any other perf command
(`record -g`, `trace -s`, ...) writes its output to --out for perf report / perf script.

    benchmarks/bench-station/perf-station.py build-opt 24
    benchmarks/bench-station/perf-station.py build-opt 48 --perf "record -F 4999 -g" --out x.data
"""

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", help="the build directory (build-opt)")
    parser.add_argument("devices", type=int, nargs="?", default=24)
    parser.add_argument("--perf", default="stat -e task-clock,context-switches,raw_syscalls:sys_enter",
                        help="the perf command and its options, without -p and -o")
    parser.add_argument("--out", help="perf's output file (default: a temporary one)")
    parser.add_argument("--at-once", type=int, default=1, help="devices plugged in together")
    parser.add_argument("--no-pacing", action="store_true", help="devices answer at once")
    parser.add_argument("--cli", help="another certbench-cli to run as the station")
    args = parser.parse_args()

    src = os.path.join(args.build, "src")
    sandbox_exe = os.path.join(src, "sandbox", "certbench-sandbox")
    cli = args.cli or os.path.join(src, "cli", "certbench-cli")
    devsim = os.path.join(src, "devsim", "certbench-devsim")
    if shutil.which("perf") is None:
        sys.exit("perf is not installed")

    tmp = tempfile.mkdtemp(prefix="cb-perf-station-")
    out = args.out or os.path.join(tmp, "perf.out")
    data, ptys = os.path.join(tmp, "sandbox"), os.path.join(tmp, "ptys")
    os.mkdir(ptys)
    procs = []
    try:
        with open(os.path.join(tmp, "sandbox.out"), "w") as log:
            sandbox = subprocess.Popen([sandbox_exe, "--data-dir", data, "--port", "0",
                                        "--lro-delay-ms", "0", "--seed", "demo"],
                                       stdout=log, stderr=subprocess.STDOUT)
        procs.append(sandbox)
        url = None
        for _ in range(1200):
            with open(os.path.join(tmp, "sandbox.out")) as log:
                found = re.search(r"is listening on (\S+)", log.read())
            if found:
                url = found.group(1)
                break
            if sandbox.poll() is not None:
                break
            time.sleep(0.05)
        if url is None:
            sys.exit("the sandbox did not start (see %s)" % os.path.join(tmp, "sandbox.out"))

        station = subprocess.Popen([cli, "--sandbox-url", url, "--sandbox-dir", data,
                                    "--journal", os.path.join(tmp, "journal.db"), "--json",
                                    "--quiet", "station", "--pty-dir", ptys],
                                   stdout=subprocess.PIPE, text=True)
        procs.append(station)
        serial = 0

        def plug(count):
            nonlocal serial
            for first in range(0, count, args.at_once):
                devices = []
                for _ in range(min(args.at_once, count - first)):
                    serial += 1
                    name = "PERF-ST-%05d" % serial
                    argv = [devsim, "--state-dir", os.path.join(tmp, name), "--serial", name,
                            "--link", os.path.join(ptys, name)]
                    if not args.no_pacing:
                        argv += ["--baud", "115200"]
                    devices.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                                    stderr=subprocess.DEVNULL))
                for _ in devices:
                    line = station.stdout.readline()
                    if not line:
                        sys.exit("the station stopped")
                    if json.loads(line).get("result") != "pass":
                        sys.exit("a run failed: " + line)
                for device in devices:
                    device.terminate()
                    device.wait()

        def switches():
            with open("/proc/%d/status" % station.pid) as status:
                return [int(n) for n in re.findall(r"ctxt_switches:\s+(\d+)", status.read())]

        plug(2)
        perf = subprocess.Popen(["perf"] + shlex.split(args.perf) + ["-p", str(station.pid), "-o", out],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.3)
        before = switches()
        plug(args.devices)
        after = switches()
        perf.send_signal(signal.SIGINT)
        perf.wait()

        print("main thread: voluntary %.2f, involuntary %.2f context switches a device"
              % ((after[0] - before[0]) / args.devices, (after[1] - before[1]) / args.devices))
        if args.perf.split()[0] == "stat":
            with open(out) as stat:
                for line in stat:
                    found = re.match(r"\s+([\d.,]+)\s+(?:msec\s+)?(\S+)", line)
                    if found and found.group(2) != "seconds" and not line.lstrip().startswith("#"):
                        value = float(found.group(1).replace(",", ""))
                        print("%s %.2f a device" % (found.group(2), value / args.devices))
        else:
            print("perf's output: %s" % out)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if proc is not procs[0] else signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if args.out is None or not args.out.startswith(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
