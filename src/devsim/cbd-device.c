/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Portable device side of the bench protocol: no GLib, only libc, libcbor (through
 * certbench-proto) and the platform callbacks. */
#include "cbd-device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbp-frame.h"
#include "cbp-group.h"
#include "cbp-smp.h"

/* Storage blob names */
#define BLOB_SERIAL    "serial"
#define BLOB_KEY       "key"
#define BLOB_KEY_NEXT  "key-next"
#define BLOB_ACTIVE    "active"
#define BLOB_STAGING   "staging"
#define BLOB_DPS       "dps"

/* Handler results: 0 ok, > 0 a bench-group rc, < 0 a generic SMP rc (negated). */
#define GENERIC(rc) (-(rc))

/* Room the cert_get response needs besides the data. */
#define CERT_GET_OVERHEAD 96

typedef struct
{
  uint8_t *blob;       /* platform key */
  size_t   blob_len;
  char    *type;       /* "p256" */
  uint8_t *pub;        /* DER SPKI */
  size_t   pub_len;
} key_slot;

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

enum
{
  DPS_IDLE,
  DPS_RUNNING,
  DPS_ASSIGNED,
  DPS_FAILED,
};

struct cbd_device
{
  cbd_config      cfg;
  cbd_platform    plat;
  cbp_decoder    *dec;
  char           *serial;
  int64_t         boot_time;

  key_slot        key;        /* current: belongs to the active chain */
  key_slot        next;       /* made by keygen with replace, not committed yet */

  uint8_t        *active;
  size_t          active_len;
  bool            active_valid;
  int64_t         active_not_before;
  int64_t         active_not_after;

  uint8_t        *staging;     /* staging_total bytes allocated */
  size_t          staging_len;
  size_t          staging_total;
  uint8_t         staging_sha[CBP_SHA256_LEN];
  bool            staging_done;  /* complete and hash checked */

  cbp_dps_config_req dps;      /* scope == NULL: not configured */
  int             dps_state;
  char           *dps_error;
  char           *dps_hub;
  char           *dps_device_id;

  char           *last_tls_error;
  char           *last_dps_error;
};

static void handle_packet (void *user_data, const uint8_t *packet, size_t len);

static const char *const default_key_types[] = { CBP_KEY_TYPE_P256, CBP_KEY_TYPE_P384, NULL };

static char *
str_dup (const char *s)
{
  size_t n;
  char *d;

  if (s == NULL)
    return NULL;
  n = strlen (s);
  d = malloc (n + 1);
  if (d != NULL)
    memcpy (d, s, n + 1);
  return d;
}

static void
set_str (char **ptr, const char *s)
{
  free (*ptr);
  *ptr = str_dup (s);
}

static void
key_slot_clear (key_slot *k)
{
  if (k->blob != NULL)
    memset (k->blob, 0, k->blob_len);   /* private key material */
  free (k->blob);
  free (k->type);
  free (k->pub);
  memset (k, 0, sizeof *k);
}

static bool
key_type_supported (cbd_device *dev, const char *type)
{
  size_t i;

  for (i = 0; dev->cfg.key_types[i] != NULL; i++)
    if (strcmp (dev->cfg.key_types[i], type) == 0)
      return true;
  return false;
}

/* The key that new work (csr, commit) uses. */
static key_slot *
working_key (cbd_device *dev)
{
  if (dev->next.blob != NULL)
    return &dev->next;
  if (dev->key.blob != NULL)
    return &dev->key;
  return NULL;
}

static void
dev_write (cbd_device *dev, const uint8_t *data, size_t len)
{
  dev->plat.write (dev->plat.ctx, data, len);
}

void
cbd_device_log (cbd_device *dev, const char *line)
{
  size_t n = strlen (line);
  char *buf = malloc (n + 2);

  if (buf == NULL)
    return;
  memcpy (buf, line, n);
  buf[n] = '\n';
  dev_write (dev, (const uint8_t *) buf, n + 1);
  free (buf);
}

/* prefix + arg, cut to a console line */
static void
dev_log2 (cbd_device *dev, const char *prefix, const char *arg)
{
  char line[160];

  snprintf (line, sizeof line, "%s%s", prefix, arg != NULL ? arg : "?");
  cbd_device_log (dev, line);
}

