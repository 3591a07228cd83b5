// SPDX-License-Identifier: GPL-3.0-or-later
// An X.509 device on azure-iot-device's MQTT transport, unchanged: its key and CSR made with
// openssl, its certificate issued by DPS through the demo group's credential policy (the CSR
// branch of DPS's REST API, which the Node provisioning SDK does not send, so this file sends it
// as docs/sandbox.md shows), then Microsoft's device client connects to the hub with the
// certificate, reads and patches its twin, and receives a desired patch and a direct method.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import iothub from 'azure-iothub';
import device from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import { GROUP_KEY, hubConnectionString, sandboxInfo, until } from './sandbox.mjs';

const ID = 'compat-x509-1';
const dir = fs.mkdtempSync (path.join (os.tmpdir (), 'cb-compat-x509-'));
let client = null;

after (async () => {
  if (client)
    await client.close ();
  fs.rmSync (dir, { recursive: true, force: true });
});

function sas (resource, key, keyName) {
  const expiry = Math.floor (Date.now () / 1000) + 3600;
  const sr = encodeURIComponent (resource);
  const sig = crypto.createHmac ('sha256', Buffer.from (key, 'base64'))
                    .update (`${sr}\n${expiry}`).digest ('base64');
  return `SharedAccessSignature sr=${sr}&sig=${encodeURIComponent (sig)}&se=${expiry}&skn=${keyName}`;
}

function dpsRequest (method, urlPath, auth, body) {
  return new Promise ((resolve, reject) => {
    const req = https.request ({ host: 'global.azure-devices-provisioning.net', method, path: urlPath,
                                 headers: { Authorization: auth, 'Content-Type': 'application/json' } },
                               (res) => {
                                 let text = '';
                                 res.on ('data', (c) => { text += c; });
                                 res.on ('end', () => resolve ({ status: res.statusCode,
                                                                 json: text ? JSON.parse (text) : null }));
                               });
    req.on ('error', reject);
    req.end (body ? JSON.stringify (body) : undefined);
  });
}

async function issueCertificate () {
  const info = await sandboxInfo ();
  const idScope = info.dps.instances.find ((d) => d.name === 'demo-dps').idScope;
  const key = path.join (dir, 'device.key');
  execFileSync ('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  const csr = execFileSync ('openssl', ['req', '-new', '-key', key, '-subj', `/CN=${ID}`,
                                        '-outform', 'DER']);
  const deviceKey = crypto.createHmac ('sha256', Buffer.from (GROUP_KEY, 'base64'))
                          .update (ID).digest ('base64');
  const auth = sas (`${idScope}/registrations/${ID}`, deviceKey, 'registration');
  const api = 'api-version=2025-07-01-preview';

  let answer = await dpsRequest ('PUT', `/${idScope}/registrations/${ID}/register?${api}`, auth,
                                 { registrationId: ID, csr: csr.toString ('base64') });
  assert.equal (answer.status, 202, JSON.stringify (answer.json));
  const operationId = answer.json.operationId;
  await until (async () => {
    answer = await dpsRequest ('GET', `/${idScope}/registrations/${ID}/operations/${operationId}?${api}`, auth);
    return answer.json.status !== 'assigning';
  }, 'the registration ended');
  assert.equal (answer.json.status, 'assigned', JSON.stringify (answer.json));

  const state = answer.json.registrationState;
  const pem = state.issuedCertificateChain
    .map ((der) => `-----BEGIN CERTIFICATE-----\n${der.match (/.{1,64}/g).join ('\n')}\n-----END CERTIFICATE-----\n`)
    .join ('');
  return { hub: state.assignedHub, cert: pem, key: fs.readFileSync (key, 'utf8') };
}

test ('a device with a DPS-issued certificate connects and uses its twin and methods', async () => {
  const { hub, cert, key } = await issueCertificate ();
  const leaf = new crypto.X509Certificate (cert);
  assert.match (leaf.subject, new RegExp (`CN=${ID}`));

  client = device.Client.fromConnectionString (`HostName=${hub};DeviceId=${ID};x509=true`,
                                               deviceMqtt.Mqtt);
  client.setOptions ({ cert, key });
  await client.open ();

  const twin = await client.getTwin ();
  await new Promise ((resolve, reject) =>
    twin.properties.reported.update ({ certificate: { notAfter: leaf.validTo } },
                                     (err) => (err ? reject (err) : resolve ())));

  const hubName = hub.split ('.')[0];
  const registry = iothub.Registry.fromConnectionString (hubConnectionString (hubName));
  await until (async () => {
    const read = (await registry.getTwin (ID)).responseBody;
    return read.properties.reported.certificate?.notAfter === leaf.validTo;
  }, 'the reported property reached the hub');

  let desired = null;
  twin.on ('properties.desired', (patch) => { if (patch.mode !== undefined) desired = patch; });
  const current = (await registry.getTwin (ID)).responseBody;
  await registry.updateTwin (ID, { properties: { desired: { mode: 'eco' } } }, current.etag);
  await until (() => desired !== null, 'the desired patch reached the device');
  assert.equal (desired.mode, 'eco');

  client.onDeviceMethod ('ping', (request, response) => response.send (200, { pong: true }, () => {}));
  const service = iothub.Client.fromConnectionString (hubConnectionString (hubName));
  const result = await service.invokeDeviceMethod (ID, { methodName: 'ping', payload: {},
                                                         responseTimeoutInSeconds: 30 });
  assert.equal (result.result.status, 200);
  assert.deepEqual (result.result.payload, { pong: true });
});

test ('a certificate for another device is refused', async () => {
  const other = device.Client.fromConnectionString (
    'HostName=demo-hub.azure-devices.net;DeviceId=demo-0002;x509=true', deviceMqtt.Mqtt);
  const key = path.join (dir, 'device.key');
  const cert = execFileSync ('openssl', ['req', '-new', '-x509', '-key', key, '-subj', '/CN=demo-0002',
                                         '-days', '1']).toString ();
  other.setOptions ({ cert, key: fs.readFileSync (key, 'utf8') });
  await assert.rejects (other.open ());
  await other.close ().catch (() => {});
});
