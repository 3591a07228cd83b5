/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Key generation and the key store: the two key slots (the key of the active chain and the
 * next key a keygen with replace or a renewal makes), their storage records and the bench keygen
 * command. A firmware port needs it for any provisioning; keys stay opaque platform blobs. */
#include "cbd-keystore.h"

#include <stdlib.h>
#include <string.h>

#include "cbd-util.h"

/* On-storage forms, encoded with the same CBOR codec as the wire. */
typedef struct
{
  char      *type;
  cbp_bytes  key;
} key_record;

static const cbp_field key_record_fields[] = {
  { "type", CBP_T_TSTR, false, offsetof (key_record, type), CBP_NO_HAS },
  { "key", CBP_T_BSTR, false, offsetof (key_record, key), CBP_NO_HAS },
};

void
cbd_dev_key_slot_clear (cbd_key_slot *k)
{
  if (k->blob != NULL)
    memset (k->blob, 0, k->blob_len);   /* private key material */
  free (k->blob);
  free (k->type);
  free (k->pub);
  memset (k, 0, sizeof *k);
}

bool
cbd_dev_key_type_supported (cbd_device *dev, const char *type)
{
  size_t i;

  for (i = 0; dev->cfg.key_types[i] != NULL; i++)
    if (strcmp (dev->cfg.key_types[i], type) == 0)
      return true;
  return false;
}

/* The key that new work (csr, commit) uses. */
cbd_key_slot *
cbd_dev_working_key (cbd_device *dev)
{
  if (dev->next.blob != NULL)
    return &dev->next;
  if (dev->key.blob != NULL)
    return &dev->key;
  return NULL;
}

int
cbd_dev_key_slot_load (cbd_device *dev, const char *name, cbd_key_slot *k)
{
  uint8_t *data = NULL;
  size_t len = 0;
  key_record rec;
  int ret;

  memset (&rec, 0, sizeof rec);
  ret = dev->plat.load (dev->plat.ctx, name, &data, &len);
  if (ret != 0)
    return ret;   /* 1: absent */
  ret = cbp_msg_decode (key_record_fields, 2, data, len, &rec);
  memset (data, 0, len);
  free (data);
  if (ret != CBP_OK)
    return -1;
  k->type = rec.type;
  k->blob = rec.key.data;
  k->blob_len = rec.key.len;
  if (dev->plat.public_key (dev->plat.ctx, k->blob, k->blob_len, &k->pub, &k->pub_len) != 0)
    {
      cbd_dev_key_slot_clear (k);
      return -1;
    }
  return 0;
}

int
cbd_dev_key_slot_save (cbd_device *dev, const char *name, const cbd_key_slot *k)
{
  key_record rec;
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

  rec.type = k->type;
  rec.key.data = k->blob;
  rec.key.len = k->blob_len;
  if (cbp_msg_encode (key_record_fields, 2, &rec, &out, &len) != CBP_OK)
    return -1;
  ret = dev->plat.save (dev->plat.ctx, name, out, len);
  memset (out, 0, len);
  free (out);
  return ret;
}

int
cbd_dev_make_key (cbd_device *dev, const char *type, cbd_key_slot *out)
{
  memset (out, 0, sizeof *out);
  if (dev->plat.keygen (dev->plat.ctx, type, &out->blob, &out->blob_len) != 0)
    return CBP_RC_CRYPTO;
  out->type = cbd_dev_str_dup (type);
  if (out->type == NULL ||
      dev->plat.public_key (dev->plat.ctx, out->blob, out->blob_len, &out->pub, &out->pub_len) != 0)
    {
      cbd_dev_key_slot_clear (out);
      return CBP_RC_CRYPTO;
    }
  return 0;
}

/* Stores a new key (taken) as the working key: the next key while a chain is active (that
 * chain keeps its key until a commit), else the key. */
int
cbd_dev_install_fresh_key (cbd_device *dev, cbd_key_slot *fresh)
{
  if (dev->active_valid)
    {
      if (cbd_dev_key_slot_save (dev, BLOB_KEY_NEXT, fresh) != 0)
        {
          cbd_dev_key_slot_clear (fresh);
          return CBP_RC_STORAGE;
        }
      cbd_dev_key_slot_clear (&dev->next);
      dev->next = *fresh;
    }
  else
    {
      if (cbd_dev_key_slot_save (dev, BLOB_KEY, fresh) != 0)
        {
          cbd_dev_key_slot_clear (fresh);
          return CBP_RC_STORAGE;
        }
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      cbd_dev_key_slot_clear (&dev->next);
      cbd_dev_key_slot_clear (&dev->key);
      dev->key = *fresh;
    }
  memset (fresh, 0, sizeof *fresh);
  return 0;
}

int
cbd_dev_handle_keygen (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_keygen_req *req = req_;
  cbp_keygen_rsp *rsp = rsp_;
  const char *type = req->type != NULL ? req->type : CBP_KEY_TYPE_P256;
  bool replace = req->has_replace && req->replace;
  cbd_key_slot *work = cbd_dev_working_key (dev);
  cbd_key_slot fresh;
  int rc;

  if (!cbd_dev_key_type_supported (dev, type))
    return CBP_RC_KEY_TYPE;

  if (!replace && work != NULL)
    {
      if (strcmp (work->type, type) != 0)
        return CBP_RC_KEY_EXISTS;
      rsp->type = work->type;
      rsp->created = false;
      rsp->pub.data = work->pub;
      rsp->pub.len = work->pub_len;
      return 0;
    }

  cbd_dev_log2 (dev, "I: keygen: generating a key of type ", type);
  rc = cbd_dev_make_key (dev, type, &fresh);
  if (rc != 0)
    return rc;

  rc = cbd_dev_install_fresh_key (dev, &fresh);
  if (rc != 0)
    return rc;
  work = cbd_dev_working_key (dev);
  cbd_device_log (dev, "I: keygen: done");

  rsp->type = work->type;
  rsp->created = true;
  rsp->pub.data = work->pub;
  rsp->pub.len = work->pub_len;
  return 0;
}
