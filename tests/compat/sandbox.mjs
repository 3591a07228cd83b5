// SPDX-License-Identifier: GPL-3.0-or-later
// What every compatibility test needs to know of the sandbox it runs against (run.sh starts
// it): its /sandbox/info document, read over HTTPS with the CA the SDKs are given too. The
// tests use only this and the Azure host names; nothing here talks to Azure for them.

import https from 'node:https';

export const ARM_SCOPE = 'https://management.azure.com/.default';
// Azure CLI's public client id: what a user's script would send. The sandbox takes any.
export const CLIENT_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

export function getJson (url, headers = {}) {
  return new Promise ((resolve, reject) => {
    https.get (url, { headers }, (res) => {
      let body = '';
      res.setEncoding ('utf8');
      res.on ('data', (chunk) => { body += chunk; });
      res.on ('end', () => {
        if (res.statusCode !== 200) {
          reject (new Error (`GET ${url}: HTTP ${res.statusCode}: ${body}`));
          return;
        }
        resolve (JSON.parse (body));
      });
    }).on ('error', reject);
  });
}

let info = null;

export async function sandboxInfo () {
  if (info === null)
    info = await getJson (`${process.env.CB_SANDBOX_URL}/sandbox/info`);
  return info;
}

// The demo seed's fixed keys (docs/sandbox.md, "The demo seed"): what a user copies from there.
export const HUB_OWNER_KEY = 'Y2VydGJlbmNoLWRlbW8taW90aHVib3duZXIta2V5LTAx';
export const DPS_OWNER_KEY = 'Y2VydGJlbmNoLWRlbW8tZHBzLW93bmVyLWtleS0wMDAx';
export const GROUP_KEY = 'Y2VydGJlbmNoLWRlbW8tZW5yb2xsbWVudC1rZXktMDE=';

export function hubConnectionString (hub) {
  return `HostName=${hub}.azure-devices.net;SharedAccessKeyName=iothubowner;` +
         `SharedAccessKey=${HUB_OWNER_KEY}`;
}

export function dpsConnectionString (dps) {
  return `HostName=${dps}.azure-devices-provisioning.net;` +
         `SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=${DPS_OWNER_KEY}`;
}

// Waits until check () is true, a bounded number of times (no timing asserted).
export async function until (check, what, tries = 200) {
  for (let i = 0; i < tries; i++) {
    if (await check ())
      return;
    await new Promise ((resolve) => setTimeout (resolve, 50));
  }
  throw new Error (`never happened: ${what}`);
}
