// SPDX-License-Identifier: GPL-3.0-or-later
// The hub's registry through azure-iothub, unchanged: a device identity created the way the
// SDK creates it (keys left for the hub to make), read, listed, counted, queried in pages,
// its twin patched, and deleted; all on {hub}.azure-devices.net.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import iothub from 'azure-iothub';
import { hubConnectionString } from './sandbox.mjs';

const registry = iothub.Registry.fromConnectionString (hubConnectionString ('demo-hub'));

test ('a SAS device created with empty keys gets keys from the hub', async () => {
  const created = await registry.create ({ deviceId: 'compat-sas-1' });
  const device = created.responseBody;

  assert.equal (device.deviceId, 'compat-sas-1');
  assert.equal (device.authentication.type, 'sas');
  assert.equal (Buffer.from (device.authentication.symmetricKey.primaryKey, 'base64').length, 32);
  assert.notEqual (device.authentication.symmetricKey.primaryKey,
                   device.authentication.symmetricKey.secondaryKey);

  const read = (await registry.get ('compat-sas-1')).responseBody;
  assert.equal (read.authentication.symmetricKey.primaryKey,
                device.authentication.symmetricKey.primaryKey);
  assert.equal (read.status, 'enabled');

  await assert.rejects (registry.create ({ deviceId: 'compat-sas-1' }),
                        (err) => err.constructor.name === 'DeviceAlreadyExistsError');
});

test ('list and statistics count the seed and the new device', async () => {
  const stats = (await registry.getRegistryStatistics ()).responseBody;
  assert.ok (stats.totalDeviceCount >= 241, JSON.stringify (stats));
  assert.equal (stats.enabledDeviceCount + stats.disabledDeviceCount, stats.totalDeviceCount);

  const list = (await registry.list ()).responseBody;
  assert.ok (list.some ((d) => d.deviceId === 'compat-sas-1'));
  assert.ok (list.some ((d) => d.deviceId === 'demo-0001'));
});

test ('a query walks every twin in pages with the continuation token', async () => {
  const query = registry.createQuery ('SELECT * FROM devices', 100);
  const ids = new Set ();
  let pages = 0;

  while (query.hasMoreResults) {
    const page = await query.nextAsTwin ();
    pages++;
    for (const twin of page.result)
      ids.add (twin.deviceId);
    assert.ok (pages < 100, 'the continuation never ended');
  }
  assert.ok (pages >= 3, `only ${pages} page(s)`);
  assert.ok (ids.has ('demo-0240') && ids.has ('compat-sas-1'));

  const count = registry.createQuery ("SELECT COUNT() AS n FROM devices WHERE status = 'enabled'");
  const n = (await count.next ()).result[0].n;
  assert.ok (n >= 1);
});

test ('a twin patch lands and the device is deleted', async () => {
  const twin = (await registry.getTwin ('compat-sas-1')).responseBody;
  const patched = (await registry.updateTwin ('compat-sas-1',
                                              { tags: { line: 'compat' },
                                                properties: { desired: { interval: 42 } } },
                                              twin.etag)).responseBody;
  assert.equal (patched.tags.line, 'compat');
  assert.equal (patched.properties.desired.interval, 42);

  await registry.delete ('compat-sas-1');
  await assert.rejects (registry.get ('compat-sas-1'),
                        (err) => err.constructor.name === 'DeviceNotFoundError');
});
