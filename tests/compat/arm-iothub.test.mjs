// SPDX-License-Identifier: GPL-3.0-or-later
// An admin's script with @azure/arm-iothub and @azure/identity, unchanged: signs in with a
// device code, finds the hubs of the subscription, reads one, lists its service keys and its
// CA certificates on management.azure.com; then a service key opens the hub's registry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceCodeCredential } from '@azure/identity';
import { IotHubClient } from '@azure/arm-iothub';
import iothub from 'azure-iothub';
import { CLIENT_ID, sandboxInfo } from './sandbox.mjs';

async function client () {
  const info = await sandboxInfo ();
  const credential = new DeviceCodeCredential ({ tenantId: info.entra.tenant, clientId: CLIENT_ID,
                                                 userPromptCallback: () => {} });
  return { info, arm: new IotHubClient (credential, info.demo.subscription) };
}

test ('the subscription lists its hubs and one reads back', async () => {
  const { info, arm } = await client ();
  const names = [];
  for await (const hub of arm.iotHubResource.listBySubscription ())
    names.push (hub.name);
  assert.ok (names.includes ('demo-hub') && names.includes ('demo-stable-hub'), `${names}`);

  const hub = await arm.iotHubResource.get (info.demo.resourceGroup, 'demo-hub');
  assert.equal (hub.name, 'demo-hub');
  assert.equal (hub.properties.hostName, 'demo-hub.azure-devices.net');

  const inGroup = [];
  for await (const h of arm.iotHubResource.listByResourceGroup (info.demo.resourceGroup))
    inGroup.push (h.name);
  assert.ok (inGroup.includes ('demo-hub'));
});

test ('listKeys gives the service keys, and one of them opens the registry', async () => {
  const { info, arm } = await client ();
  const keys = [];
  for await (const rule of arm.iotHubResource.listKeys (info.demo.resourceGroup, 'demo-hub'))
    keys.push (rule);
  const owner = keys.find ((k) => k.keyName === 'iothubowner');
  assert.ok (owner, `keys: ${keys.map ((k) => k.keyName)}`);
  assert.match (owner.rights, /RegistryWrite/);

  const registry = iothub.Registry.fromConnectionString (
    `HostName=demo-hub.azure-devices.net;SharedAccessKeyName=${owner.keyName};` +
    `SharedAccessKey=${owner.primaryKey}`);
  const stats = (await registry.getRegistryStatistics ()).responseBody;
  assert.ok (stats.totalDeviceCount >= 240);
});

test ('the hub lists the CA certificates ADR synchronized to it', async () => {
  const { info, arm } = await client ();
  const list = await arm.certificates.listByIotHub (info.demo.resourceGroup, 'demo-hub');
  assert.ok (list.value.length >= 1);
  assert.ok (list.value.every ((c) => c.properties.certificate.includes ('BEGIN CERTIFICATE')) ||
             list.value.every ((c) => typeof c.properties.thumbprint === 'string'));
});

test ('a hub that does not exist is a 404 the SDK reports', async () => {
  const { info, arm } = await client ();
  await assert.rejects (arm.iotHubResource.get (info.demo.resourceGroup, 'no-such-hub'),
                        (err) => err.statusCode === 404);
});
