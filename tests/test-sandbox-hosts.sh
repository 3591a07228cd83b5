#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The sandbox on its Azure host names, checked with clients Certbench did not write: openssl
# s_client (the certificate's names, SNI routing) and curl --resolve (Host routing, the way a
# hosts file points an SDK at it), Entra's metadata and both device-code grant forms, the
# api-versions Microsoft's SDKs send, ARM ids with a double slash, `certbench-sandbox hosts`,
# and --azure-hosts on port 443 inside a network namespace of the test's own (the machine's
# hosts file and ports are never touched). TAP output.
# Usage: test-sandbox-hosts.sh SANDBOX_BINARY
set -u
SANDBOX_BIN=$1

WORK=$(mktemp -d)
cleanup () {
  [ -n "${SANDBOX_PID:-}" ] && kill "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

N=0
ok () { N=$((N + 1)); echo "ok $N $1"; }
not_ok () { N=$((N + 1)); echo "not ok $N $1"; FAILED=1; }
skip () { N=$((N + 1)); echo "ok $N # SKIP $1"; }
FAILED=0
# check DESCRIPTION FILE PATTERN: FILE contains PATTERN (a fixed string).
check () {
  if grep -qF -- "$3" "$2"; then ok "$1"; else not_ok "$1 (expected: $3)"; sed 's/^/# /' "$2" | cut -c1-400; fi
}

"$SANDBOX_BIN" --seed demo --port 0 --lro-delay-ms 100 --data-dir "$WORK/data" > "$WORK/sandbox.out" 2>&1 &
SANDBOX_PID=$!
for _ in $(seq 1 200); do
  grep -q 'is listening on' "$WORK/sandbox.out" && break
  sleep 0.1
done
PORT=$(sed -n 's/.*is listening on https:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/sandbox.out")
CA="$WORK/data/sandbox-ca.pem"
if [ -z "$PORT" ]; then
  echo "1..1"
  echo "not ok 1 the sandbox started"
  sed 's/^/# /' "$WORK/sandbox.out"
  exit 1
fi
echo "1..23"
ok "the sandbox started on port $PORT"

# curl as an SDK on a hosts file sees it: the Azure host name, resolved to the sandbox.
azure () {   # azure HOST PATH [curl options...] -> body in $WORK/body, status in $WORK/status
  local host=$1 path=$2
  shift 2
  curl -s --resolve "$host:$PORT:127.0.0.1" --cacert "$CA" -o "$WORK/body" -w '%{http_code}' \
       "$@" "https://$host:$PORT$path" > "$WORK/status"
}
local_url () {   # the path-prefixed URL
  curl -s --cacert "$CA" -o "$WORK/body" -w '%{http_code}' "$@" > "$WORK/status"
}

# 1. The certificate names the Azure hosts, and TLS clients verify them.
for host in demo-hub.azure-devices.net demo-dps.azure-devices-provisioning.net \
            global.azure-devices-provisioning.net login.microsoftonline.com management.azure.com; do
  openssl s_client -connect "127.0.0.1:$PORT" -servername "$host" -verify_hostname "$host" \
      -CAfile "$CA" < /dev/null > "$WORK/s_client" 2>&1
  check "openssl verifies the certificate for $host" "$WORK/s_client" "Verification: OK"
done
openssl s_client -connect "127.0.0.1:$PORT" -servername demo-hub.azure-devices.net -CAfile "$CA" \
    < /dev/null 2> /dev/null | openssl x509 -noout -ext subjectAltName > "$WORK/san" 2>&1
check "the certificate's SAN names every hub by a wildcard" "$WORK/san" "DNS:*.azure-devices.net"

# 2. Host routing: each service on its Azure host, routed onto its prefix's handlers.
azure login.microsoftonline.com /organizations/v2.0/.well-known/openid-configuration
check "Entra's OpenID configuration on login.microsoftonline.com" "$WORK/body" \
      "\"token_endpoint\":\"https://login.microsoftonline.com:$PORT/organizations/oauth2/v2.0/token\""
azure demo-hub.azure-devices.net "/devices/nobody?api-version=2021-04-12"
check "the hub's routes on demo-hub.azure-devices.net (401 without a key, not 404)" "$WORK/status" "401"
azure management.azure.com "/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.DeviceRegistry/namespaces?api-version=2026-03-01-preview"
check "ARM's routes on management.azure.com (401 without a token, not 404)" "$WORK/status" "401"
azure demo-dps.azure-devices-provisioning.net "/enrollmentGroups/none?api-version=2021-10-01"
check "the DPS service routes on demo-dps.azure-devices-provisioning.net (401, not 404)" "$WORK/status" "401"

# SNI routing: the Host header names an address, the TLS server name names Entra.
printf 'GET /common/v2.0/.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$PORT" |
  openssl s_client -quiet -connect "127.0.0.1:$PORT" -servername login.microsoftonline.com \
      -CAfile "$CA" > "$WORK/sni" 2> /dev/null
check "a request routed by its TLS server name alone" "$WORK/sni" "\"issuer\":\"https://login.microsoftonline.com:$PORT/{tenantid}/v2.0\""

# 3. Entra: instance discovery as MSAL asks for it, both device-code grant forms.
azure login.microsoftonline.com "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
check "instance discovery names the tenant's OpenID configuration" "$WORK/body" \
      '"tenant_discovery_endpoint":"https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration"'
TOKEN=
for grant in device_code urn:ietf:params:oauth:grant-type:device_code; do
  local_url -d "client_id=hosts-test&scope=https://management.azure.com/.default" \
      "https://127.0.0.1:$PORT/entra/organizations/oauth2/v2.0/devicecode"
  CODE=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["device_code"])' "$WORK/body")
  azure login.microsoftonline.com /organizations/oauth2/v2.0/token \
      -d "grant_type=$grant&client_id=hosts-test&device_code=$CODE"
  check "grant_type=$grant gives a token" "$WORK/body" '"access_token":'
  TOKEN=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("access_token",""))' "$WORK/body")
