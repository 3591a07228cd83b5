/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Certificate install and proof: the bench commands cert_put (chunked upload into staging),
 * cert_commit (check and activate), cert_get (read a slot back) and pop (proof of possession
 * over a station challenge). A firmware port needs it for bench provisioning. */
#include "cbd-cert.h"

#include <stdlib.h>
#include <string.h>

#include "cbp-smp.h"

#include "cbd-util.h"
#include "cbd-keystore.h"
#include "cbd-cert-store.h"
#include "cbd-hub.h"

/* Room the cert_get response needs besides the data. */
#define CERT_GET_OVERHEAD 96

int
cbd_dev_handle_cert_put (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_cert_put_req *req = req_;
  cbp_cert_put_rsp *rsp = rsp_;

  if (req->off == 0)
    {
      if (!req->has_len || req->sha.data == NULL || req->sha.len != CBP_SHA256_LEN ||
          req->len == 0)
        return GENERIC (CBP_SMP_RC_INVALID);
      if (req->len > dev->cfg.slot_size)
        return CBP_RC_TOO_LARGE;
      cbd_dev_staging_reset (dev);
      dev->staging = malloc ((size_t) req->len);
      if (dev->staging == NULL)
        return GENERIC (CBP_SMP_RC_NO_MEMORY);
      dev->staging_total = (size_t) req->len;
      memcpy (dev->staging_sha, req->sha.data, CBP_SHA256_LEN);
    }
  else if (req->off != dev->staging_len || dev->staging_total == 0)
    {
      /* A repeated or out-of-order chunk: store nothing, tell where to continue. */
      rsp->off = dev->staging_len;
      rsp->done = dev->staging_done;
      return 0;
    }

  if (req->data.len > dev->staging_total - dev->staging_len)
    return CBP_RC_TOO_LARGE;
  if (req->data.len > 0)
    memcpy (dev->staging + dev->staging_len, req->data.data, req->data.len);
  dev->staging_len += req->data.len;

  if (dev->staging_len == dev->staging_total)
    {
      if (!cbd_dev_staging_check_hash (dev))
        {
          cbd_dev_staging_reset (dev);
          cbd_dev_staging_save (dev);
          cbd_device_log (dev, "E: cert_put: SHA-256 mismatch, staging emptied");
          return CBP_RC_HASH_MISMATCH;
        }
      dev->staging_done = true;
    }
  if (cbd_dev_staging_save (dev) != 0)
    return CBP_RC_STORAGE;

  rsp->off = dev->staging_len;
  rsp->done = dev->staging_done;
  return 0;
}

static void
fill_commit_rsp (cbd_device *dev, cbp_cert_commit_rsp *rsp, uint8_t *sha_buf)
{
  dev->plat.sha256 (dev->plat.ctx, dev->active, dev->active_len, sha_buf);
  rsp->sha.data = sha_buf;
  rsp->sha.len = CBP_SHA256_LEN;
  rsp->not_before = dev->active_not_before;
  rsp->not_after = dev->active_not_after;
}