/* ---- storage ---- */

static int
key_slot_load (cbd_device *dev, const char *name, key_slot *k)
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
      key_slot_clear (k);
      return -1;
    }
  return 0;
}

static int
key_slot_save (cbd_device *dev, const char *name, const key_slot *k)
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

static int
staging_save (cbd_device *dev)
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

static void
staging_reset (cbd_device *dev)
{
  free (dev->staging);
  dev->staging = NULL;
  dev->staging_len = 0;
  dev->staging_total = 0;
  dev->staging_done = false;
  memset (dev->staging_sha, 0, sizeof dev->staging_sha);
}

static bool
staging_check_hash (cbd_device *dev)
{
  uint8_t sha[CBP_SHA256_LEN];

  dev->plat.sha256 (dev->plat.ctx, dev->staging, dev->staging_len, sha);
  return memcmp (sha, dev->staging_sha, CBP_SHA256_LEN) == 0;
}

static void
staging_load (cbd_device *dev)
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
          dev->staging_done = dev->staging_len == dev->staging_total && staging_check_hash (dev);
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
static bool
parse_chain (cbd_device *dev, const uint8_t *chain, size_t len, uint8_t **leaf_spki,
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

static void
active_refresh (cbd_device *dev)
{
  uint8_t *spki = NULL;
  size_t spki_len = 0;

  dev->active_valid = dev->active != NULL &&
                      parse_chain (dev, dev->active, dev->active_len, &spki, &spki_len,
                                   &dev->active_not_before, &dev->active_not_after);
  free (spki);
}

static bool
leaf_matches (cbd_device *dev, const uint8_t *chain, size_t len, const key_slot *k)
{
  uint8_t *spki = NULL;
  size_t spki_len = 0;
  int64_t nb, na;
  bool match;

  if (k == NULL || k->blob == NULL ||
      !parse_chain (dev, chain, len, &spki, &spki_len, &nb, &na))
    return false;
  match = spki_len == k->pub_len && memcmp (spki, k->pub, spki_len) == 0;
  free (spki);
  return match;
}

static void
dps_load (cbd_device *dev)
{
  uint8_t *data = NULL;
  size_t len = 0;
  const cbp_command *cmd = cbp_group_command (CBP_CMD_DPS_CONFIG);

  if (dev->plat.load (dev->plat.ctx, BLOB_DPS, &data, &len) != 0)
    return;
  if (cbp_request_decode (cmd, data, len, &dev->dps) != CBP_OK)
    memset (&dev->dps, 0, sizeof dev->dps);
  memset (data, 0, len);
  free (data);
}

cbd_device *
cbd_device_new (const cbd_config *config, const cbd_platform *platform)
{
  cbd_device *dev;
  uint8_t *data = NULL;
  size_t len = 0;

  if (config == NULL || platform == NULL || platform->write == NULL || platform->load == NULL)
    return NULL;

  dev = calloc (1, sizeof *dev);
  if (dev == NULL)
    return NULL;
  dev->cfg = *config;
  dev->plat = *platform;
  if (dev->cfg.key_types == NULL)
    dev->cfg.key_types = default_key_types;
  if (dev->cfg.group < 64)
    dev->cfg.group = CBP_GROUP_DEFAULT;
  if (dev->cfg.frame_size < CBP_FRAME_SIZE_MIN)
    dev->cfg.frame_size = CBP_FRAME_SIZE_DEFAULT;
  if (dev->cfg.buf_size < CBP_BUF_SIZE_MIN)
    dev->cfg.buf_size = CBP_BUF_SIZE_MIN;
  if (dev->cfg.buf_count == 0)
    dev->cfg.buf_count = 1;
  if (dev->cfg.slot_size == 0)
    dev->cfg.slot_size = 8192;
  if (dev->cfg.model == NULL)
    dev->cfg.model = "certbench-devsim";
  if (dev->cfg.fw == NULL)
    dev->cfg.fw = "0.0.0";
  dev->boot_time = dev->plat.now (dev->plat.ctx);

  /* The decoder accepts a bit more than buf_size so that an oversize request can still be
   * answered with "message too large" instead of silence. */
  dev->dec = cbp_decoder_new (dev->cfg.buf_size * 2, handle_packet, NULL, dev);
  if (dev->dec == NULL)
    goto fail;

  /* Identity: a stored serial wins, so a device keeps its serial across restarts. */
  if (dev->plat.load (dev->plat.ctx, BLOB_SERIAL, &data, &len) == 0)
    {
      dev->serial = malloc (len + 1);
      if (dev->serial == NULL)
        goto fail;
      memcpy (dev->serial, data, len);
      dev->serial[len] = 0;
      free (data);
      data = NULL;
    }
  else
    {
      if (config->serial != NULL)
        dev->serial = str_dup (config->serial);
      else
        {
          uint8_t rnd[6];
          char buf[32];
          int i;

          if (dev->plat.random (dev->plat.ctx, rnd, sizeof rnd) != 0)
            goto fail;
          strcpy (buf, "CBD-");
          for (i = 0; i < 6; i++)
            snprintf (buf + 4 + 2 * i, 3, "%02X", rnd[i]);
          dev->serial = str_dup (buf);
        }
      if (dev->serial == NULL ||
          dev->plat.save (dev->plat.ctx, BLOB_SERIAL, (const uint8_t *) dev->serial,
                          strlen (dev->serial)) != 0)
        goto fail;
    }

  if (key_slot_load (dev, BLOB_KEY, &dev->key) < 0 ||
      key_slot_load (dev, BLOB_KEY_NEXT, &dev->next) < 0)
    goto fail;

  if (dev->plat.load (dev->plat.ctx, BLOB_ACTIVE, &dev->active, &dev->active_len) < 0)
    goto fail;
  active_refresh (dev);

  /* A commit writes the active chain first and then promotes the next key. If power failed in
   * between, the active leaf carries the next key: finish the promotion. */
  if (dev->next.blob != NULL && dev->active_valid &&
      leaf_matches (dev, dev->active, dev->active_len, &dev->next))
    {
      if (key_slot_save (dev, BLOB_KEY, &dev->next) != 0)
        goto fail;
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      key_slot_clear (&dev->key);
      dev->key = dev->next;
      memset (&dev->next, 0, sizeof dev->next);
    }

  staging_load (dev);
  dps_load (dev);
  return dev;

fail:
  free (data);
  cbd_device_free (dev);
  return NULL;
}

void
cbd_device_free (cbd_device *dev)
{
  if (dev == NULL)
    return;
  cbp_decoder_free (dev->dec);
  key_slot_clear (&dev->key);
  key_slot_clear (&dev->next);
  free (dev->serial);
  free (dev->active);
  staging_reset (dev);
  if (dev->dps.key != NULL)
    memset (dev->dps.key, 0, strlen (dev->dps.key));
  cbp_request_clear (cbp_group_command (CBP_CMD_DPS_CONFIG), &dev->dps);
  free (dev->dps_error);
  free (dev->dps_hub);
  free (dev->dps_device_id);
  free (dev->last_tls_error);
  free (dev->last_dps_error);
  free (dev);
}

const char *
cbd_device_get_serial (cbd_device *dev)
{
  return dev->serial;
}

unsigned long
cbd_device_get_frame_errors (cbd_device *dev)
{
  return cbp_decoder_errors (dev->dec);
}

void
cbd_device_set_tls_error (cbd_device *dev, const char *error)
{
  set_str (&dev->last_tls_error, error);
}

/* ---- command handlers ---- */

static int
handle_info (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_info_rsp *rsp = rsp_;
  size_t n = 0;

  (void) req_;
  while (dev->cfg.key_types[n] != NULL)
    n++;
  rsp->serial = dev->serial;
  rsp->model = (char *) dev->cfg.model;
  rsp->fw = (char *) dev->cfg.fw;
  rsp->proto = CBP_PROTO_VERSION;
  rsp->key_types.items = (char **) dev->cfg.key_types;
  rsp->key_types.n = n;
  rsp->key = dev->key.type != NULL ? dev->key.type : dev->next.type;
  rsp->next_key = dev->next.blob != NULL && dev->key.blob != NULL;
  rsp->frame_size = dev->cfg.frame_size;
  rsp->buf_size = dev->cfg.buf_size;
  rsp->slot_size = dev->cfg.slot_size;
  rsp->slots = 2;
  rsp->active = dev->active_valid;
  rsp->staged = dev->staging_len;
  return 0;
}

static int
make_key (cbd_device *dev, const char *type, key_slot *out)
{
  memset (out, 0, sizeof *out);
  if (dev->plat.keygen (dev->plat.ctx, type, &out->blob, &out->blob_len) != 0)
    return CBP_RC_CRYPTO;
  out->type = str_dup (type);
  if (out->type == NULL ||
      dev->plat.public_key (dev->plat.ctx, out->blob, out->blob_len, &out->pub, &out->pub_len) != 0)
    {
      key_slot_clear (out);
      return CBP_RC_CRYPTO;
    }
  return 0;
}

static int
handle_keygen (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_keygen_req *req = req_;
  cbp_keygen_rsp *rsp = rsp_;
  const char *type = req->type != NULL ? req->type : CBP_KEY_TYPE_P256;
  bool replace = req->has_replace && req->replace;
  key_slot *work = working_key (dev);
  key_slot fresh;
  int rc;

  if (!key_type_supported (dev, type))
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

  dev_log2 (dev, "I: keygen: generating a key of type ", type);
  rc = make_key (dev, type, &fresh);
  if (rc != 0)
    return rc;

  if (dev->active_valid)
    {
      /* The active chain keeps its key until cert_commit. */
      if (key_slot_save (dev, BLOB_KEY_NEXT, &fresh) != 0)
        {
          key_slot_clear (&fresh);
          return CBP_RC_STORAGE;
        }
      key_slot_clear (&dev->next);
      dev->next = fresh;
      work = &dev->next;
    }
  else
    {
      if (key_slot_save (dev, BLOB_KEY, &fresh) != 0)
        {
          key_slot_clear (&fresh);
          return CBP_RC_STORAGE;
        }
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      key_slot_clear (&dev->next);
      key_slot_clear (&dev->key);
      dev->key = fresh;
      work = &dev->key;
    }
  cbd_device_log (dev, "I: keygen: done");

  rsp->type = work->type;
  rsp->created = true;
  rsp->pub.data = work->pub;
  rsp->pub.len = work->pub_len;
  return 0;
}

static bool
cn_valid (const char *cn)
{
  size_t i, n = strlen (cn);

  if (n == 0 || n > CBP_CN_MAX)
    return false;
  for (i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) cn[i];
      if (c < 0x20 || c == 0x7f || c == ',' || c == '+' || c == '=' || c == '\\')
        return false;
    }
  return true;
}