done

# 4. api-versions: hub certificates at @azure/arm-iothub 6.x's version, an unknown one refused;
#    an ARM id with a double slash.
local_url "https://127.0.0.1:$PORT/sandbox/info"
HUB_ID=$(/usr/bin/python3 -c '
import json, sys
info = json.load(open(sys.argv[1]))
hub = [h for h in info["hubs"] if h["name"] == "demo-hub"][0]
print("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Devices/IotHubs/demo-hub" % (hub["subscription"], hub["resourceGroup"]))' "$WORK/body" 2> "$WORK/py.err")
[ -n "$HUB_ID" ] || sed 's/^/# /' "$WORK/py.err"
azure management.azure.com "$HUB_ID/certificates?api-version=2023-06-30" -H "Authorization: Bearer $TOKEN"
check "hub certificates answer api-version 2023-06-30" "$WORK/status" "200"
azure management.azure.com "$HUB_ID/certificates?api-version=2099-01-01" -H "Authorization: Bearer $TOKEN"
check "an unknown api-version gets the documented refusal" "$WORK/body" "InvalidApiVersionParameter"
local_url -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$PORT/arm/$HUB_ID/certificates?api-version=2023-06-30"
check "…/arm//subscriptions/… resolves like a single slash" "$WORK/status" "200"

# The hub at the api-version azure-iothub's IoTHubRegistryManager sends, on its host name, with
# a SAS signed by the demo seed's iothubowner key (docs/sandbox.md, "The demo seed").
HUB_SAS=$(/usr/bin/python3 -c '
import base64, hashlib, hmac, time, urllib.parse
sr = "demo-hub.azure-devices.net"
se = str(int(time.time()) + 3600)
key = base64.b64decode("Y2VydGJlbmNoLWRlbW8taW90aHVib3duZXIta2V5LTAx")
sig = base64.b64encode(hmac.new(key, (sr + "\n" + se).encode(), hashlib.sha256).digest()).decode()
print("SharedAccessSignature sr=%s&sig=%s&se=%s&skn=iothubowner" % (sr, urllib.parse.quote(sig, safe=""), se))')
azure demo-hub.azure-devices.net "/devices/nobody?api-version=2020-09-30" -H "Authorization: $HUB_SAS"
check "the hub answers api-version 2020-09-30 (404 for a missing device, not 400)" "$WORK/status" "404"
azure demo-hub.azure-devices.net "/devices/nobody?api-version=2099-01-01" -H "Authorization: $HUB_SAS"
check "the hub refuses an unknown api-version" "$WORK/body" "InvalidProtocolVersion"

# 5. The hosts command: the lines for /etc/hosts and the CA for each SDK family.
"$SANDBOX_BIN" hosts --data-dir "$WORK/data" > "$WORK/hosts" 2>&1
if grep -qE '^127\.0\.0\.1 +demo-hub\.azure-devices\.net$' "$WORK/hosts" &&
   grep -qE '^127\.0\.0\.1 +login\.microsoftonline\.com$' "$WORK/hosts" &&
   grep -qF "NODE_EXTRA_CA_CERTS=$CA" "$WORK/hosts" && grep -qF "SSL_CERT_FILE=$CA" "$WORK/hosts" &&
   grep -qF "OPTION_TRUSTED_CERT" "$WORK/hosts"; then
  ok "certbench-sandbox hosts prints the hosts lines and the CA per SDK family"
else
  not_ok "certbench-sandbox hosts prints the hosts lines and the CA per SDK family"
  sed 's/^/# /' "$WORK/hosts"
fi

kill "$SANDBOX_PID" 2> /dev/null
wait "$SANDBOX_PID" 2> /dev/null
SANDBOX_PID=

# 6. --azure-hosts: refused with what to do where port 443 is not allowed, served on 443 in a
#    network namespace where it is.
START=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start 2> /dev/null || echo 1024)
if [ "$START" -le 443 ]; then
  skip "ports from $START are open to everyone here: nothing to refuse"
else
  mkdir -m 0777 "$WORK/nobody"
  if [ "$(id -u)" = 0 ]; then
    chmod 0711 "$WORK"
    RUN="setpriv --reuid=65534 --regid=65534 --clear-groups --"
  else
    RUN=
  fi
  $RUN env HOME="$WORK/nobody" "$SANDBOX_BIN" --azure-hosts --port 0 --mqtt-port 0 \
      --data-dir "$WORK/nobody/data" > "$WORK/refused" 2>&1
  status=$?
  if [ $status = 3 ] && grep -q "setcap cap_net_bind_service" "$WORK/refused" &&
     grep -q "ip_unprivileged_port_start" "$WORK/refused"; then
    ok "--azure-hosts without the right to port 443 says what to do"
  else
    not_ok "--azure-hosts without the right to port 443 says what to do (exit $status)"
    sed 's/^/# /' "$WORK/refused"
  fi
fi

if unshare -rn true 2> /dev/null && command -v ip > /dev/null; then
  cat > "$WORK/netns.sh" << EOF
set -u
ip link set lo up
"$SANDBOX_BIN" --azure-hosts --seed demo --data-dir "$WORK/data" > "$WORK/ns.out" 2>&1 &
pid=\$!
for _ in \$(seq 1 200); do grep -q 'is listening on' "$WORK/ns.out" && break; sleep 0.1; done
curl -s --resolve login.microsoftonline.com:443:127.0.0.1 --cacert "$CA" \
     https://login.microsoftonline.com/organizations/v2.0/.well-known/openid-configuration
echo
kill \$pid
wait \$pid
EOF
  unshare -rn bash "$WORK/netns.sh" > "$WORK/ns.body" 2>&1
  check "--azure-hosts serves https://login.microsoftonline.com/ on port 443" "$WORK/ns.body" \
        '"token_endpoint":"https://login.microsoftonline.com/organizations/oauth2/v2.0/token"'
  [ $FAILED = 0 ] || sed 's/^/# /' "$WORK/ns.out"
else
  skip "no user and network namespaces here (unshare -rn) or no ip command"
fi

exit $FAILED
