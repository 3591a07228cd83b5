// SPDX-License-Identifier: GPL-3.0-or-later
// DPS through Microsoft's Node SDKs, unchanged: the service client manages enrollments on
// {dps}.azure-devices-provisioning.net, and devices register with symmetric keys at
// global.azure-devices-provisioning.net over MQTT and over HTTPS, then connect to the hub they
// were assigned with the same key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import provisioningService from 'azure-iot-provisioning-service';
import provisioningDevice from 'azure-iot-provisioning-device';
import provisioningMqtt from 'azure-iot-provisioning-device-mqtt';
import provisioningHttp from 'azure-iot-provisioning-device-http';
import symmetricKey from 'azure-iot-security-symmetric-key';
import device from 'azure-iot-device';
import deviceMqtt from 'azure-iot-device-mqtt';
import { GROUP_KEY, dpsConnectionString, sandboxInfo } from './sandbox.mjs';

const GLOBAL = 'global.azure-devices-provisioning.net';
const service = provisioningService.ProvisioningServiceClient.fromConnectionString (
  dpsConnectionString ('demo-dps'));

// What Microsoft's group-enrollment sample does to derive a device's key.
function derivedKey (groupKey, registrationId) {
  return crypto.createHmac ('sha256', Buffer.from (groupKey, 'base64'))
               .update (registrationId, 'utf8').digest ('base64');
}

async function register (Transport, registrationId, key) {
  const info = await sandboxInfo ();
  const idScope = info.dps.instances.find ((d) => d.name === 'demo-dps').idScope;
  const security = new symmetricKey.SymmetricKeySecurityClient (registrationId, key);
  const client = provisioningDevice.ProvisioningDeviceClient.create (GLOBAL, idScope,
                                                                     new Transport (), security);
  return client.register ();
}

async function connectAndReadTwin (result, key) {
  const client = device.Client.fromConnectionString (
    `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${key}`,
    deviceMqtt.Mqtt);
  await client.open ();
  const twin = await client.getTwin ();
  await client.close ();
  return twin;
}

test ('the service client reads the demo enrollment group', async () => {
  const group = (await service.getEnrollmentGroup ('factory-line-1')).responseBody;
  assert.equal (group.enrollmentGroupId, 'factory-line-1');
  assert.equal (group.attestation.type, 'symmetricKey');
});

test ('a device registers through the group over MQTT and connects to its hub', async () => {
  const key = derivedKey (GROUP_KEY, 'compat-dps-mqtt');
  const result = await register (provisioningMqtt.Mqtt, 'compat-dps-mqtt', key);

  assert.equal (result.assignedHub, 'demo-hub.azure-devices.net');
  assert.equal (result.deviceId, 'compat-dps-mqtt');
  const twin = await connectAndReadTwin (result, key);
  assert.equal (typeof twin.properties.desired.$version, 'number');
});

test ('a device registers through the group over HTTPS', async () => {
  const key = derivedKey (GROUP_KEY, 'compat-dps-http');
  const result = await register (provisioningHttp.Http, 'compat-dps-http', key);

  assert.equal (result.assignedHub, 'demo-hub.azure-devices.net');
  assert.equal (result.deviceId, 'compat-dps-http');
});

test ('a wrong key is refused over MQTT', async () => {
  await assert.rejects (register (provisioningMqtt.Mqtt, 'compat-dps-wrong',
                                  derivedKey (GROUP_KEY, 'someone-else')));
});

test ('an individual enrollment made by the service client registers its device', async () => {
  const primary = crypto.randomBytes (32).toString ('base64');
  const enrollment = {
    registrationId: 'compat-individual',
    attestation: { type: 'symmetricKey',
                   symmetricKey: { primaryKey: primary,
                                   secondaryKey: crypto.randomBytes (32).toString ('base64') } },
  };
  const created = (await service.createOrUpdateIndividualEnrollment (enrollment)).responseBody;
  assert.equal (created.registrationId, 'compat-individual');

  const read = (await service.getIndividualEnrollment ('compat-individual')).responseBody;
  assert.equal (read.attestation.type, 'symmetricKey');

  const query = service.createIndividualEnrollmentQuery ({ query: 'SELECT *' }, 10);
  const page = (await query.next ()).responseBody;
  assert.ok (page.some ((e) => e.registrationId === 'compat-individual'));

  const result = await register (provisioningMqtt.Mqtt, 'compat-individual', primary);
  assert.equal (result.assignedHub, 'demo-hub.azure-devices.net');
  await connectAndReadTwin (result, primary);

  const state = (await service.getDeviceRegistrationState ('compat-individual')).responseBody;
  assert.equal (state.status, 'assigned');

  await service.deleteIndividualEnrollment ('compat-individual');
  await assert.rejects (service.getIndividualEnrollment ('compat-individual'));
});