/* The CSR for cn with the working key, with the configured faults applied. */
static int
make_csr (cbd_device *dev, const char *cn, uint8_t **der, size_t *der_len)
{
  key_slot *work = working_key (dev);
  char wrong[CBP_CN_MAX + 8];
  key_slot other;
  int ret;

  if (work == NULL)
    return CBP_RC_NO_KEY;
  if (dev->cfg.fault_wrong_cn)
    {
      snprintf (wrong, sizeof wrong, "wrong-%s", cn);
      cn = wrong;
    }
  if (dev->cfg.fault_csr_other_key)
    {
      ret = make_key (dev, work->type, &other);
      if (ret != 0)
        return ret;
      ret = dev->plat.csr (dev->plat.ctx, other.blob, other.blob_len, cn, der, der_len);
      key_slot_clear (&other);
    }
  else
    ret = dev->plat.csr (dev->plat.ctx, work->blob, work->blob_len, cn, der, der_len);
  return ret == 0 ? 0 : CBP_RC_CRYPTO;
}

static int
handle_csr (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_csr_req *req = req_;
  cbp_csr_rsp *rsp = rsp_;

  if (working_key (dev) == NULL)
    return CBP_RC_NO_KEY;
  if (!cn_valid (req->cn))
    return CBP_RC_BAD_SUBJECT;
  /* rsp->csr is malloc'd: the dispatcher frees it after encoding. */
  return make_csr (dev, req->cn, &rsp->csr.data, &rsp->csr.len);
}