int
cbd_dev_handle_cert_commit (cbd_device *dev, const void *req_, void *rsp_, uint8_t *sha_buf)
{
  const cbp_cert_commit_req *req = req_;
  cbp_cert_commit_rsp *rsp = rsp_;
  cbd_key_slot *work;
  uint8_t *spki = NULL;
  size_t spki_len = 0;
  int64_t nb = 0, na = 0;
  bool match;

  if (req->sha.len != CBP_SHA256_LEN)
    return GENERIC (CBP_SMP_RC_INVALID);

  if (!dev->staging_done)
    {
      if (dev->staging_total == 0 && dev->active_valid)
        {
          uint8_t cur[CBP_SHA256_LEN];
          dev->plat.sha256 (dev->plat.ctx, dev->active, dev->active_len, cur);
          if (memcmp (cur, req->sha.data, CBP_SHA256_LEN) == 0)
            {
              /* A repeat of a commit that already happened. */
              fill_commit_rsp (dev, rsp, sha_buf);
              return 0;
            }
        }
      return CBP_RC_STAGING_EMPTY;
    }
  if (memcmp (req->sha.data, dev->staging_sha, CBP_SHA256_LEN) != 0)
    return CBP_RC_HASH_MISMATCH;
  if (!cbd_dev_parse_chain (dev, dev->staging, dev->staging_len, &spki, &spki_len, &nb, &na))
    return CBP_RC_CHAIN_INVALID;

  work = cbd_dev_working_key (dev);
  if (work == NULL)
    {
      free (spki);
      return CBP_RC_NO_KEY;
    }
  match = spki_len == work->pub_len && memcmp (spki, work->pub, spki_len) == 0;
  free (spki);
  if (!match)
    {
      cbd_device_log (dev, "E: cert_commit: leaf key is not the device key");
      return CBP_RC_KEY_MISMATCH;
    }
  if (dev->cfg.fault_refuse_commit)
    {
      cbd_device_log (dev, "W: cert_commit: refused by device policy");
      return CBP_RC_COMMIT_REFUSED;
    }

  if (cbd_dev_activate_chain (dev, dev->staging, dev->staging_len) != 0)
    return CBP_RC_STORAGE;
  dev->staging = NULL;
  cbd_dev_staging_reset (dev);
  cbd_dev_staging_save (dev);
  if (dev->dps_state == DPS_ASSIGNED)
    dev->dps_state = DPS_IDLE;
  cbd_device_log (dev, "I: cert_commit: new certificate active");
  cbd_dev_hub_restart (dev);
  cbd_dev_notify (dev);
  /* The new chain is active, yet the station will never hear so. */
  if (dev->cfg.fault_unplug_at_commit && dev->plat.unplug != NULL)
    dev->plat.unplug (dev->plat.ctx);

  fill_commit_rsp (dev, rsp, sha_buf);
  return 0;
}

int
cbd_dev_handle_cert_get (cbd_device *dev, const void *req_, void *rsp_, uint8_t *sha_buf)
{
  const cbp_cert_get_req *req = req_;
  cbp_cert_get_rsp *rsp = rsp_;
  const uint8_t *slot;
  size_t len, n, room;

  if (req->slot == NULL || strcmp (req->slot, "active") == 0)
    {
      if (!dev->active_valid)
        return CBP_RC_NO_CERT;
      slot = dev->active;
      len = dev->active_len;
    }
  else if (strcmp (req->slot, "staging") == 0)
    {
      if (dev->staging_len == 0)
        return CBP_RC_STAGING_EMPTY;
      slot = dev->staging;
      len = dev->staging_len;
    }
  else
    return GENERIC (CBP_SMP_RC_INVALID);

  if (req->off > len)
    return GENERIC (CBP_SMP_RC_INVALID);

  room = dev->cfg.buf_size - CERT_GET_OVERHEAD;
  n = len - (size_t) req->off;
  if (n > room)
    n = room;
  if (req->has_max && req->max < n)
    n = (size_t) req->max;

  dev->plat.sha256 (dev->plat.ctx, slot, len, sha_buf);
  rsp->off = req->off;
  rsp->len = len;
  rsp->sha.data = sha_buf;
  rsp->sha.len = CBP_SHA256_LEN;
  /* A non-NULL pointer even for an empty chunk: data is a required field. */
  rsp->data.data = (uint8_t *) slot + req->off;
  rsp->data.len = n;
  return 0;
}

int
cbd_dev_handle_pop (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_pop_req *req = req_;
  cbp_pop_rsp *rsp = rsp_;
  cbd_key_slot *k = dev->key.blob != NULL ? &dev->key : cbd_dev_working_key (dev);
  uint8_t msg[CBP_POP_PREFIX_LEN + CBP_CHALLENGE_LEN];

  if (req->challenge.len != CBP_CHALLENGE_LEN)
    return CBP_RC_BAD_CHALLENGE;
  if (k == NULL)
    return CBP_RC_NO_KEY;

  memcpy (msg, CBP_POP_PREFIX, CBP_POP_PREFIX_LEN);   /* copies the terminating NUL too */
  memcpy (msg + CBP_POP_PREFIX_LEN, req->challenge.data, CBP_CHALLENGE_LEN);
  if (dev->plat.sign (dev->plat.ctx, k->blob, k->blob_len, msg, sizeof msg,
                      &rsp->sig.data, &rsp->sig.len) != 0)
    return CBP_RC_CRYPTO;
  rsp->pub.data = k->pub;
  rsp->pub.len = k->pub_len;
  rsp->alg = (char *) (strcmp (k->type, CBP_KEY_TYPE_P384) == 0 ? "ecdsa-sha384"
                                                                 : "ecdsa-sha256");
  return 0;
}
