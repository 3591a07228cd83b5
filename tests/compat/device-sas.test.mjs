// SPDX-License-Identifier: GPL-3.0-or-later
// A device on azure-iot-device's MQTT transport, unchanged, with a SAS key the hub made:
// it connects to {hub}.azure-devices.net:8883, reads and patches its twin, receives a desired
// patch and a direct method that azure-iothub's service client sends, and a cloud-to-device
// message. A wrong key is refused.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import iothub from 'azure-iothub';
import device from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import https from 'node:https';
import crypto from 'node:crypto';
import { HUB_OWNER_KEY, hubConnectionString, until } from './sandbox.mjs';

const HUB = 'demo-hub';
const ID = 'compat-mqtt-1';
const registry = iothub.Registry.fromConnectionString (hubConnectionString (HUB));
const service = iothub.Client.fromConnectionString (hubConnectionString (HUB));
let client = null;

after (async () => {
  if (client)
    await client.close ();
});

function connectionString (key) {
  return `HostName=${HUB}.azure-devices.net;DeviceId=${ID};SharedAccessKey=${key}`;
}

test ('a device connects with its SAS key and uses its twin', async () => {
  const created = (await registry.create ({ deviceId: ID })).responseBody;
  client = device.Client.fromConnectionString (
    connectionString (created.authentication.symmetricKey.primaryKey), deviceMqtt.Mqtt);
  await client.open ();

  const twin = await client.getTwin ();
  assert.equal (typeof twin.properties.desired.$version, 'number');

  await new Promise ((resolve, reject) =>
    twin.properties.reported.update ({ firmware: '1.2.3' }, (err) => (err ? reject (err) : resolve ())));
  await until (async () => {
    const read = (await registry.getTwin (ID)).responseBody;
    return read.properties.reported.firmware === '1.2.3';
  }, 'the reported property reached the hub');

  let desired = null;
  twin.on ('properties.desired', (patch) => { if (patch.interval !== undefined) desired = patch; });
  const current = (await registry.getTwin (ID)).responseBody;
  await registry.updateTwin (ID, { properties: { desired: { interval: 7 } } }, current.etag);
  await until (() => desired !== null, 'the desired patch reached the device');
  assert.equal (desired.interval, 7);
});

test ('a direct method goes to the device and its answer comes back', async () => {
  client.onDeviceMethod ('reboot', (request, response) => {
    response.send (200, { accepted: true, delay: request.payload.delay }, () => {});
  });
  const result = await service.invokeDeviceMethod (ID, { methodName: 'reboot',
                                                         payload: { delay: 3 },
                                                         responseTimeoutInSeconds: 30 });
  assert.equal (result.result.status, 200);
  assert.deepEqual (result.result.payload, { accepted: true, delay: 3 });

  // A device that is not connected: IoT Hub's 404103, which the SDK reports as a 404.
  await assert.rejects (service.invokeDeviceMethod ('demo-0001', { methodName: 'reboot',
                                                                   responseTimeoutInSeconds: 5 }),
                        (err) => err.response?.statusCode === 404 &&
                                 /404103|DeviceNotOnline/.test (JSON.stringify (err.responseBody)));
});

// The service SDK sends cloud-to-device messages over AMQP, which the sandbox does not speak;
// its own endpoint queues one (docs/sandbox.md) and the SDK's device receives it unchanged.
function serviceSas () {
  const resource = encodeURIComponent (`${HUB}.azure-devices.net`);
  const expiry = Math.floor (Date.now () / 1000) + 3600;
  const sig = crypto.createHmac ('sha256', Buffer.from (HUB_OWNER_KEY, 'base64'))
                    .update (`${resource}\n${expiry}`).digest ('base64');
  return `SharedAccessSignature sr=${resource}&sig=${encodeURIComponent (sig)}&se=${expiry}` +
         '&skn=iothubowner';
}

function sendCloudToDevice (body) {
  return new Promise ((resolve, reject) => {
    const req = https.request ({ host: `${HUB}.azure-devices.net`, method: 'POST',
                                 path: `/devices/${ID}/messages/deviceBound?api-version=2021-04-12`,
                                 headers: { Authorization: serviceSas (),
                                            'iothub-app-kind': 'compat' } },
                               (res) => { res.resume (); res.on ('end', () => resolve (res.statusCode)); });
    req.on ('error', reject);
    req.end (body);
  });
}

test ('a cloud-to-device message reaches the device', async () => {
  let received = null;
  client.on ('message', (msg) => {
    received = msg;
    client.complete (msg, () => {});
  });
  // The SDK subscribes when a listener is added; wait until the hub has it.
  let status = 0;
  await until (async () => {
    status = await sendCloudToDevice ('hello device');
    return status === 200;
  }, 'the hub queued the message');
  await until (() => received !== null, 'the message reached the device');
  assert.equal (received.data.toString (), 'hello device');
  assert.equal (received.properties.getValue ('kind'), 'compat');
});

test ('a wrong key is refused', async () => {
  const wrong = device.Client.fromConnectionString (
    connectionString (Buffer.alloc (32, 7).toString ('base64')), deviceMqtt.Mqtt);
  await assert.rejects (wrong.open (), /not authorized|unauthorized|refused/i);
  await wrong.close ().catch (() => {});
});