static int
handle_cert_put (cbd_device *dev, const void *req_, void *rsp_)
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
      staging_reset (dev);
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
      if (!staging_check_hash (dev))
        {
          staging_reset (dev);
          staging_save (dev);
          cbd_device_log (dev, "E: cert_put: SHA-256 mismatch, staging emptied");
          return CBP_RC_HASH_MISMATCH;
        }
      dev->staging_done = true;
    }
  if (staging_save (dev) != 0)
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

static int
handle_cert_commit (cbd_device *dev, const void *req_, void *rsp_, uint8_t *sha_buf)
{
  const cbp_cert_commit_req *req = req_;
  cbp_cert_commit_rsp *rsp = rsp_;
  key_slot *work;
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
  if (!parse_chain (dev, dev->staging, dev->staging_len, &spki, &spki_len, &nb, &na))
    return CBP_RC_CHAIN_INVALID;

  work = working_key (dev);
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

  /* Active chain first, then the key: see the recovery in cbd_device_new(). */
  if (dev->plat.save (dev->plat.ctx, BLOB_ACTIVE, dev->staging, dev->staging_len) != 0)
    return CBP_RC_STORAGE;
  if (work == &dev->next)
    {
      if (key_slot_save (dev, BLOB_KEY, &dev->next) != 0)
        return CBP_RC_STORAGE;
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      key_slot_clear (&dev->key);
      dev->key = dev->next;
      memset (&dev->next, 0, sizeof dev->next);
    }

  free (dev->active);
  dev->active = dev->staging;
  dev->active_len = dev->staging_len;
  dev->staging = NULL;
  staging_reset (dev);
  staging_save (dev);
  active_refresh (dev);
  if (dev->dps_state == DPS_ASSIGNED)
    dev->dps_state = DPS_IDLE;
  cbd_device_log (dev, "I: cert_commit: new certificate active");

  fill_commit_rsp (dev, rsp, sha_buf);
  return 0;
}

