#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soak: one sandbox process under a long mixed load, watching what must stay flat.

Load, all at once against one `certbench-sandbox --seed demo`:
  - DPS registrations (symmetric-key SAS of the demo enrollment group, then one poll), each on
    a fresh HTTPS connection that the client closes: the CLOSE-WAIT path;
  - CLI provisioning runs: `certbench-cli provision` against `certbench-cli devsim` on a pty;
  - a reconnecting fleet: `certbench-devsim --fleet N` on the accelerated sandbox clock.
Every PERIOD seconds it prints the sandbox's open file descriptors, WAL size, resident memory
and the errors so far; at the end the figures at warm-up (after the first tenth of the
registrations) and at the end.

Full scale (1.0): 10,000 registrations, 1,000 CLI runs, a fleet of 1,000, an hour on the
accelerated clock (--days-per-second 0.25 for the fleet; CB_SOAK_DAYS_PER_SECOND changes it,
0 is real time). SCALE multiplies the counts and the duration: `bench-soak.py SANDBOX DEVSIM
CLI 0.05` is a few minutes.

Usage: bench-soak.py CERTBENCH-SANDBOX CERTBENCH-DEVSIM CERTBENCH-CLI [SCALE [PERIOD_S]]
Exit status 0 when there were no errors and the fds and WAL stayed bounded. docs/performance.md
("Soak") records the figures.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

DEMO_ID_SCOPE = "0ne00CB0DE1"
DEMO_GROUP_KEY = "Y2VydGJlbmNoLWRlbW8tZW5yb2xsbWVudC1rZXktMDE="
DPS_API = "api-version=2025-07-01-preview"


def proc_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def proc_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def file_size(path):
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def sas_token(resource, key_b64, policy, expiry):
    # The device key of a group enrollment: HMAC-SHA256(group key, registration id).
    to_sign = urllib.parse.quote(resource, safe="") + "\n" + str(expiry)
    sig = base64.b64encode(hmac.new(base64.b64decode(key_b64), to_sign.encode(),
                                    hashlib.sha256).digest()).decode()
    token = (f"SharedAccessSignature sr={urllib.parse.quote(resource, safe='')}"
             f"&sig={urllib.parse.quote(sig, safe='')}&se={expiry}")
    if policy:
        token += f"&skn={policy}"
    return token


