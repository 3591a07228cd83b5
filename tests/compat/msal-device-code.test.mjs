// SPDX-License-Identifier: GPL-3.0-or-later
// Signing in with Microsoft's own auth libraries, unchanged: MSAL Node's device-code flow
// and @azure/identity's DeviceCodeCredential against login.microsoftonline.com (which
// resolves to the sandbox), then the token used on management.azure.com.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PublicClientApplication } from '@azure/msal-node';
import { DeviceCodeCredential } from '@azure/identity';
import { ARM_SCOPE, CLIENT_ID, getJson, sandboxInfo } from './sandbox.mjs';

test ('MSAL Node signs in with a device code', async () => {
  const info = await sandboxInfo ();
  const pca = new PublicClientApplication ({
    auth: { clientId: CLIENT_ID, authority: `https://login.microsoftonline.com/${info.entra.tenant}` },
  });
  let prompt = null;
  const result = await pca.acquireTokenByDeviceCode ({
    scopes: [ARM_SCOPE],
    deviceCodeCallback: (response) => { prompt = response; },
  });

  assert.ok (prompt, 'MSAL showed no device-code prompt');
  assert.match (prompt.userCode, /\S+/);
  assert.match (prompt.message, /https:\/\//);
  assert.ok (result.accessToken.length > 20);
  assert.equal (result.tenantId, info.entra.tenant);
  assert.equal (result.account.username, info.entra.defaultPrincipal);
  assert.ok (result.expiresOn > new Date ());

  // The token opens ARM, as Azure's would.
  const list = await getJson (`https://management.azure.com/subscriptions/${info.demo.subscription}` +
                              `/providers/Microsoft.DeviceRegistry/namespaces?api-version=2026-11-01`,
                              { Authorization: `Bearer ${result.accessToken}` });
  const names = list.value.map ((ns) => ns.name);
  assert.ok (names.includes (info.demo.namespace), `namespaces: ${names}`);
});

test ('MSAL Node refuses a tenant the sandbox does not have', async () => {
  const pca = new PublicClientApplication ({
    auth: { clientId: CLIENT_ID,
            authority: 'https://login.microsoftonline.com/00000000-0000-4000-8000-00000000dead' },
  });
  await assert.rejects (pca.acquireTokenByDeviceCode ({ scopes: [ARM_SCOPE],
                                                       deviceCodeCallback: () => {} }));
});

test ('@azure/identity DeviceCodeCredential gets an ARM token', async () => {
  const info = await sandboxInfo ();
  let shown = null;
  const credential = new DeviceCodeCredential ({
    tenantId: info.entra.tenant,
    clientId: CLIENT_ID,
    userPromptCallback: (details) => { shown = details; },
  });
  const token = await credential.getToken (ARM_SCOPE);

  assert.ok (shown, 'no device-code prompt');
  assert.ok (token.token.length > 20);
  assert.ok (token.expiresOnTimestamp > Date.now ());
});
