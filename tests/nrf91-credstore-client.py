#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""An independent AT client for the simulated nRF91 modem (test-devsim-nrf91.c runs it).

It talks to the port the way Nordic's nrfcredstore does (written from reading how it works,
not copied): pyserial at 115200 with RTS/CTS, commands ended by CR LF, a read loop that keeps
lines until one is exactly "OK" or "ERROR" or starts with "+CME ERROR", keeping only the lines
that hold the text it looks for (so echo and unsolicited results such as +CEREG pass by), and
%CMNG list lines parsed by dropping the prefix and the quotes and splitting on commas. The
expected digest is the SHA-256 of the credential text as sent, in upper case.

usage: nrf91-credstore-client.py PTY ROOT_CA_PEM
Exit status 0 when every step went as the AT command reference says, 1 otherwise.
"""
import base64
import hashlib
import re
import subprocess
import sys
import tempfile
import time

import serial

TAG = 16842753


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


class Modem:
    def __init__(self, path):
        self.port = serial.Serial(path, baudrate=115200, timeout=1, rtscts=True)
        # As nrfcredstore opens a port: a bare line ending, a pause, a clean input buffer.
        self.port.reset_output_buffer()
        self.port.write(b"\r\n")
        self.port.flush()
        time.sleep(0.2)
        self.port.reset_input_buffer()

    def command(self, text, store=None, timeout=15):
        """Sends text; returns (ok, [lines containing store])."""
        self.port.write((text + "\r\n").encode("ascii"))
        kept = []
        end = time.time() + timeout
        while time.time() < end:
            raw = self.port.readline()
            if not raw:
                continue
            line = raw.decode("utf-8", errors="replace").strip()
            if line == "OK":
                return True, kept
            if line == "ERROR" or line.startswith("+CME ERROR"):
                return False, kept + [line]
            if store is not None and store in line:
                kept.append(line)
        fail("no final result for " + text[:40])

    def expect_ok(self, text, store=None):
        ok, lines = self.command(text, store)
        if not ok:
            fail("%s answered %s" % (text[:40], lines))
        return lines


def cmng_list(modem, *args):
    cmd = "AT%CMNG=1" + "".join("," + str(a) for a in args)
    lines = modem.expect_ok(cmd, "%CMNG: ")
    creds = []
    for line in lines:
        columns = line.replace("%CMNG: ", "").replace('"', "").split(",")
        creds.append((int(columns[0]), int(columns[1]), columns[2].strip()))
    return creds


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main():
    if len(sys.argv) != 3:
        fail(__doc__)
    modem = Modem(sys.argv[1])
    with open(sys.argv[2], encoding="ascii") as f:
        cert = f.read().rstrip()

    # The shell-mode probe: the IMEI is 15 digits.
    lines = modem.expect_ok("AT+CGSN", "")
    if not any(re.fullmatch(r"[0-9]{15}", l) for l in lines):
        fail("no IMEI in %s" % lines)
    modem.expect_ok("AT+CMEE=1")
    modem.expect_ok("AT+CFUN=4")

    # Write, then list and compare digests.
    modem.expect_ok('AT%%CMNG=0,%d,0,"%s"' % (TAG, cert))
    expected = hashlib.sha256(cert.encode("utf-8")).hexdigest().upper()
    creds = cmng_list(modem)
    if (TAG, 0, expected) not in creds:
        fail("list %s lacks %d,0,%s" % (creds, TAG, expected))
    ok, lines = modem.command("AT%%CMNG=1,%d,0" % TAG, "%CMNG: ")
    if not ok or lines[-1].split('"')[1] != expected:
        fail("check_credential_exists read %s" % lines)

    # A second write on the same tag and type: +CME ERROR: 519.
    ok, lines = modem.command('AT%%CMNG=0,%d,0,"%s"' % (TAG, cert))
    if ok or lines[-1] != "+CME ERROR: 519":
        fail("second write answered %s" % lines)

    # KEYGEN: the CSR before the dot is DER that openssl accepts and verifies.
    lines = modem.expect_ok('AT%%KEYGEN=%d,2,0,"O=Contoso,CN=py-dev"' % TAG, "%KEYGEN:")
    blob = lines[0].split('"')[1]
    body, cose = blob.split(".")
    der = b64url_decode(body)
    if b64url_decode(cose)[0] != 0xD2:
        fail("the COSE part is not a COSE_Sign1 (tag 18)")
    with tempfile.NamedTemporaryFile(suffix=".der") as f:
        f.write(der)
        f.flush()
        out = subprocess.run(["openssl", "req", "-inform", "DER", "-in", f.name, "-noout",
                              "-verify", "-subject"], capture_output=True, text=True)
    if out.returncode != 0 or "CN = py-dev" not in out.stdout or "O = Contoso" not in out.stdout:
        fail("openssl on the CSR: %s %s" % (out.stdout, out.stderr))
    if not any(c[0] == TAG and c[1] == 2 for c in cmng_list(modem, TAG)):
        fail("the generated key is not listed")

    lines = modem.expect_ok("AT%ATTESTTOKEN", "%ATTESTTOKEN:")
    if not re.fullmatch(r'%ATTESTTOKEN: "[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"', lines[0]):
        fail("attestation token line %s" % lines)

    # Delete what was made, then go back online as the firmware would be.
    modem.expect_ok("AT%%CMNG=3,%d,0" % TAG)
    modem.expect_ok("AT%%CMNG=3,%d,2" % TAG)
    if cmng_list(modem, TAG):
        fail("tag %d not empty after delete" % TAG)
    modem.expect_ok("AT+CFUN=1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