class Soak:
    def __init__(self, sandbox_exe, devsim_exe, cli_exe, scale, period):
        self.sandbox_exe, self.devsim_exe, self.cli_exe = sandbox_exe, devsim_exe, cli_exe
        self.scale, self.period = scale, period
        self.days_per_second = float(os.environ.get("CB_SOAK_DAYS_PER_SECOND", "0.25"))
        self.registrations = max(1, int(10000 * scale))
        self.cli_runs = max(1, int(1000 * scale))
        self.fleet = max(10, int(1000 * scale))
        self.duration = max(60.0, 3600.0 * scale)
        self.tmp = tempfile.mkdtemp(prefix="certbench-bench-soak-")
        self.data = os.path.join(self.tmp, "sandbox")
        self.lock = threading.Lock()
        self.errors = []
        self.done_registrations = 0
        self.done_cli = 0
        self.cli_clock = 0
        self.stop = threading.Event()
        self.samples = []
        self.warm = None

    def error(self, what):
        with self.lock:
            self.errors.append(what)
            if len(self.errors) <= 20:
                print(f"error: {what}", file=sys.stderr, flush=True)

    # ---- The sandbox --------------------------------------------------------------------

    def start_sandbox(self):
        self.sandbox_out = open(os.path.join(self.tmp, "sandbox.out"), "w+")
        self.sandbox_err = open(os.path.join(self.tmp, "sandbox.err"), "w+")
        self.sandbox = subprocess.Popen(
            [self.sandbox_exe, "--data-dir", self.data, "--port", "0", "--mqtt-port", "0",
             "--seed", "demo", "--lro-delay-ms", "0"],
            stdout=self.sandbox_out, stderr=self.sandbox_err)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.sandbox_out.seek(0)
            m = re.search(r"is listening on (\S+)", self.sandbox_out.read())
            if m:
                self.url = m.group(1)
                break
            if self.sandbox.poll() is not None:
                break
            time.sleep(0.05)
        else:
            raise SystemExit("The sandbox did not start")
        self.ca_file = os.path.join(self.data, "sandbox-ca.pem")
        self.host = urllib.parse.urlparse(self.url).hostname
        self.port = urllib.parse.urlparse(self.url).port
        self.ssl = ssl.create_default_context(cafile=self.ca_file)
        self.ssl.check_hostname = False
        print(f"sandbox {self.url} (pid {self.sandbox.pid}), data in {self.tmp}", flush=True)

    def request(self, method, path, auth=None, body=None):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=60)
        try:
            headers = {"Content-Type": "application/json"}
            if auth:
                headers["Authorization"] = auth
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, data
        finally:
            conn.close()

    # ---- Load ---------------------------------------------------------------------------

    def register_loop(self, worker, workers):
        pause = self.duration * 0.8 / self.registrations * workers
        for i in range(worker, self.registrations, workers):
            if self.stop.is_set():
                return
            started = time.monotonic()
            rid = f"soak-{i:06d}"
            key = base64.b64encode(hmac.new(base64.b64decode(DEMO_GROUP_KEY), rid.encode(),
                                            hashlib.sha256).digest()).decode()
            auth = sas_token(f"{DEMO_ID_SCOPE}/registrations/{rid}", key, "registration",
                             int(time.time()) + 3600)
            try:
                status, data = self.request(
                    "PUT", f"/dps/{DEMO_ID_SCOPE}/registrations/{rid}/register?{DPS_API}", auth,
                    json.dumps({"registrationId": rid}))
                if status != 202:
                    self.error(f"registration {rid}: {status} {data[:200]!r}")
                    continue
                op = json.loads(data)["operationId"]
                status, data = self.request(
                    "GET", f"/dps/{DEMO_ID_SCOPE}/registrations/{rid}/operations/{op}?{DPS_API}",
                    auth)
                if status not in (200, 202):
                    self.error(f"registration poll {rid}: {status} {data[:200]!r}")
            except Exception as e:  # noqa: BLE001 - every failure counts as an error
                self.error(f"registration {rid}: {e}")
            with self.lock:
                self.done_registrations += 1
            # Spread the registrations over the run.
            left = pause - (time.monotonic() - started)
            if left > 0:
                self.stop.wait(left)

    def cli_env(self):
        env = dict(os.environ)
        env["XDG_DATA_HOME"] = os.path.join(self.tmp, "cli-data")
        env["XDG_CONFIG_HOME"] = os.path.join(self.tmp, "cli-config")
        env["CERTBENCH_DEVSIM"] = self.devsim_exe
        for name in ("G_DEBUG", "CERTBENCH_SANDBOX_URL", "CERTBENCH_SANDBOX_DIR",
                     "CERTBENCH_JOURNAL"):
            env.pop(name, None)
        return env

    def cli_loop(self):
        env = self.cli_env()
        journal = os.path.join(self.tmp, "journal.db")
        pause = self.duration * 0.8 / self.cli_runs
        for i in range(self.cli_runs):
            if self.stop.is_set():
                return
            started = time.monotonic()
            device = subprocess.Popen([self.cli_exe, "devsim", "--serial", f"SOAK{i:06d}"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      env=env, text=True)
            try:
                line = device.stdout.readline().strip()
                if not line.startswith("PTY /dev/"):
                    self.error(f"cli run {i}: the device said {line!r}")
                    continue
                run = subprocess.run(
                    [self.cli_exe, "--sandbox-url", self.url, "--sandbox-dir", self.data,
                     "--journal", journal, "provision", "--port", line[4:],
                     "--template", "soak-{serial}", "--quiet"],
                    env=env, capture_output=True, text=True, timeout=300)
                if run.returncode != 0 and "is not valid yet" in run.stdout + run.stderr:
                    # certbench-cli checks the chain on the real clock; the fleet runs the
                    # sandbox's ahead. Counted apart: a CLI limit, not a sandbox failure.
                    with self.lock:
                        self.cli_clock += 1
                elif run.returncode != 0:
                    self.error(f"cli run {i}: exit {run.returncode}: "
                               f"{(run.stdout + run.stderr).strip()[-400:]}")
            except Exception as e:  # noqa: BLE001
                self.error(f"cli run {i}: {e}")
            finally:
                device.terminate()
                try:
                    device.wait(10)
                except subprocess.TimeoutExpired:
                    device.kill()
            with self.lock:
                self.done_cli += 1
            left = pause - (time.monotonic() - started)
            if left > 0:
                self.stop.wait(left)

    def start_fleet(self):
        self.fleet_err = open(os.path.join(self.tmp, "fleet.err"), "w")
        self.fleet_proc = subprocess.Popen(
            [self.devsim_exe, "--fleet", str(self.fleet), "--sandbox", self.url,
             "--ca-file", self.ca_file, "--state-dir", os.path.join(self.tmp, "fleet"),
             "--days-per-second", str(self.days_per_second), "--interval", "1"],
            stdout=subprocess.PIPE, stderr=self.fleet_err, text=True)
        self.fleet_line = ""

        def read():
            for line in self.fleet_proc.stdout:
                if line.startswith("t="):
                    self.fleet_line = line.strip()
        threading.Thread(target=read, daemon=True).start()

    # ---- Figures ------------------------------------------------------------------------

    def sample(self, t0):
        pid = self.sandbox.pid
        s = {
            "t": time.monotonic() - t0,
            "fds": proc_fds(pid),
            "wal": file_size(os.path.join(self.data, "sandbox.db-wal")),
            "rss": proc_rss_kib(pid),
            "errors": len(self.errors) + self.sandbox_problems(),
            "registrations": self.done_registrations,
            "cli": self.done_cli,
        }
        m = re.search(r"connected=(\d+)", self.fleet_line)
        s["connected"] = int(m.group(1)) if m else 0
        m = re.search(r"failed=(\d+)", self.fleet_line)
        s["fleet_failed"] = int(m.group(1)) if m else 0
        self.samples.append(s)
        print(f"t={s['t']:.0f}s fds={s['fds']} wal={s['wal'] / 1024:.0f}KiB "
              f"rss={s['rss'] / 1024:.1f}MiB errors={s['errors']} "
              f"registrations={s['registrations']}/{self.registrations} "
              f"cli={s['cli']}/{self.cli_runs} fleet-connected={s['connected']}/{self.fleet} "
              f"fleet-failed={s['fleet_failed']}", flush=True)
        return s

    def sandbox_problems(self):
        # CRITICAL and WARNING lines of the sandbox (a statement left open is a CRITICAL).
        self.sandbox_err.flush()
        with open(self.sandbox_err.name, errors="replace") as f:
            return sum(1 for line in f if "-CRITICAL **" in line or "-WARNING **" in line)

    def run(self):
        self.start_sandbox()
        t0 = time.monotonic()
        self.start_fleet()
        workers = 4
        threads = [threading.Thread(target=self.register_loop, args=(w, workers))
                   for w in range(workers)]
        threads.append(threading.Thread(target=self.cli_loop))
        for t in threads:
            t.start()
        print(f"{self.registrations} registrations, {self.cli_runs} CLI runs, a fleet of "
              f"{self.fleet}, {self.duration:.0f} s (scale {self.scale:g})", flush=True)

        deadline = t0 + self.duration
        while time.monotonic() < deadline and self.sandbox.poll() is None:
            time.sleep(min(self.period, max(0.0, deadline - time.monotonic())))
            s = self.sample(t0)
            if self.warm is None and s["registrations"] >= self.registrations / 10 \
                    and s["t"] >= self.duration / 10:
                self.warm = s
        # Let the last registrations and runs finish, still sampling.
        give_up = time.monotonic() + 1800
        while any(t.is_alive() for t in threads) and time.monotonic() < give_up:
            for t in threads:
                t.join(timeout=self.period)
                if t.is_alive():
                    break
            if any(t.is_alive() for t in threads):
                self.sample(t0)
        self.stop.set()
        end = self.sample(t0)
        if self.warm is None:
            self.warm = self.samples[0]

        self.fleet_proc.send_signal(signal.SIGTERM)
        try:
            self.fleet_proc.wait(60)
        except subprocess.TimeoutExpired:
            self.fleet_proc.kill()
        fleet_status = self.fleet_proc.returncode
        self.sandbox.send_signal(signal.SIGTERM)
        self.sandbox.wait(60)

        w = self.warm
        peak_fds = max(s["fds"] for s in self.samples if s["t"] >= w["t"])
        peak_wal = max(s["wal"] for s in self.samples)
        rss_growth = 100.0 * (end["rss"] - w["rss"]) / w["rss"] if w["rss"] > 0 else 0
        print()
        print(f"scale                     {self.scale:g} ({self.registrations} registrations, "
              f"{self.cli_runs} CLI runs, fleet of {self.fleet}, {self.duration:.0f} s)")
        print(f"done                      {end['registrations']} registrations, "
              f"{end['cli']} CLI runs")
        print(f"                          warm-up (t={w['t']:.0f} s)   end (t={end['t']:.0f} s)")
        print(f"open fds, sandbox         {w['fds']:<22}{end['fds']} (peak after warm-up "
              f"{peak_fds})")
        print(f"WAL                       {w['wal'] / 1024:<22.0f}{end['wal'] / 1024:.0f} KiB "
              f"(peak {peak_wal / 1024:.0f} KiB)")
        print(f"resident memory, sandbox  {w['rss'] / 1024:<22.1f}{end['rss'] / 1024:.1f} MiB "
              f"({rss_growth:+.1f} %)")
        print(f"errors                    {w['errors']:<22}{end['errors']}")
        print(f"CLI runs refused by the CLI's own clock check (chain 'not valid yet' on the "
              f"accelerated sandbox clock): {self.cli_clock}")
        print(f"fleet                     connected={end['connected']} "
              f"failed={end['fleet_failed']} exit={fleet_status}")

        bounded = end["fds"] <= w["fds"] + 20 and peak_wal <= 16 * 1024 * 1024
        ok = bounded and end["errors"] == 0 and rss_growth < 10
        print(f"verdict                   {'flat' if ok else 'NOT flat'}: fds and WAL "
              f"{'bounded' if bounded else 'growing'}, RSS {rss_growth:+.1f} %, "
              f"{end['errors']} errors")
        if os.environ.get("CB_BENCH_KEEP") is None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return 0 if ok else 1


def main():
    if len(sys.argv) < 4:
        print(__doc__.strip().split("\n\n")[-2], file=sys.stderr)
        return 2
    scale = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    period = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
    return Soak(sys.argv[1], sys.argv[2], sys.argv[3], scale, period).run()


if __name__ == "__main__":
    sys.exit(main())
