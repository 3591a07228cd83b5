// SPDX-License-Identifier: GPL-3.0-or-later
// Several tenants with Microsoft's own auth library, unchanged: MSAL Node signs in with a
// device code at the organizations authority (the home tenant), then asks silently for a
// token at the second tenant's authority by URL (https://login.microsoftonline.com/{tenant}),
// which MSAL gets with the cached refresh token (forceRefresh: MSAL would otherwise answer
// from its cache for the account's home tenant, request.account.tenantId). ARM lists each
// tenant's subscriptions with that tenant's token and refuses the home tenant's token for the
// second tenant's subscription (401 InvalidAuthenticationTokenTenant).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { PublicClientApplication } from '@azure/msal-node';
import { ARM_SCOPE, CLIENT_ID, getJson, sandboxInfo } from './sandbox.mjs';

const RES_API = 'api-version=2022-12-01';

function getStatus (url, token) {
  return new Promise ((resolve, reject) => {
    https.get (url, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding ('utf8');
      res.on ('data', (chunk) => { body += chunk; });
      res.on ('end', () => resolve ({ status: res.statusCode, body: JSON.parse (body || '{}') }));
    }).on ('error', reject);
  });
}

test ('MSAL Node gets a token for the second tenant by its authority URL', async () => {
  const info = await sandboxInfo ();
  const second = info.demo.secondTenant;
  const pca = new PublicClientApplication ({
    auth: { clientId: CLIENT_ID, authority: 'https://login.microsoftonline.com/organizations' },
  });
  const home = await pca.acquireTokenByDeviceCode ({
    scopes: [ARM_SCOPE],
    deviceCodeCallback: () => {},
  });
  assert.equal (home.tenantId, info.entra.tenant);

  const tenants = await getJson (`https://management.azure.com/tenants?${RES_API}`,
                                 { Authorization: `Bearer ${home.accessToken}` });
  const ids = tenants.value.map ((t) => t.tenantId);
  assert.deepEqual (ids, [info.entra.tenant, second.tenant]);

  const other = await pca.acquireTokenSilent ({
    account: home.account,
    scopes: [ARM_SCOPE],
    authority: `https://login.microsoftonline.com/${second.tenant}`,
    forceRefresh: true,
  });
  assert.equal (other.tenantId, second.tenant);
  assert.notEqual (other.accessToken, home.accessToken);

  const subs = await getJson (`https://management.azure.com/subscriptions?${RES_API}`,
                              { Authorization: `Bearer ${other.accessToken}` });
  assert.deepEqual (subs.value.map ((s) => s.subscriptionId), [second.subscription]);
  assert.equal (subs.value[0].tenantId, second.tenant);

  const refused = await getStatus (`https://management.azure.com/subscriptions/` +
                                   `${second.subscription}/resourcegroups?${RES_API}`,
                                   home.accessToken);
  assert.equal (refused.status, 401);
  assert.equal (refused.body.error.code, 'InvalidAuthenticationTokenTenant');

  const groups = await getJson (`https://management.azure.com/subscriptions/` +
                                `${second.subscription}/resourcegroups?${RES_API}`,
                                { Authorization: `Bearer ${other.accessToken}` });
  assert.deepEqual (groups.value.map ((g) => g.name), [second.resourceGroup]);
});
