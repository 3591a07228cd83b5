/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The certificate store: the staging slot (a chain arriving in chunks, persisted with its
 * announced hash), DER chain parsing, the leaf-key check and the activation of a chain (active
 * chain first, then the key: cbd_device_new() finishes a commit a power cut interrupted). A
 * firmware port needs it for every way a certificate arrives (bench, DPS, hub renewal). */
#include "cbd-cert-store.h"

#include <stdlib.h>
#include <string.h>

#include "cbd-keystore.h"

typedef struct
{
  uint64_t  len;        /* announced total */
  cbp_bytes sha;        /* announced SHA-256 */
  cbp_bytes data;       /* received so far */
} staging_record;

static const cbp_field staging_record_fields[] = {
  { "len", CBP_T_UINT, false, offsetof (staging_record, len), CBP_NO_HAS },
  { "sha", CBP_T_BSTR, false, offsetof (staging_record, sha), CBP_NO_HAS },
  { "data", CBP_T_BSTR, false, offsetof (staging_record, data), CBP_NO_HAS },
};

int
cbd_dev_staging_save (cbd_device *dev)
{
  staging_record rec;
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;
  static uint8_t empty[1];

  if (dev->staging_total == 0)
    {
      ret = dev->plat.remove (dev->plat.ctx, BLOB_STAGING);
      return ret;
    }
  rec.len = dev->staging_total;
  rec.sha.data = dev->staging_sha;
  rec.sha.len = CBP_SHA256_LEN;
  rec.data.data = dev->staging != NULL ? dev->staging : empty;
  rec.data.len = dev->staging_len;
  if (cbp_msg_encode (staging_record_fields, 3, &rec, &out, &len) != CBP_OK)
    return -1;
  ret = dev->plat.save (dev->plat.ctx, BLOB_STAGING, out, len);
  free (out);
  return ret;
}

void
cbd_dev_staging_reset (cbd_device *dev)
{
  free (dev->staging);
  dev->staging = NULL;
  dev->staging_len = 0;
  dev->staging_total = 0;
  dev->staging_done = false;
  memset (dev->staging_sha, 0, sizeof dev->staging_sha);
}

bool
cbd_dev_staging_check_hash (cbd_device *dev)
{
  uint8_t sha[CBP_SHA256_LEN];

  dev->plat.sha256 (dev->plat.ctx, dev->staging, dev->staging_len, sha);
  return memcmp (sha, dev->staging_sha, CBP_SHA256_LEN) == 0;
}

void
cbd_dev_staging_load (cbd_device *dev)
{
  uint8_t *data = NULL;
  size_t len = 0;
  staging_record rec;

  memset (&rec, 0, sizeof rec);
  if (dev->plat.load (dev->plat.ctx, BLOB_STAGING, &data, &len) != 0)
    return;
  if (cbp_msg_decode (staging_record_fields, 3, data, len, &rec) == CBP_OK &&
      rec.sha.len == CBP_SHA256_LEN && rec.len > 0 && rec.len <= dev->cfg.slot_size &&
      rec.data.len <= rec.len)
    {
      dev->staging = malloc ((size_t) rec.len);
      if (dev->staging != NULL)
        {
          memcpy (dev->staging, rec.data.data, rec.data.len);
          dev->staging_len = rec.data.len;
          dev->staging_total = (size_t) rec.len;
          memcpy (dev->staging_sha, rec.sha.data, CBP_SHA256_LEN);
          dev->staging_done = dev->staging_len == dev->staging_total &&
                              cbd_dev_staging_check_hash (dev);
        }
    }
  cbp_msg_clear (staging_record_fields, 3, &rec);
  free (data);
}

size_t
cbd_der_element_len (const uint8_t *data, size_t len)
{
  size_t hdr, body, i, n;

  if (len < 2 || data[0] != 0x30)
    return 0;
  if (data[1] < 0x80)
    {
      hdr = 2;
      body = data[1];
    }
  else
    {
      n = data[1] & 0x7f;
      if (n == 0 || n > 4 || len < 2 + n)
        return 0;
      body = 0;
      for (i = 0; i < n; i++)
        body = (body << 8) | data[2 + i];
      hdr = 2 + n;
    }
  if (body > len - hdr)
    return 0;
  return hdr + body;
}

/* Checks that chain is one or more DER certificates and reads the leaf. */
bool
cbd_dev_parse_chain (cbd_device *dev, const uint8_t *chain, size_t len, uint8_t **leaf_spki,
                     size_t *leaf_spki_len, int64_t *not_before, int64_t *not_after)
{
  size_t pos = 0;
  bool first = true;

  if (len == 0)
    return false;
  while (pos < len)
    {
      size_t n = cbd_der_element_len (chain + pos, len - pos);
      int64_t nb = 0, na = 0;

      if (n == 0)
        goto fail;
      if (first)
        {
          if (dev->plat.cert_info (dev->plat.ctx, chain + pos, n, leaf_spki, leaf_spki_len,
                                   not_before, not_after) != 0)
            goto fail;
        }
      else if (dev->plat.cert_info (dev->plat.ctx, chain + pos, n, NULL, NULL, &nb, &na) != 0)
        goto fail;
      first = false;
      pos += n;
    }
  return true;

fail:
  if (!first && leaf_spki != NULL)
    {
      free (*leaf_spki);
      *leaf_spki = NULL;
    }
  return false;
}

void
cbd_dev_active_refresh (cbd_device *dev)
{
  uint8_t *spki = NULL;
  size_t spki_len = 0;

  dev->active_valid = dev->active != NULL &&
                      cbd_dev_parse_chain (dev, dev->active, dev->active_len, &spki, &spki_len,
                                           &dev->active_not_before, &dev->active_not_after);
  free (spki);
}

bool
cbd_dev_leaf_matches (cbd_device *dev, const uint8_t *chain, size_t len, const cbd_key_slot *k)
{
  uint8_t *spki = NULL;
  size_t spki_len = 0;
  int64_t nb, na;
  bool match;

  if (k == NULL || k->blob == NULL ||
      !cbd_dev_parse_chain (dev, chain, len, &spki, &spki_len, &nb, &na))
    return false;
  match = spki_len == k->pub_len && memcmp (spki, k->pub, spki_len) == 0;
  free (spki);
  return match;
}

/* Installs chain (malloc'd; taken on success) whose leaf carries the working key. Active
 * chain first, then the key: see the recovery in cbd_device_new(). */
int
cbd_dev_activate_chain (cbd_device *dev, uint8_t *chain, size_t len)
{
  if (dev->plat.save (dev->plat.ctx, BLOB_ACTIVE, chain, len) != 0)
    return -1;
  if (cbd_dev_working_key (dev) == &dev->next)
    {
      if (cbd_dev_key_slot_save (dev, BLOB_KEY, &dev->next) != 0)
        return -1;
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      cbd_dev_key_slot_clear (&dev->key);
      dev->key = dev->next;
      memset (&dev->next, 0, sizeof dev->next);
    }
  free (dev->active);
  dev->active = chain;
  dev->active_len = len;
  cbd_dev_active_refresh (dev);
  return 0;
}
