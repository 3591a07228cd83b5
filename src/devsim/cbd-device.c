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
#define BLOB_HUB       "hub"

/* Hub timing, in real seconds (the device clock may run faster). */
#define HUB_BACKOFF_MAX_S       60
#define HUB_REFUSED_RETRY_S     30
#define HUB_CONNECT_TIMEOUT_S   60
#define HUB_KEEPALIVE_S         60
#define TWIN_RETRY_S            30
#define RENEW_ACCEPT_TIMEOUT_S  30    /* no 202 by then: ask again with replace */
#define RENEW_RESULT_TIMEOUT_S  120   /* 202 but no result by then: ask again with replace */
#define RENEW_RETRY_S           30    /* after a failed renewal */
#define REREGISTER_RETRY_S      30
#define HUB_API_VERSION         "2025-08-01-preview"

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

  /* DPS registrations started with cbd_device_register() commit by themselves. */
  bool            dps_auto_commit;
  bool            dps_rereg;          /* ... and this one replaces an expired certificate */
  int64_t         rereg_next_ms;

  /* hub: hub.host == NULL means none configured; "" means "from the next DPS assignment" */
  cbp_hub_config_req hub;
  cbd_hub_state   hub_state;
  char           *hub_error;
  int64_t         hub_time;
  int64_t         hub_next_try_ms;    /* reconnect due (monotonic), 0: none scheduled */
  int64_t         hub_connect_ms;     /* when the current attempt started */
  unsigned        hub_backoff_s;
  uint64_t        rid;                /* last $rid used */
  uint64_t        twin_rid;
  bool            twin_reported;
  int64_t         twin_sent_ms;

  /* renewal through the hub */
  cbd_renew_state renew_state;
  char           *renew_error;
  int64_t         renew_time;
  bool            renew_active;       /* a request is out */
  bool            renew_accepted;     /* ... and got its 202 */
  uint64_t        renew_rid;
  int64_t         renew_sent_ms;
  int64_t         renew_next_ms;      /* no new attempt before (monotonic) */
  char           *renew_body_csr;     /* base64 CSR of the active request, for a replace */
  unsigned        renew_conflicts;
  unsigned        renewals;
  unsigned        reregistrations;
};

static void handle_packet (void *user_data, const uint8_t *packet, size_t len);
static void hub_restart (cbd_device *dev);
static void hub_stop (cbd_device *dev);
static void notify (cbd_device *dev);
static int64_t mono_ms (cbd_device *dev);

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
  char line[256];

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