static int
handle_cert_get (cbd_device *dev, const void *req_, void *rsp_, uint8_t *sha_buf)
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

static int
handle_pop (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_pop_req *req = req_;
  cbp_pop_rsp *rsp = rsp_;
  key_slot *k = dev->key.blob != NULL ? &dev->key : working_key (dev);
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

static int
handle_dps_config (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_dps_config_req *req = req_;
  const cbp_command *cmd = cbp_group_command (CBP_CMD_DPS_CONFIG);
  cbp_dps_config_req copy;
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

  (void) rsp_;
  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (dev->dps_state == DPS_RUNNING)
    return CBP_RC_DPS_BUSY;
  if (req->scope[0] == 0 || req->reg_id[0] == 0 || req->key[0] == 0)
    return GENERIC (CBP_SMP_RC_INVALID);

  if (cbp_request_encode (cmd, req, &out, &len) != CBP_OK)
    return GENERIC (CBP_SMP_RC_NO_MEMORY);
  ret = dev->plat.save (dev->plat.ctx, BLOB_DPS, out, len);
  memset (out, 0, len);
  free (out);
  if (ret != 0)
    return CBP_RC_STORAGE;

  memset (&copy, 0, sizeof copy);
  copy.scope = str_dup (req->scope);
  copy.reg_id = str_dup (req->reg_id);
  copy.key = str_dup (req->key);
  copy.endpoint = str_dup (req->endpoint);
  copy.ca_path = str_dup (req->ca_path);
  if (dev->dps.key != NULL)
    memset (dev->dps.key, 0, strlen (dev->dps.key));
  cbp_request_clear (cmd, &dev->dps);
  dev->dps = copy;
  dev->dps_state = DPS_IDLE;
  set_str (&dev->dps_error, NULL);
  dev_log2 (dev, "I: dps: configured for registration id ", req->reg_id);
  return 0;
}

static int
handle_dps_register (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_dps_register_rsp *rsp = rsp_;
  cbd_dps_params params;
  uint8_t *csr = NULL;
  size_t csr_len = 0;
  int rc;

  (void) req_;
  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (dev->dps.scope == NULL)
    return CBP_RC_DPS_NOT_CONFIGURED;
  if (dev->dps_state == DPS_RUNNING)
    {
      rsp->state = (char *) CBP_DPS_STATE_RUNNING;
      return 0;
    }
  if (working_key (dev) == NULL)
    return CBP_RC_NO_KEY;
  if (!cn_valid (dev->dps.reg_id))
    return CBP_RC_BAD_SUBJECT;

  rc = make_csr (dev, dev->dps.reg_id, &csr, &csr_len);
  if (rc != 0)
    return rc;

  params.scope = dev->dps.scope;
  params.reg_id = dev->dps.reg_id;
  params.key = dev->dps.key;
  params.endpoint = dev->dps.endpoint != NULL ? dev->dps.endpoint : CBP_DPS_ENDPOINT_DEFAULT;
  params.ca_path = dev->dps.ca_path;

  set_str (&dev->dps_error, NULL);
  set_str (&dev->dps_hub, NULL);
  set_str (&dev->dps_device_id, NULL);
  dev->dps_state = DPS_RUNNING;
  dev_log2 (dev, "I: dps: registering ", dev->dps.reg_id);
  /* The platform may report the result from inside this call. */
  if (dev->plat.dps_register (dev->plat.ctx, &params, csr, csr_len) != 0)
    {
      free (csr);
      dev->dps_state = DPS_FAILED;
      set_str (&dev->dps_error, "could not start the registration");
      set_str (&dev->last_dps_error, dev->dps_error);
      return CBP_RC_DPS_FAILED;
    }
  free (csr);
  rsp->state = (char *) CBP_DPS_STATE_RUNNING;
  return 0;
}

void
cbd_device_dps_result (cbd_device    *dev,
                       bool           ok,
                       const char    *error,
                       const char    *hub,
                       const char    *device_id,
                       const uint8_t *chain,
                       size_t         chain_len)
{
  if (ok && (chain == NULL || chain_len == 0 || chain_len > dev->cfg.slot_size))
    {
      ok = false;
      error = chain_len > dev->cfg.slot_size ? "returned chain exceeds the slot size"
                                             : "no certificate chain returned";
    }

  if (!ok)
    {
      dev->dps_state = DPS_FAILED;
      set_str (&dev->dps_error, error != NULL ? error : "registration failed");
      set_str (&dev->last_dps_error, dev->dps_error);
      dev_log2 (dev, "E: dps: ", dev->dps_error);
      return;
    }

  staging_reset (dev);
  dev->staging = malloc (chain_len);
  if (dev->staging == NULL)
    {
      dev->dps_state = DPS_FAILED;
      set_str (&dev->dps_error, "out of memory");
      return;
    }
  memcpy (dev->staging, chain, chain_len);
  dev->staging_len = chain_len;
  dev->staging_total = chain_len;
  dev->plat.sha256 (dev->plat.ctx, chain, chain_len, dev->staging_sha);
  dev->staging_done = true;
  staging_save (dev);

  dev->dps_state = DPS_ASSIGNED;
  set_str (&dev->dps_hub, hub);
  set_str (&dev->dps_device_id, device_id);
  set_str (&dev->dps_error, NULL);
  dev_log2 (dev, "I: dps: assigned, chain staged; hub ", hub);
}

static int
handle_dps_status (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_dps_status_rsp *rsp = rsp_;
  static const char *const states[] = { CBP_DPS_STATE_IDLE, CBP_DPS_STATE_RUNNING,
                                        CBP_DPS_STATE_ASSIGNED, CBP_DPS_STATE_FAILED };

  (void) req_;
  if (dev->dps.scope == NULL)
    return CBP_RC_DPS_NOT_CONFIGURED;
  rsp->state = (char *) states[dev->dps_state];
  rsp->scope = dev->dps.scope;
  rsp->reg_id = dev->dps.reg_id;
  rsp->endpoint = dev->dps.endpoint != NULL ? dev->dps.endpoint
                                            : (char *) CBP_DPS_ENDPOINT_DEFAULT;
  rsp->hub = dev->dps_hub;
  rsp->device_id = dev->dps_device_id;
  if (dev->dps_state == DPS_ASSIGNED && dev->staging_done)
    {
      rsp->sha.data = dev->staging_sha;
      rsp->sha.len = CBP_SHA256_LEN;
    }
  rsp->error = dev->dps_error;
  return 0;
}

static int
handle_diag (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_diag_rsp *rsp = rsp_;
  int64_t now = dev->plat.now (dev->plat.ctx);

  (void) req_;
  rsp->time = now;
  rsp->uptime = now > dev->boot_time ? (uint64_t) (now - dev->boot_time) : 0;
  rsp->tls_err = dev->last_tls_error;
  rsp->dps_err = dev->last_dps_error;
  if (dev->active_valid)
    {
      int64_t life = dev->active_not_after - dev->active_not_before;

      rsp->has_not_before = rsp->has_not_after = rsp->has_renew_at = true;
      rsp->not_before = dev->active_not_before;
      rsp->not_after = dev->active_not_after;
      rsp->renew_at = dev->active_not_before + (life > 0 ? life / 10 * 8 + life % 10 * 8 / 10 : 0);
    }
  return 0;
}

/* ---- dispatch ---- */

static void
send_packet (cbd_device *dev, const cbp_smp_header *req_hdr, const uint8_t *payload,
             size_t payload_len)
{
  cbp_smp_header hdr = *req_hdr;
  uint8_t *packet = NULL, *frames = NULL;
  size_t packet_len = 0, frames_len = 0;

  hdr.op = cbp_smp_response_op (req_hdr->op);
  hdr.flags = 0;
  if (cbp_smp_packet_build (&hdr, payload, payload_len, &packet, &packet_len) != 0)
    return;
  if (cbp_frame_encode (packet, packet_len, dev->cfg.frame_size, &frames, &frames_len) == 0)
    {
      dev_write (dev, frames, frames_len);
      free (frames);
    }
  free (packet);
}

static void
send_generic_error (cbd_device *dev, const cbp_smp_header *hdr, int smp_rc)
{
  uint8_t *out = NULL;
  size_t len = 0;

  if (cbp_error_encode_rc (smp_rc, &out, &len) == CBP_OK)
    send_packet (dev, hdr, out, len);
  free (out);
}

static void
send_group_error (cbd_device *dev, const cbp_smp_header *hdr, int rc)
{
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

  /* v1 has no group errors: map to the generic code. */
  if (hdr->version == CBP_SMP_V1)
    ret = cbp_error_encode_rc (cbp_rc_to_v1 (rc), &out, &len);
  else
    ret = cbp_error_encode_group (hdr->group, rc, &out, &len);
  if (ret == CBP_OK)
    send_packet (dev, hdr, out, len);
  free (out);
}

/* Request and response storage big enough for any command. */
typedef union
{
  cbp_empty            empty;
  cbp_os_echo_req      echo;
  cbp_keygen_req       keygen;
  cbp_csr_req          csr;
  cbp_cert_put_req     cert_put;
  cbp_cert_commit_req  cert_commit;
  cbp_cert_get_req     cert_get;
  cbp_pop_req          pop;
  cbp_dps_config_req   dps_config;
} any_req;

typedef union
{
  cbp_empty             empty;
  cbp_os_echo_rsp       echo;
  cbp_os_params_rsp     params;
  cbp_info_rsp          info;
  cbp_keygen_rsp        keygen;
  cbp_csr_rsp           csr;
  cbp_cert_put_rsp      cert_put;
  cbp_cert_commit_rsp   cert_commit;
  cbp_cert_get_rsp      cert_get;
  cbp_pop_rsp           pop;
  cbp_dps_register_rsp  dps_register;
  cbp_dps_status_rsp    dps_status;
  cbp_diag_rsp          diag;
} any_rsp;

static void
handle_packet (void *user_data, const uint8_t *packet, size_t len)
{
  cbd_device *dev = user_data;
  cbp_smp_header hdr;
  const cbp_command *cmd;
  const uint8_t *payload;
  any_req req;
  any_rsp rsp;
  uint8_t sha_buf[CBP_SHA256_LEN];
  uint8_t *out = NULL;
  size_t out_len = 0;
  int rc = 0;

  if (cbp_smp_header_unpack (packet, len, &hdr) != 0)
    return;   /* no valid header to answer to */
  if (cbp_smp_op_is_response (hdr.op))
    return;
  if (len > dev->cfg.buf_size)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_TOO_LARGE);
      return;
    }
  if (hdr.len != len - CBP_SMP_HEADER_LEN)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_INVALID);
      return;
    }
  payload = packet + CBP_SMP_HEADER_LEN;

  if (hdr.group == CBP_GROUP_OS)
    cmd = cbp_os_command (hdr.id);
  else if (hdr.group == dev->cfg.group)
    cmd = cbp_group_command (hdr.id);
  else
    cmd = NULL;
  if (cmd == NULL || cmd->op != hdr.op)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_NOT_SUPPORTED);
      return;
    }

  memset (&req, 0, sizeof req);
  memset (&rsp, 0, sizeof rsp);
  /* An empty payload counts as the empty map for commands without request fields. */
  if (hdr.len == 0 && cmd->n_req_fields == 0)
    ;
  else if (cbp_request_decode (cmd, payload, hdr.len, &req) != CBP_OK)
    {
      send_generic_error (dev, &hdr, CBP_SMP_RC_INVALID);
      return;
    }

  if (hdr.group == CBP_GROUP_OS)
    {
      if (hdr.id == CBP_OS_ECHO)
        rsp.echo.r = req.echo.d;
      else
        {
          rsp.params.buf_size = dev->cfg.buf_size;
          rsp.params.buf_count = dev->cfg.buf_count;
        }
    }
  else
    {
      switch (hdr.id)
        {
        case CBP_CMD_INFO: rc = handle_info (dev, &req, &rsp); break;
        case CBP_CMD_KEYGEN: rc = handle_keygen (dev, &req, &rsp); break;
        case CBP_CMD_CSR: rc = handle_csr (dev, &req, &rsp); break;
        case CBP_CMD_CERT_PUT: rc = handle_cert_put (dev, &req, &rsp); break;
        case CBP_CMD_CERT_COMMIT: rc = handle_cert_commit (dev, &req, &rsp, sha_buf); break;
        case CBP_CMD_CERT_GET: rc = handle_cert_get (dev, &req, &rsp, sha_buf); break;
        case CBP_CMD_POP: rc = handle_pop (dev, &req, &rsp); break;
        case CBP_CMD_DPS_CONFIG: rc = handle_dps_config (dev, &req, &rsp); break;
        case CBP_CMD_DPS_REGISTER: rc = handle_dps_register (dev, &req, &rsp); break;
        case CBP_CMD_DPS_STATUS: rc = handle_dps_status (dev, &req, &rsp); break;
        case CBP_CMD_DIAG: rc = handle_diag (dev, &req, &rsp); break;
        default: rc = GENERIC (CBP_SMP_RC_NOT_SUPPORTED); break;
        }
    }

  if (rc > 0)
    send_group_error (dev, &hdr, rc);
  else if (rc < 0)
    send_generic_error (dev, &hdr, -rc);
  else if (cbp_response_encode (cmd, &rsp, &out, &out_len) != CBP_OK)
    send_generic_error (dev, &hdr, CBP_SMP_RC_NO_MEMORY);
  else if (out_len + CBP_SMP_HEADER_LEN > dev->cfg.buf_size)
    send_generic_error (dev, &hdr, CBP_SMP_RC_TOO_LARGE);
  else
    send_packet (dev, &hdr, out, out_len);
  free (out);

  /* Responses borrow device memory except these, which handlers allocated. */
  if (hdr.group == dev->cfg.group && hdr.id == CBP_CMD_CSR)
    free (rsp.csr.csr.data);
  if (hdr.group == dev->cfg.group && hdr.id == CBP_CMD_POP)
    free (rsp.pop.sig.data);
  if (hdr.group == dev->cfg.group && hdr.id == CBP_CMD_DPS_CONFIG && req.dps_config.key != NULL)
    memset (req.dps_config.key, 0, strlen (req.dps_config.key));
  cbp_request_clear (cmd, &req);
}

void
cbd_device_feed (cbd_device *dev, const uint8_t *data, size_t len)
{
  /* Text the station sends outside frames (a shell command, noise) is ignored. */
  cbp_decoder_feed (dev->dec, data, len);
}