static void
hub_load (cbd_device *dev)
{
  uint8_t *data = NULL;
  size_t len = 0;
  const cbp_command *cmd = cbp_group_command (CBP_CMD_HUB_CONFIG);

  if (dev->plat.load (dev->plat.ctx, BLOB_HUB, &data, &len) != 0)
    return;
  if (cbp_request_decode (cmd, data, len, &dev->hub) != CBP_OK)
    memset (&dev->hub, 0, sizeof dev->hub);
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
  if (!(dev->cfg.renew_fraction > 0 && dev->cfg.renew_fraction <= 1))
    dev->cfg.renew_fraction = 0.8;
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
  hub_load (dev);
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
  if (dev->plat.hub_disconnect != NULL && dev->hub_state != CBD_HUB_OFF)
    dev->plat.hub_disconnect (dev->plat.ctx);
  cbp_request_clear (cbp_group_command (CBP_CMD_HUB_CONFIG), &dev->hub);
  free (dev->hub_error);
  free (dev->renew_error);
  free (dev->renew_body_csr);
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

/* Stores a new key (taken) as the working key: the next key while a chain is active (that
 * chain keeps its key until a commit), else the key. */
static int
install_fresh_key (cbd_device *dev, key_slot *fresh)
{
  if (dev->active_valid)
    {
      if (key_slot_save (dev, BLOB_KEY_NEXT, fresh) != 0)
        {
          key_slot_clear (fresh);
          return CBP_RC_STORAGE;
        }
      key_slot_clear (&dev->next);
      dev->next = *fresh;
    }
  else
    {
      if (key_slot_save (dev, BLOB_KEY, fresh) != 0)
        {
          key_slot_clear (fresh);
          return CBP_RC_STORAGE;
        }
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      key_slot_clear (&dev->next);
      key_slot_clear (&dev->key);
      dev->key = *fresh;
    }
  memset (fresh, 0, sizeof *fresh);
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

  rc = install_fresh_key (dev, &fresh);
  if (rc != 0)
    return rc;
  work = working_key (dev);
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

/* Installs chain (malloc'd; taken on success) whose leaf carries the working key. Active
 * chain first, then the key: see the recovery in cbd_device_new(). */
static int
activate_chain (cbd_device *dev, uint8_t *chain, size_t len)
{
  if (dev->plat.save (dev->plat.ctx, BLOB_ACTIVE, chain, len) != 0)
    return -1;
  if (working_key (dev) == &dev->next)
    {
      if (key_slot_save (dev, BLOB_KEY, &dev->next) != 0)
        return -1;
      dev->plat.remove (dev->plat.ctx, BLOB_KEY_NEXT);
      key_slot_clear (&dev->key);
      dev->key = dev->next;
      memset (&dev->next, 0, sizeof dev->next);
    }
  free (dev->active);
  dev->active = chain;
  dev->active_len = len;
  active_refresh (dev);
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

  if (activate_chain (dev, dev->staging, dev->staging_len) != 0)
    return CBP_RC_STORAGE;
  dev->staging = NULL;
  staging_reset (dev);
  staging_save (dev);
  if (dev->dps_state == DPS_ASSIGNED)
    dev->dps_state = DPS_IDLE;
  cbd_device_log (dev, "I: cert_commit: new certificate active");
  hub_restart (dev);
  notify (dev);
  /* The new chain is active, yet the station will never hear so. */
  if (dev->cfg.fault_unplug_at_commit && dev->plat.unplug != NULL)
    dev->plat.unplug (dev->plat.ctx);

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
dps_configure (cbd_device *dev, const cbp_dps_config_req *req)
{
  const cbp_command *cmd = cbp_group_command (CBP_CMD_DPS_CONFIG);
  cbp_dps_config_req copy;
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

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
  notify (dev);
  return 0;
}

static int
handle_dps_config (cbd_device *dev, const void *req_, void *rsp_)
{
  (void) rsp_;
  return dps_configure (dev, req_);
}

int
cbd_device_dps_configure (cbd_device *dev, const cbd_dps_params *params)
{
  cbp_dps_config_req req;

  if (params == NULL || params->scope == NULL || params->reg_id == NULL || params->key == NULL)
    return GENERIC (CBP_SMP_RC_INVALID);
  req.scope = (char *) params->scope;
  req.reg_id = (char *) params->reg_id;
  req.key = (char *) params->key;
  req.endpoint = (char *) params->endpoint;
  req.ca_path = (char *) params->ca_path;
  return dps_configure (dev, &req);
}

static int dps_start (cbd_device *dev, uint8_t *csr, size_t csr_len,
                      cbp_dps_register_rsp *rsp);

static int
handle_dps_register (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_dps_register_rsp *rsp = rsp_;
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

  dev->dps_auto_commit = false;
  dev->dps_rereg = false;
  return dps_start (dev, csr, csr_len, rsp);
}

/* Sends the CSR to the platform's DPS. Takes csr. */
static int
dps_start (cbd_device *dev, uint8_t *csr, size_t csr_len, cbp_dps_register_rsp *rsp)
{
  cbd_dps_params params;

  params.scope = dev->dps.scope;
  params.reg_id = dev->dps.reg_id;
  params.key = dev->dps.key;
  params.endpoint = dev->dps.endpoint != NULL ? dev->dps.endpoint : CBP_DPS_ENDPOINT_DEFAULT;
  params.ca_path = dev->dps.ca_path;

  set_str (&dev->dps_error, NULL);
  set_str (&dev->dps_hub, NULL);
  set_str (&dev->dps_device_id, NULL);
  dev->dps_state = DPS_RUNNING;
  notify (dev);
  dev_log2 (dev, "I: dps: registering ", dev->dps.reg_id);
  /* The platform may report the result from inside this call. */
  if (dev->plat.dps_register (dev->plat.ctx, &params, csr, csr_len) != 0)
    {
      free (csr);
      dev->dps_state = DPS_FAILED;
      set_str (&dev->dps_error, "could not start the registration");
      set_str (&dev->last_dps_error, dev->dps_error);
      notify (dev);
      return CBP_RC_DPS_FAILED;
    }
  free (csr);
  if (rsp != NULL)
    rsp->state = (char *) CBP_DPS_STATE_RUNNING;
  return 0;
}

static void renew_set (cbd_device *dev, cbd_renew_state state, const char *error);
static void dps_auto_commit (cbd_device *dev);

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
      if (dev->dps_rereg)
        renew_set (dev, CBD_RENEW_FAILED, dev->dps_error);
      dev->dps_auto_commit = dev->dps_rereg = false;
      notify (dev);
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
  if (dev->dps_auto_commit)
    dps_auto_commit (dev);
  notify (dev);
}

static int
handle_dps_status (cbd_device *dev, const void *req_, void *rsp_)
{
  cbp_dps_status_rsp *rsp = rsp_;
  static const char *const states[] = { CBP_DPS_STATE_IDLE, CBP_DPS_STATE_RUNNING,
                                        CBP_DPS_STATE_ASSIGNED, CBP_DPS_STATE_FAILED };

  (void) req_;
  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
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

/* Same rounding as cb_validity_get_renewal_point(): never before the exact fraction. */
static int64_t
renew_point (cbd_device *dev)
{
  int64_t life = dev->active_not_after - dev->active_not_before;
  double exact;
  int64_t offset;

  if (life <= 0)
    return dev->active_not_after;
  exact = (double) life * dev->cfg.renew_fraction;
  offset = (int64_t) exact;
  if ((double) offset < exact)
    offset++;
  return dev->active_not_before + offset;
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
      (void) life;
      rsp->renew_at = renew_point (dev);
    }
  rsp->hub = dev->hub.host != NULL && dev->hub.host[0] != 0 ? dev->hub.host : NULL;
  rsp->hub_state = (char *) cbd_hub_state_name (dev->hub_state);
  rsp->hub_err = dev->hub_error;
  if (dev->hub_time != 0)
    {
      rsp->has_hub_time = true;
      rsp->hub_time = dev->hub_time;
    }
  rsp->renew_state = (char *) cbd_renew_state_name (dev->renew_state);
  rsp->renew_err = dev->renew_error;
  if (dev->renew_state != CBD_RENEW_NONE)
    {
      rsp->has_renew_time = true;
      rsp->renew_time = dev->renew_time;
    }
  return 0;
}

static int hub_configure (cbd_device *dev, const char *host, const char *device_id,
                          const char *endpoint, const char *ca_path);

static int
handle_hub_config (cbd_device *dev, const void *req_, void *rsp_)
{
  const cbp_hub_config_req *req = req_;

  (void) rsp_;
  if (req->host[0] == 0)
    return GENERIC (CBP_SMP_RC_INVALID);
  return hub_configure (dev, req->host, req->device_id, req->endpoint, req->ca_path);
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
  cbp_hub_config_req   hub_config;
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
        case CBP_CMD_HUB_CONFIG: rc = handle_hub_config (dev, &req, &rsp); break;
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

/* ---- the hub connection (issue 5) ---- */

const char *
cbd_hub_state_name (cbd_hub_state state)
{
  switch (state)
    {
    case CBD_HUB_OFF: return CBP_HUB_STATE_OFF;
    case CBD_HUB_CONNECTING: return CBP_HUB_STATE_CONNECTING;
    case CBD_HUB_CONNECTED: return CBP_HUB_STATE_CONNECTED;
    case CBD_HUB_REFUSED: return CBP_HUB_STATE_REFUSED;
    case CBD_HUB_UNREACHABLE: return CBP_HUB_STATE_UNREACHABLE;
    case CBD_HUB_DISCONNECTED: return CBP_HUB_STATE_DISCONNECTED;
    default: return "?";
    }
}

const char *
cbd_renew_state_name (cbd_renew_state state)
{
  switch (state)
    {
    case CBD_RENEW_REQUESTED: return CBP_RENEW_STATE_REQUESTED;
    case CBD_RENEW_RENEWED: return CBP_RENEW_STATE_RENEWED;
    case CBD_RENEW_FAILED: return CBP_RENEW_STATE_FAILED;
    case CBD_RENEW_REREGISTERED: return CBP_RENEW_STATE_REREGISTERED;
    case CBD_RENEW_NONE:
    default: return NULL;
    }
}

static void
notify (cbd_device *dev)
{
  if (dev->plat.notify != NULL)
    dev->plat.notify (dev->plat.ctx);
}

static int64_t
mono_ms (cbd_device *dev)
{
  if (dev->plat.monotonic_ms != NULL)
    return dev->plat.monotonic_ms (dev->plat.ctx);
  return dev->plat.now (dev->plat.ctx) * 1000;
}

static bool
hub_ready (cbd_device *dev)
{
  return dev->hub.host != NULL && dev->hub.host[0] != 0 && dev->hub.device_id != NULL &&
         dev->hub.device_id[0] != 0 && dev->plat.hub_connect != NULL;
}

static void
hub_set_state (cbd_device *dev, cbd_hub_state state, const char *error)
{
  if (dev->hub_state != state)
    dev->hub_time = dev->plat.now (dev->plat.ctx);
  dev->hub_state = state;
  if (state != CBD_HUB_CONNECTED && state != CBD_HUB_CONNECTING)
    set_str (&dev->hub_error, error);
  else if (state == CBD_HUB_CONNECTED)
    set_str (&dev->hub_error, NULL);
  notify (dev);
}

static void
renew_set (cbd_device *dev, cbd_renew_state state, const char *error)
{
  dev->renew_state = state;
  dev->renew_time = dev->plat.now (dev->plat.ctx);
  set_str (&dev->renew_error, error);
  if (state != CBD_RENEW_REQUESTED)
    {
      dev->renew_active = false;
      dev->renew_accepted = false;
      free (dev->renew_body_csr);
      dev->renew_body_csr = NULL;
    }
  notify (dev);
}

/* Closes the connection (no event follows) and forgets what was in flight on it. */
static void
hub_stop (cbd_device *dev)
{
  if (dev->hub_state != CBD_HUB_OFF && dev->plat.hub_disconnect != NULL)
    dev->plat.hub_disconnect (dev->plat.ctx);
  dev->twin_reported = false;
  dev->hub_next_try_ms = 0;
}

static void
hub_connect (cbd_device *dev)
{
  cbd_hub_params params;
  char *username, *endpoint = NULL;
  size_t n;
  int ret;

  if (!hub_ready (dev) || !dev->active_valid || dev->key.blob == NULL)
    {
      if (dev->hub_state != CBD_HUB_OFF)
        hub_set_state (dev, CBD_HUB_OFF, NULL);
      return;
    }
  if (dev->plat.now (dev->plat.ctx) >= dev->active_not_after)
    {
      /* The tick re-registers through DPS; the hub would refuse this one anyway. */
      if (dev->hub_state != CBD_HUB_DISCONNECTED)
        hub_set_state (dev, CBD_HUB_DISCONNECTED, "certificate expired");
      return;
    }

  n = strlen (dev->hub.host) + strlen (dev->hub.device_id) + sizeof HUB_API_VERSION + 32;
  username = malloc (n);
  if (username == NULL)
    return;
  snprintf (username, n, "%s/%s/?api-version=%s", dev->hub.host, dev->hub.device_id,
            HUB_API_VERSION);
  if (dev->hub.endpoint == NULL || dev->hub.endpoint[0] == 0)
    {
      n = strlen (dev->hub.host) + 8;
      endpoint = malloc (n);
      if (endpoint == NULL)
        {
          free (username);
          return;
        }
      snprintf (endpoint, n, "%s:8883", dev->hub.host);
    }

  memset (&params, 0, sizeof params);
  params.host = dev->hub.host;
  params.device_id = dev->hub.device_id;
  params.username = username;
  params.endpoint = endpoint != NULL ? endpoint : dev->hub.endpoint;
  params.ca_path = dev->hub.ca_path;
  params.chain = dev->active;
  params.chain_len = dev->active_len;
  params.key = dev->key.blob;
  params.key_len = dev->key.blob_len;
  params.keepalive = HUB_KEEPALIVE_S;

  dev->twin_reported = false;
  dev->hub_next_try_ms = 0;
  dev->hub_connect_ms = mono_ms (dev);
  hub_set_state (dev, CBD_HUB_CONNECTING, NULL);
  dev_log2 (dev, "I: hub: connecting to ", params.endpoint);
  /* The platform may report the outcome from inside this call. */
  ret = dev->plat.hub_connect (dev->plat.ctx, &params);
  free (username);
  free (endpoint);
  if (ret != 0 && dev->hub_state == CBD_HUB_CONNECTING)
    {
      dev->hub_backoff_s = HUB_BACKOFF_MAX_S;
      dev->hub_next_try_ms = mono_ms (dev) + HUB_BACKOFF_MAX_S * 1000;
      hub_set_state (dev, CBD_HUB_UNREACHABLE, "could not start the connection");
    }
}

/* After a configuration change or a new certificate: connect again at once. */
static void
hub_restart (cbd_device *dev)
{
  hub_stop (dev);
  dev->hub_backoff_s = 0;
  hub_connect (dev);
}

static int
hub_configure (cbd_device *dev, const char *host, const char *device_id, const char *endpoint,
               const char *ca_path)
{
  const cbp_command *cmd = cbp_group_command (CBP_CMD_HUB_CONFIG);
  cbp_hub_config_req req;
  uint8_t *out = NULL;
  size_t len = 0;
  int ret;

  if (dev->plat.hub_connect == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (host == NULL)
    host = "";
  if (device_id == NULL)
    device_id = "";
  if (device_id[0] != 0 && !cn_valid (device_id))
    return CBP_RC_BAD_SUBJECT;
  if (endpoint != NULL && endpoint[0] == 0)
    endpoint = NULL;
  if (ca_path != NULL && ca_path[0] == 0)
    ca_path = NULL;

  /* A repeat of the same configuration leaves a working connection alone. */
  if (dev->hub.host != NULL && strcmp (dev->hub.host, host) == 0 &&
      strcmp (dev->hub.device_id, device_id) == 0 &&
      (dev->hub.endpoint == NULL ? endpoint == NULL
                                 : endpoint != NULL && strcmp (dev->hub.endpoint, endpoint) == 0) &&
      (dev->hub.ca_path == NULL ? ca_path == NULL
                                : ca_path != NULL && strcmp (dev->hub.ca_path, ca_path) == 0) &&
      (dev->hub_state == CBD_HUB_CONNECTED || dev->hub_state == CBD_HUB_CONNECTING))
    return 0;

  req.host = (char *) host;
  req.device_id = (char *) device_id;
  req.endpoint = (char *) endpoint;
  req.ca_path = (char *) ca_path;
  if (cbp_request_encode (cmd, &req, &out, &len) != CBP_OK)
    return GENERIC (CBP_SMP_RC_NO_MEMORY);
  ret = dev->plat.save (dev->plat.ctx, BLOB_HUB, out, len);
  free (out);
  if (ret != 0)
    return CBP_RC_STORAGE;

  /* The arguments may point into dev->hub: copy before freeing. */
  memset (&req, 0, sizeof req);
  req.host = str_dup (host);
  req.device_id = str_dup (device_id);
  req.endpoint = str_dup (endpoint);
  req.ca_path = str_dup (ca_path);
  cbp_request_clear (cmd, &dev->hub);
  dev->hub = req;
  if (host[0] != 0)
    dev_log2 (dev, "I: hub: configured for ", host);
  hub_restart (dev);
  notify (dev);
  return 0;
}

int
cbd_device_hub_configure (cbd_device *dev, const char *host, const char *device_id,
                          const char *endpoint, const char *ca_path)
{
  return hub_configure (dev, host, device_id, endpoint, ca_path);
}

/* A DPS registration started by the device itself: commit what DPS issued. */
static void
dps_auto_commit (cbd_device *dev)
{
  bool rereg = dev->dps_rereg;

  dev->dps_auto_commit = dev->dps_rereg = false;
  if (!leaf_matches (dev, dev->staging, dev->staging_len, working_key (dev)))
    {
      dev_log2 (dev, "E: dps: ", "issued leaf does not carry the device key");
      dev->dps_state = DPS_FAILED;
      set_str (&dev->dps_error, "issued leaf does not carry the device key");
      if (rereg)
        renew_set (dev, CBD_RENEW_FAILED, dev->dps_error);
      return;
    }
  if (activate_chain (dev, dev->staging, dev->staging_len) != 0)
    {
      dev->dps_state = DPS_FAILED;
      set_str (&dev->dps_error, "cannot store the certificate");
      if (rereg)
        renew_set (dev, CBD_RENEW_FAILED, dev->dps_error);
      return;
    }
  dev->staging = NULL;
  staging_reset (dev);
  staging_save (dev);
  dev->dps_state = DPS_IDLE;
  cbd_device_log (dev, "I: dps: new certificate active");

  if (rereg)
    {
      dev->reregistrations++;
      renew_set (dev, CBD_RENEW_REREGISTERED, NULL);
    }

  /* A hub configured without host and device id takes the assignment. */
  if (dev->hub.host != NULL && dev->dps_hub != NULL && dev->dps_device_id != NULL &&
      (dev->hub.host[0] == 0 || dev->hub.device_id[0] == 0 ||
       strcmp (dev->hub.host, dev->dps_hub) != 0 ||
       strcmp (dev->hub.device_id, dev->dps_device_id) != 0) &&
      hub_configure (dev, dev->dps_hub, dev->dps_device_id, dev->hub.endpoint,
                     dev->hub.ca_path) == 0)
    return;   /* connected by hub_configure */
  hub_restart (dev);
}

static int
start_registration (cbd_device *dev, const char *key_type, bool rereg)
{
  key_slot fresh;
  uint8_t *csr = NULL;
  size_t csr_len = 0;
  int rc;

  if (dev->plat.dps_register == NULL)
    return CBP_RC_NOT_SUPPORTED;
  if (dev->dps.scope == NULL)
    return CBP_RC_DPS_NOT_CONFIGURED;
  if (dev->dps_state == DPS_RUNNING)
    return CBP_RC_DPS_BUSY;
  if (!cn_valid (dev->dps.reg_id))
    return CBP_RC_BAD_SUBJECT;
  if (key_type == NULL)
    key_type = dev->key.type != NULL ? dev->key.type : CBP_KEY_TYPE_P256;
  if (!key_type_supported (dev, key_type))
    return CBP_RC_KEY_TYPE;

  rc = make_key (dev, key_type, &fresh);
  if (rc == 0)
    rc = install_fresh_key (dev, &fresh);
  if (rc == 0)
    rc = make_csr (dev, dev->dps.reg_id, &csr, &csr_len);
  if (rc != 0)
    return rc;
  dev->dps_auto_commit = true;
  dev->dps_rereg = rereg;
  rc = dps_start (dev, csr, csr_len, NULL);
  if (rc != 0)
    dev->dps_auto_commit = dev->dps_rereg = false;
  return rc;
}

int
cbd_device_register (cbd_device *dev, const char *key_type)
{
  return start_registration (dev, key_type, false);
}

/* ---- small encoders and a JSON reader, enough for the hub's answers ---- */

static const char b64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
b64_encode (const uint8_t *data, size_t len)
{
  char *out = malloc ((len + 2) / 3 * 4 + 1);
  size_t i, o = 0;

  if (out == NULL)
    return NULL;
  for (i = 0; i + 2 < len; i += 3)
    {
      uint32_t v = (uint32_t) data[i] << 16 | (uint32_t) data[i + 1] << 8 | data[i + 2];
      out[o++] = b64_alphabet[v >> 18 & 63];
      out[o++] = b64_alphabet[v >> 12 & 63];
      out[o++] = b64_alphabet[v >> 6 & 63];
      out[o++] = b64_alphabet[v & 63];
    }
  if (i < len)
    {
      uint32_t v = (uint32_t) data[i] << 16 | (i + 1 < len ? (uint32_t) data[i + 1] << 8 : 0);
      out[o++] = b64_alphabet[v >> 18 & 63];
      out[o++] = b64_alphabet[v >> 12 & 63];
      out[o++] = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
      out[o++] = '=';
    }
  out[o] = 0;
  return out;
}

/* Appends the base64 in [s, e) (whitespace ignored) to out. Returns false on bad input. */
static bool
b64_decode_append (const char *s, const char *e, uint8_t **out, size_t *out_len)
{
  size_t room = *out_len + (size_t) (e - s) / 4 * 3 + 3;
  uint8_t *buf = realloc (*out, room > 0 ? room : 1);
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  size_t o = *out_len;

  if (buf == NULL)
    return false;
  *out = buf;
  for (; s < e; s++)
    {
      const char *p;
      char c = *s;

      if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
        continue;
      if (c == '=')
        {
          pad++;
          continue;
        }
      if (pad > 0 || c == 0 || (p = strchr (b64_alphabet, c)) == NULL)
        return false;
      acc = acc << 6 | (uint32_t) (p - b64_alphabet);
      bits += 6;
      if (bits >= 8)
        {
          bits -= 8;
          buf[o++] = (uint8_t) (acc >> bits);
        }
    }
  *out_len = o;
  return true;
}

/* One certificate string of a hub answer: base64 DER, or PEM (one or more blocks). */
static bool
append_cert_text (const char *text, uint8_t **chain, size_t *chain_len)
{
  static const char begin[] = "-----BEGIN CERTIFICATE-----";
  static const char end[] = "-----END CERTIFICATE-----";
  const char *p = strstr (text, begin), *q;
  bool any = false;

  if (p == NULL)
    return b64_decode_append (text, text + strlen (text), chain, chain_len);
  while (p != NULL)
    {
      p += sizeof begin - 1;
      q = strstr (p, end);
      if (q == NULL || !b64_decode_append (p, q, chain, chain_len))
        return false;
      any = true;
      p = strstr (q + sizeof end - 1, begin);
    }
  return any;
}

typedef struct
{
  const char *p;
  const char *end;
} json_in;

static void
json_ws (json_in *in)
{
  while (in->p < in->end && (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r'))
    in->p++;
}

static int
hex_val (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* A JSON string at in->p; *out (may be NULL to skip) gets a malloc'd copy, \u escapes
 * outside ASCII become '?'. */
static bool
json_string (json_in *in, char **out)
{
  const char *p;
  char *buf = NULL;
  size_t n = 0;

  json_ws (in);
  if (in->p >= in->end || *in->p != '"')
    return false;
  p = ++in->p;
  while (in->p < in->end && *in->p != '"')
    in->p += *in->p == '\\' ? 2 : 1;
  if (in->p >= in->end)
    return false;
  if (out != NULL)
    {
      buf = malloc ((size_t) (in->p - p) + 1);
      if (buf == NULL)
        return false;
      while (p < in->p)
        {
          char c = *p++;

          if (c == '\\')
            {
              c = *p++;
              switch (c)
                {
                case 'n': c = '\n'; break;
                case 'r': c = '\r'; break;
                case 't': c = '\t'; break;
                case 'b': c = '\b'; break;
                case 'f': c = '\f'; break;
                case 'u':
                  {
                    int v = 0, i;
                    for (i = 0; i < 4 && p < in->p; i++, p++)
                      v = v * 16 + (hex_val (*p) < 0 ? 0 : hex_val (*p));
                    c = v > 0 && v < 0x80 ? (char) v : '?';
                  }
                  break;
                default: break;   /* " \ / */
                }
            }
          buf[n++] = c;
        }
      buf[n] = 0;
      *out = buf;
    }
  in->p++;
  return true;
}

static bool
json_skip (json_in *in, int depth)
{
  json_ws (in);
  if (in->p >= in->end || depth > 32)
    return false;
  if (*in->p == '"')
    return json_string (in, NULL);
  if (*in->p == '{' || *in->p == '[')
    {
      char close = *in->p == '{' ? '}' : ']';
      bool obj = close == '}';

      in->p++;
      json_ws (in);
      if (in->p < in->end && *in->p == close)
        {
          in->p++;
          return true;
        }
      for (;;)
        {
          if (obj)
            {
              if (!json_string (in, NULL))
                return false;
              json_ws (in);
              if (in->p >= in->end || *in->p++ != ':')
                return false;
            }
          if (!json_skip (in, depth + 1))
            return false;
          json_ws (in);
          if (in->p >= in->end)
            return false;
          if (*in->p == close)
            {
              in->p++;
              return true;
            }
          if (*in->p++ != ',')
            return false;
        }
    }
  /* number, true, false, null */
  while (in->p < in->end && *in->p != ',' && *in->p != '}' && *in->p != ']' &&
         *in->p != ' ' && *in->p != '\n' && *in->p != '\r' && *in->p != '\t')
    in->p++;
  return true;
}

/* A JSON array of strings at in->p: each decoded into chain. */
static bool
json_cert_array (json_in *in, uint8_t **chain, size_t *chain_len)
{
  json_ws (in);
  if (in->p >= in->end || *in->p != '[')
    return false;
  in->p++;
  json_ws (in);
  if (in->p < in->end && *in->p == ']')
    {
      in->p++;
      return true;
    }
  for (;;)
    {
      char *text = NULL;
      bool ok;

      if (!json_string (in, &text))
        return false;
      ok = append_cert_text (text, chain, chain_len);
      free (text);
      if (!ok)
        return false;
      json_ws (in);
      if (in->p >= in->end)
        return false;
      if (*in->p == ']')
        {
          in->p++;
          return true;
        }
      if (*in->p++ != ',')
        return false;
    }
}

/* The parts of a credentials answer the device uses: the chain (object with certificates,
 * or a bare array), the message and an errorCode. */
static bool
parse_credentials (const uint8_t *payload, size_t len, uint8_t **chain, size_t *chain_len,
                   char **message, char **error_code)
{
  json_in in = { (const char *) payload, (const char *) payload + len };

  json_ws (&in);
  if (in.p >= in.end)
    return false;
  if (*in.p == '[')
    return json_cert_array (&in, chain, chain_len);
  if (*in.p != '{')
    return false;
  in.p++;
  json_ws (&in);
  if (in.p < in.end && *in.p == '}')
    return true;
  for (;;)
    {
      char *key = NULL;
      bool ok;

      if (!json_string (&in, &key))
        return false;
      json_ws (&in);
      if (in.p >= in.end || *in.p++ != ':')
        {
          free (key);
          return false;
        }
      json_ws (&in);
      if (strcmp (key, "certificates") == 0)
        ok = json_cert_array (&in, chain, chain_len);
      else if (strcmp (key, "message") == 0 && in.p < in.end && *in.p == '"' && *message == NULL)
        ok = json_string (&in, message);
      else if (strcmp (key, "errorCode") == 0 && *error_code == NULL)
        {
          const char *start = in.p;
          ok = json_skip (&in, 0);
          if (ok && (*error_code = malloc ((size_t) (in.p - start) + 1)) != NULL)
            {
              memcpy (*error_code, start, (size_t) (in.p - start));
              (*error_code)[in.p - start] = 0;
            }
        }
      else
        ok = json_skip (&in, 0);
      free (key);
      if (!ok)
        return false;
      json_ws (&in);
      if (in.p >= in.end)
        return false;
      if (*in.p == '}')
        return true;
      if (*in.p++ != ',')
        return false;
    }
}

/* Unix seconds as YYYY-MM-DDThh:mm:ssZ (proleptic Gregorian, no libc time zone code). */
static void
format_utc (int64_t t, char out[24])
{
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;

  if (m <= 2)
    y++;
  snprintf (out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int) y, (int) m, (int) d,
            (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
}

/* "$iothub/<what>/res/<status>/?$rid=<rid>..." */
static bool
parse_response_topic (const char *topic, const char *prefix, int *status, uint64_t *rid)
{
  size_t n = strlen (prefix);
  const char *p;
  char *end;

  if (strncmp (topic, prefix, n) != 0)
    return false;
  *status = (int) strtol (topic + n, &end, 10);
  if (end == topic + n || *end != '/')
    return false;
  p = strstr (end, "$rid=");
  if (p == NULL)
    return false;
  *rid = strtoull (p + 5, &end, 10);
  return end != p + 5;
}

/* ---- twin and renewal over the connection ---- */

static void
twin_report (cbd_device *dev)
{
  char topic[96], from[24], until[24], body[128];

  if (!dev->active_valid)
    return;
  format_utc (dev->active_not_before, from);
  format_utc (dev->active_not_after, until);
  snprintf (body, sizeof body, "{\"certificate\":{\"validFrom\":\"%s\",\"validUntil\":\"%s\"}}",
            from, until);
  dev->twin_rid = ++dev->rid;
  snprintf (topic, sizeof topic, "$iothub/twin/PATCH/properties/reported/?$rid=%llu",
            (unsigned long long) dev->twin_rid);
  dev->twin_sent_ms = mono_ms (dev);
  dev->twin_reported = false;
  dev->plat.hub_publish (dev->plat.ctx, topic, (const uint8_t *) body, strlen (body));
}

/* Publishes the issueCertificate request of the active renewal. */
static void
renew_send (cbd_device *dev, bool replace)
{
  char topic[96];
  char *body;
  size_t n;

  n = strlen (dev->hub.device_id) + strlen (dev->renew_body_csr) + 64;
  body = malloc (n);
  if (body == NULL)
    return;
  snprintf (body, n, "{\"id\":\"%s\",\"csr\":\"%s\"%s}", dev->hub.device_id,
            dev->renew_body_csr, replace ? ",\"replace\":\"*\"" : "");
  dev->renew_rid = ++dev->rid;
  snprintf (topic, sizeof topic, "$iothub/credentials/POST/issueCertificate/?$rid=%llu",
            (unsigned long long) dev->renew_rid);
  dev->renew_sent_ms = mono_ms (dev);
  dev->renew_accepted = false;
  if (dev->plat.hub_publish (dev->plat.ctx, topic, (const uint8_t *) body, strlen (body)) != 0)
    dev->renew_sent_ms = 0;   /* not sent: the tick sends again once connected */
  free (body);
}

static void
renew_start (cbd_device *dev)
{
  key_slot fresh;
  uint8_t *csr = NULL;
  size_t csr_len = 0;
  int rc;

  /* A fresh key; the active chain keeps its key until the new chain is installed. */
  rc = make_key (dev, dev->key.type != NULL ? dev->key.type : CBP_KEY_TYPE_P256, &fresh);
  if (rc == 0)
    rc = install_fresh_key (dev, &fresh);
  if (rc == 0)
    rc = make_csr (dev, dev->hub.device_id, &csr, &csr_len);
  if (rc != 0)
    {
      dev->renew_next_ms = mono_ms (dev) + RENEW_RETRY_S * 1000;
      renew_set (dev, CBD_RENEW_FAILED, "cannot make a key or CSR");
      return;
    }
  free (dev->renew_body_csr);
  dev->renew_body_csr = b64_encode (csr, csr_len);
  free (csr);
  if (dev->renew_body_csr == NULL)
    return;
  dev->renew_conflicts = 0;
  renew_set (dev, CBD_RENEW_REQUESTED, NULL);
  dev->renew_active = true;
  cbd_device_log (dev, "I: hub: renewal point reached, requesting a new certificate");
  renew_send (dev, false);
}

static void
renew_fail (cbd_device *dev, const char *error)
{
  dev->renew_next_ms = mono_ms (dev) + RENEW_RETRY_S * 1000;
  dev_log2 (dev, "E: hub: renewal failed: ", error);
  renew_set (dev, CBD_RENEW_FAILED, error);
}

static void
renew_result (cbd_device *dev, const uint8_t *payload, size_t len)
{
  uint8_t *chain = NULL, *spki = NULL;
  size_t chain_len = 0, spki_len = 0, leaf_len;
  char *message = NULL, *code = NULL, *cn = NULL;
  int64_t nb, na;
  const char *error = NULL;

  if (!parse_credentials (payload, len, &chain, &chain_len, &message, &code) || chain_len == 0)
    error = "the answer has no readable certificates";
  else if (chain_len > dev->cfg.slot_size)
    error = "the issued chain exceeds the slot size";
  else if (!parse_chain (dev, chain, chain_len, &spki, &spki_len, &nb, &na))
    error = "the issued chain is not DER X.509";
  else if (dev->next.blob == NULL || spki_len != dev->next.pub_len ||
           memcmp (spki, dev->next.pub, spki_len) != 0)
    error = "the issued leaf does not carry the new key";
  else if (dev->plat.cert_cn != NULL &&
           ((leaf_len = cbd_der_element_len (chain, chain_len)) == 0 ||
            dev->plat.cert_cn (dev->plat.ctx, chain, leaf_len, &cn) != 0 ||
            strcmp (cn, dev->hub.device_id) != 0))
    error = "the issued leaf's CN is not the device id";
  free (spki);
  free (cn);
  free (message);
  free (code);
  if (error == NULL && activate_chain (dev, chain, chain_len) != 0)
    error = "cannot store the certificate";
  if (error != NULL)
    {
      free (chain);
      renew_fail (dev, error);
      return;
    }

  dev->renewals++;
  cbd_device_log (dev, "I: hub: renewed, new certificate active; reconnecting");
  renew_set (dev, CBD_RENEW_RENEWED, NULL);
  /* The connection stays valid, but the new certificate is only used on the next connect. */
  hub_restart (dev);
}

static void
renew_message (cbd_device *dev, int status, const uint8_t *payload, size_t len)
{
  uint8_t *chain = NULL;
  size_t chain_len = 0;
  char *message = NULL, *code = NULL;
  char text[200];

  if (status == 202)
    {
      dev->renew_accepted = true;
      dev->renew_sent_ms = mono_ms (dev);
      return;
    }
  if (status == 200)
    {
      renew_result (dev, payload, len);
      return;
    }
  if (status == 409 && dev->renew_conflicts++ < 3)
    {
      /* An older request of ours is still active (say from before a reconnect). */
      renew_send (dev, true);
      return;
    }
  parse_credentials (payload, len, &chain, &chain_len, &message, &code);
  snprintf (text, sizeof text, "%d%s%s%s%s", status, code != NULL ? " " : "",
            code != NULL ? code : "", message != NULL ? ": " : "",
            message != NULL ? message : "");
  free (chain);
  free (message);
  free (code);
  renew_fail (dev, text);
}

void
cbd_device_hub_message (cbd_device *dev, const char *topic, const uint8_t *payload, size_t len)
{
  int status;
  uint64_t rid;

  if (parse_response_topic (topic, "$iothub/twin/res/", &status, &rid))
    {
      if (rid != dev->twin_rid)
        return;
      if (status == 200 || status == 204)
        {
          dev->twin_reported = true;
          notify (dev);
        }
      else
        {
          char text[64];
          snprintf (text, sizeof text, "twin report answered %d", status);
          dev_log2 (dev, "W: hub: ", text);
        }
      return;
    }
  if (parse_response_topic (topic, "$iothub/credentials/res/", &status, &rid))
    {
      if (dev->renew_active && rid == dev->renew_rid)
        renew_message (dev, status, payload, len);
    }
}

void
cbd_device_hub_event (cbd_device *dev, cbd_hub_event event, const char *text)
{
  int64_t now = mono_ms (dev);

  switch (event)
    {
    case CBD_HUB_EV_CONNECTED:
      dev->hub_backoff_s = 0;
      hub_set_state (dev, CBD_HUB_CONNECTED, NULL);
      cbd_device_log (dev, "I: hub: connected");
      dev->plat.hub_subscribe (dev->plat.ctx, "$iothub/twin/res/#");
      dev->plat.hub_subscribe (dev->plat.ctx, "$iothub/credentials/res/#");
      twin_report (dev);
      /* Clean session: an answer to a request sent on the old connection is lost. */
      if (dev->renew_active)
        renew_send (dev, true);
      break;

    case CBD_HUB_EV_REFUSED:
      dev->hub_next_try_ms = now + HUB_REFUSED_RETRY_S * 1000;
      dev_log2 (dev, "E: hub: refused: ", text);
      hub_set_state (dev, CBD_HUB_REFUSED, text != NULL ? text : "refused");
      break;

    case CBD_HUB_EV_UNREACHABLE:
    case CBD_HUB_EV_DISCONNECTED:
      if (event == CBD_HUB_EV_DISCONNECTED && dev->hub_state == CBD_HUB_CONNECTED)
        dev->hub_backoff_s = 0;
      dev->hub_backoff_s = dev->hub_backoff_s == 0 ? 1 : dev->hub_backoff_s * 2;
      if (dev->hub_backoff_s > HUB_BACKOFF_MAX_S)
        dev->hub_backoff_s = HUB_BACKOFF_MAX_S;
      dev->hub_next_try_ms = now + (int64_t) dev->hub_backoff_s * 1000;
      dev_log2 (dev, event == CBD_HUB_EV_UNREACHABLE ? "E: hub: unreachable: "
                                                     : "W: hub: disconnected: ",
                text != NULL ? text : "connection lost");
      if (event == CBD_HUB_EV_UNREACHABLE && text != NULL)
        set_str (&dev->last_tls_error, text);
      hub_set_state (dev, event == CBD_HUB_EV_UNREACHABLE ? CBD_HUB_UNREACHABLE
                                                          : CBD_HUB_DISCONNECTED,
                     text);
      break;
    }
}

void
cbd_device_tick (cbd_device *dev)
{
  int64_t now_ms = mono_ms (dev);
  int64_t now = dev->plat.now (dev->plat.ctx);

  /* An expired certificate cannot connect or renew through the hub: DPS it is. */
  if (dev->active_valid && now >= dev->active_not_after)
    {
      int rc;

      if (dev->hub_state != CBD_HUB_OFF && dev->hub_state != CBD_HUB_DISCONNECTED)
        {
          hub_stop (dev);
          hub_set_state (dev, CBD_HUB_DISCONNECTED, "certificate expired");
        }
      if (dev->renew_active)
        renew_set (dev, CBD_RENEW_FAILED, "certificate expired during the renewal");
      if (dev->cfg.never_renew || dev->dps_state == DPS_RUNNING || now_ms < dev->rereg_next_ms ||
          dev->plat.dps_register == NULL)
        return;
      dev->rereg_next_ms = now_ms + REREGISTER_RETRY_S * 1000;
      cbd_device_log (dev, "I: certificate expired, registering again through DPS");
      renew_set (dev, CBD_RENEW_REQUESTED, NULL);
      rc = start_registration (dev, NULL, true);
      if (rc != 0)
        renew_set (dev, CBD_RENEW_FAILED,
                   rc == CBP_RC_DPS_NOT_CONFIGURED ? "certificate expired and DPS is not configured"
                                                   : "could not start a DPS registration");
      return;
    }

  if (!hub_ready (dev) || !dev->active_valid)
    return;

  switch (dev->hub_state)
    {
    case CBD_HUB_CONNECTING:
      if (now_ms - dev->hub_connect_ms > HUB_CONNECT_TIMEOUT_S * 1000)
        {
          dev->plat.hub_disconnect (dev->plat.ctx);
          cbd_device_hub_event (dev, CBD_HUB_EV_UNREACHABLE, "connect timed out");
        }
      break;

    case CBD_HUB_OFF:
      hub_connect (dev);
      break;

    case CBD_HUB_REFUSED:
    case CBD_HUB_UNREACHABLE:
    case CBD_HUB_DISCONNECTED:
      if (dev->hub_next_try_ms == 0 || now_ms >= dev->hub_next_try_ms)
        hub_connect (dev);
      break;

    case CBD_HUB_CONNECTED:
      if (!dev->twin_reported && now_ms - dev->twin_sent_ms > TWIN_RETRY_S * 1000)
        twin_report (dev);
      if (dev->renew_active)
        {
          int64_t limit = (dev->renew_accepted ? RENEW_RESULT_TIMEOUT_S : RENEW_ACCEPT_TIMEOUT_S)
                          * 1000;
          if (dev->renew_sent_ms == 0 || now_ms - dev->renew_sent_ms > limit)
            renew_send (dev, true);
        }
      else if (!dev->cfg.never_renew && now >= renew_point (dev) && now_ms >= dev->renew_next_ms &&
               dev->dps_state != DPS_RUNNING)
        renew_start (dev);
      break;
    }
}

void
cbd_device_get_status (cbd_device *dev, cbd_status *st)
{
  static const cbd_dps_state dps_states[] = { CBD_DPS_IDLE, CBD_DPS_RUNNING, CBD_DPS_ASSIGNED,
                                              CBD_DPS_FAILED };

  memset (st, 0, sizeof *st);
  st->active = dev->active_valid;
  if (dev->active_valid)
    {
      st->not_before = dev->active_not_before;
      st->not_after = dev->active_not_after;
      st->renew_at = renew_point (dev);
    }
  st->hub_state = dev->hub_state;
  st->hub_error = dev->hub_error;
  st->hub_time = dev->hub_time;
  st->twin_reported = dev->twin_reported;
  st->renew_state = dev->renew_state;
  st->renew_error = dev->renew_error;
  st->renew_time = dev->renew_time;
  st->renewals = dev->renewals;
  st->reregistrations = dev->reregistrations;
  st->dps_state = dps_states[dev->dps_state];
  st->dps_error = dev->dps_error;
  st->hub_host = dev->hub.host != NULL && dev->hub.host[0] != 0 ? dev->hub.host : NULL;
  st->device_id = dev->hub.device_id != NULL && dev->hub.device_id[0] != 0 ? dev->hub.device_id
                                                                           : NULL;
}
