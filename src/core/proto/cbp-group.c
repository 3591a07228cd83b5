/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "cbp-group.h"
#include "cbp-smp.h"

#include <cbor.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- rc codes (keep in step with bench-group.json and docs/bench-protocol.md) ---- */

static const cbp_rc_info rc_table[CBP_RC_COUNT] = {
  { CBP_RC_OK, "ok", "success", 0 },
  { CBP_RC_UNKNOWN, "unknown", "unexpected internal failure", 1 },
  { CBP_RC_NO_KEY, "no_key", "the device has no key yet", 5 },
  { CBP_RC_KEY_EXISTS, "key_exists", "a key of another type exists and replace was not set", 6 },
  { CBP_RC_KEY_TYPE, "key_type", "key type not supported by this device", 8 },
  { CBP_RC_BAD_SUBJECT, "bad_subject", "the common name is empty, too long or has forbidden characters", 3 },
  { CBP_RC_TOO_LARGE, "too_large", "the chain exceeds the slot size", 2 },
  { CBP_RC_HASH_MISMATCH, "hash_mismatch", "the staged bytes do not match the announced SHA-256", 9 },
  { CBP_RC_STAGING_EMPTY, "staging_empty", "nothing complete is staged", 6 },
  { CBP_RC_CHAIN_INVALID, "chain_invalid", "the staged bytes are not DER X.509 certificates", 9 },
  { CBP_RC_KEY_MISMATCH, "key_mismatch", "the leaf certificate's public key is not the device's key", 3 },
  { CBP_RC_COMMIT_REFUSED, "commit_refused", "the device refuses the commit", 11 },
  { CBP_RC_NO_CERT, "no_cert", "no active certificate", 5 },
  { CBP_RC_BAD_CHALLENGE, "bad_challenge", "the challenge is not exactly 32 bytes", 3 },
  { CBP_RC_DPS_NOT_CONFIGURED, "dps_not_configured", "DPS is not configured on the device", 6 },
  { CBP_RC_DPS_BUSY, "dps_busy", "a DPS registration is running", 10 },
  { CBP_RC_DPS_FAILED, "dps_failed", "DPS registration failed", 1 },
  { CBP_RC_STORAGE, "storage", "persistent storage failed", 9 },
  { CBP_RC_CRYPTO, "crypto", "the crypto engine failed", 1 },
  { CBP_RC_NOT_SUPPORTED, "not_supported", "this device cannot do this", 8 },
};

const cbp_rc_info *
cbp_rc_table (size_t *n)
{
  if (n != NULL)
    *n = CBP_RC_COUNT;
  return rc_table;
}

const char *
cbp_rc_name (int rc)
{
  if (rc < 0 || rc >= CBP_RC_COUNT)
    return "?";
  return rc_table[rc].name;
}

int
cbp_rc_to_v1 (int rc)
{
  if (rc < 0 || rc >= CBP_RC_COUNT)
    return CBP_SMP_RC_UNKNOWN;
  return rc_table[rc].v1_rc;
}

const char *
cbp_type_name (cbp_type type)
{
  switch (type)
    {
    case CBP_T_UINT: return "uint";
    case CBP_T_INT: return "int";
    case CBP_T_BOOL: return "bool";
    case CBP_T_TSTR: return "tstr";
    case CBP_T_BSTR: return "bstr";
    case CBP_T_TSTRV: return "array";
    default: return "?";
    }
}

/* ---- field tables ---- */

#define REQ(st, name, type) { #name, type, false, offsetof (st, name), CBP_NO_HAS }
#define OPT(st, name, type) { #name, type, true, offsetof (st, name), CBP_NO_HAS }
#define OPTH(st, name, type) { #name, type, true, offsetof (st, name), offsetof (st, has_##name) }
#define N(a) (sizeof (a) / sizeof ((a)[0]))

static const cbp_field os_echo_req_fields[] = {
  REQ (cbp_os_echo_req, d, CBP_T_TSTR),
};
static const cbp_field os_echo_rsp_fields[] = {
  REQ (cbp_os_echo_rsp, r, CBP_T_TSTR),
};
static const cbp_field os_params_rsp_fields[] = {
  REQ (cbp_os_params_rsp, buf_size, CBP_T_UINT),
  REQ (cbp_os_params_rsp, buf_count, CBP_T_UINT),
};

static const cbp_field info_rsp_fields[] = {
  REQ (cbp_info_rsp, serial, CBP_T_TSTR),
  REQ (cbp_info_rsp, model, CBP_T_TSTR),
  REQ (cbp_info_rsp, fw, CBP_T_TSTR),
  REQ (cbp_info_rsp, proto, CBP_T_UINT),
  REQ (cbp_info_rsp, key_types, CBP_T_TSTRV),
  OPT (cbp_info_rsp, key, CBP_T_TSTR),
  REQ (cbp_info_rsp, next_key, CBP_T_BOOL),
  REQ (cbp_info_rsp, frame_size, CBP_T_UINT),
  REQ (cbp_info_rsp, buf_size, CBP_T_UINT),
  REQ (cbp_info_rsp, slot_size, CBP_T_UINT),
  REQ (cbp_info_rsp, slots, CBP_T_UINT),
  REQ (cbp_info_rsp, active, CBP_T_BOOL),
  REQ (cbp_info_rsp, staged, CBP_T_UINT),
};

static const cbp_field keygen_req_fields[] = {
  OPT (cbp_keygen_req, type, CBP_T_TSTR),
  OPTH (cbp_keygen_req, replace, CBP_T_BOOL),
};
static const cbp_field keygen_rsp_fields[] = {
  REQ (cbp_keygen_rsp, type, CBP_T_TSTR),
  REQ (cbp_keygen_rsp, created, CBP_T_BOOL),
  REQ (cbp_keygen_rsp, pub, CBP_T_BSTR),
};

static const cbp_field csr_req_fields[] = {
  REQ (cbp_csr_req, cn, CBP_T_TSTR),
};
static const cbp_field csr_rsp_fields[] = {
  REQ (cbp_csr_rsp, csr, CBP_T_BSTR),
};

static const cbp_field cert_put_req_fields[] = {
  REQ (cbp_cert_put_req, off, CBP_T_UINT),
  OPTH (cbp_cert_put_req, len, CBP_T_UINT),
  OPT (cbp_cert_put_req, sha, CBP_T_BSTR),
  REQ (cbp_cert_put_req, data, CBP_T_BSTR),
};
static const cbp_field cert_put_rsp_fields[] = {
  REQ (cbp_cert_put_rsp, off, CBP_T_UINT),
  REQ (cbp_cert_put_rsp, done, CBP_T_BOOL),
};

static const cbp_field cert_commit_req_fields[] = {
  REQ (cbp_cert_commit_req, sha, CBP_T_BSTR),
};
static const cbp_field cert_commit_rsp_fields[] = {
  REQ (cbp_cert_commit_rsp, sha, CBP_T_BSTR),
  REQ (cbp_cert_commit_rsp, not_before, CBP_T_INT),
  REQ (cbp_cert_commit_rsp, not_after, CBP_T_INT),
};

static const cbp_field cert_get_req_fields[] = {
  REQ (cbp_cert_get_req, off, CBP_T_UINT),
  OPT (cbp_cert_get_req, slot, CBP_T_TSTR),
  OPTH (cbp_cert_get_req, max, CBP_T_UINT),
};
static const cbp_field cert_get_rsp_fields[] = {
  REQ (cbp_cert_get_rsp, off, CBP_T_UINT),
  REQ (cbp_cert_get_rsp, len, CBP_T_UINT),
  REQ (cbp_cert_get_rsp, sha, CBP_T_BSTR),
  REQ (cbp_cert_get_rsp, data, CBP_T_BSTR),
};

static const cbp_field pop_req_fields[] = {
  REQ (cbp_pop_req, challenge, CBP_T_BSTR),
};
static const cbp_field pop_rsp_fields[] = {
  REQ (cbp_pop_rsp, sig, CBP_T_BSTR),
  REQ (cbp_pop_rsp, pub, CBP_T_BSTR),
  REQ (cbp_pop_rsp, alg, CBP_T_TSTR),
};

static const cbp_field dps_config_req_fields[] = {
  REQ (cbp_dps_config_req, scope, CBP_T_TSTR),
  REQ (cbp_dps_config_req, reg_id, CBP_T_TSTR),
  REQ (cbp_dps_config_req, key, CBP_T_TSTR),
  OPT (cbp_dps_config_req, endpoint, CBP_T_TSTR),
  OPT (cbp_dps_config_req, ca_path, CBP_T_TSTR),
};

static const cbp_field dps_register_rsp_fields[] = {
  REQ (cbp_dps_register_rsp, state, CBP_T_TSTR),
};

static const cbp_field dps_status_rsp_fields[] = {
  REQ (cbp_dps_status_rsp, state, CBP_T_TSTR),
  OPT (cbp_dps_status_rsp, scope, CBP_T_TSTR),
  OPT (cbp_dps_status_rsp, reg_id, CBP_T_TSTR),
  OPT (cbp_dps_status_rsp, endpoint, CBP_T_TSTR),
  OPT (cbp_dps_status_rsp, hub, CBP_T_TSTR),
  OPT (cbp_dps_status_rsp, device_id, CBP_T_TSTR),
  OPT (cbp_dps_status_rsp, sha, CBP_T_BSTR),
  OPT (cbp_dps_status_rsp, error, CBP_T_TSTR),
};

static const cbp_field diag_rsp_fields[] = {
  REQ (cbp_diag_rsp, time, CBP_T_INT),
  REQ (cbp_diag_rsp, uptime, CBP_T_UINT),
  OPT (cbp_diag_rsp, tls_err, CBP_T_TSTR),
  OPT (cbp_diag_rsp, dps_err, CBP_T_TSTR),
  OPTH (cbp_diag_rsp, not_before, CBP_T_INT),
  OPTH (cbp_diag_rsp, not_after, CBP_T_INT),
  OPTH (cbp_diag_rsp, renew_at, CBP_T_INT),
  OPT (cbp_diag_rsp, hub, CBP_T_TSTR),
  OPT (cbp_diag_rsp, hub_state, CBP_T_TSTR),   /* always sent; absent from older firmware */
  OPT (cbp_diag_rsp, hub_err, CBP_T_TSTR),
  OPTH (cbp_diag_rsp, hub_time, CBP_T_INT),
  OPT (cbp_diag_rsp, renew_state, CBP_T_TSTR),
  OPT (cbp_diag_rsp, renew_err, CBP_T_TSTR),
  OPTH (cbp_diag_rsp, renew_time, CBP_T_INT),
};

static const cbp_field hub_config_req_fields[] = {
  REQ (cbp_hub_config_req, host, CBP_T_TSTR),
  REQ (cbp_hub_config_req, device_id, CBP_T_TSTR),
  OPT (cbp_hub_config_req, endpoint, CBP_T_TSTR),
  OPT (cbp_hub_config_req, ca_path, CBP_T_TSTR),
};

#define EMPTY NULL, 0, sizeof (cbp_empty)
#define FIELDS(a, st) a, N (a), sizeof (st)

static const cbp_command group_commands[CBP_CMD_COUNT] = {
  { "info", CBP_GROUP_DEFAULT, CBP_CMD_INFO, CBP_OP_READ, 2000, true,
    EMPTY, FIELDS (info_rsp_fields, cbp_info_rsp) },
  { "keygen", CBP_GROUP_DEFAULT, CBP_CMD_KEYGEN, CBP_OP_WRITE, 30000, true,
    FIELDS (keygen_req_fields, cbp_keygen_req), FIELDS (keygen_rsp_fields, cbp_keygen_rsp) },
  { "csr", CBP_GROUP_DEFAULT, CBP_CMD_CSR, CBP_OP_READ, 10000, true,
    FIELDS (csr_req_fields, cbp_csr_req), FIELDS (csr_rsp_fields, cbp_csr_rsp) },
  { "cert_put", CBP_GROUP_DEFAULT, CBP_CMD_CERT_PUT, CBP_OP_WRITE, 3000, true,
    FIELDS (cert_put_req_fields, cbp_cert_put_req), FIELDS (cert_put_rsp_fields, cbp_cert_put_rsp) },
  { "cert_commit", CBP_GROUP_DEFAULT, CBP_CMD_CERT_COMMIT, CBP_OP_WRITE, 10000, true,
    FIELDS (cert_commit_req_fields, cbp_cert_commit_req),
    FIELDS (cert_commit_rsp_fields, cbp_cert_commit_rsp) },
  { "cert_get", CBP_GROUP_DEFAULT, CBP_CMD_CERT_GET, CBP_OP_READ, 3000, true,
    FIELDS (cert_get_req_fields, cbp_cert_get_req), FIELDS (cert_get_rsp_fields, cbp_cert_get_rsp) },
  { "pop", CBP_GROUP_DEFAULT, CBP_CMD_POP, CBP_OP_READ, 10000, true,
    FIELDS (pop_req_fields, cbp_pop_req), FIELDS (pop_rsp_fields, cbp_pop_rsp) },
  { "dps_config", CBP_GROUP_DEFAULT, CBP_CMD_DPS_CONFIG, CBP_OP_WRITE, 3000, true,
    FIELDS (dps_config_req_fields, cbp_dps_config_req), EMPTY },
  { "dps_register", CBP_GROUP_DEFAULT, CBP_CMD_DPS_REGISTER, CBP_OP_WRITE, 3000, true,
    EMPTY, FIELDS (dps_register_rsp_fields, cbp_dps_register_rsp) },
  { "dps_status", CBP_GROUP_DEFAULT, CBP_CMD_DPS_STATUS, CBP_OP_READ, 2000, true,
    EMPTY, FIELDS (dps_status_rsp_fields, cbp_dps_status_rsp) },
  { "diag", CBP_GROUP_DEFAULT, CBP_CMD_DIAG, CBP_OP_READ, 2000, true,
    EMPTY, FIELDS (diag_rsp_fields, cbp_diag_rsp) },
  { "hub_config", CBP_GROUP_DEFAULT, CBP_CMD_HUB_CONFIG, CBP_OP_WRITE, 3000, true,
    FIELDS (hub_config_req_fields, cbp_hub_config_req), EMPTY },
};

static const cbp_command os_commands[] = {
  { "echo", CBP_GROUP_OS, CBP_OS_ECHO, CBP_OP_WRITE, 2000, true,
    FIELDS (os_echo_req_fields, cbp_os_echo_req), FIELDS (os_echo_rsp_fields, cbp_os_echo_rsp) },
  { "mcumgr_params", CBP_GROUP_OS, CBP_OS_MCUMGR_PARAMS, CBP_OP_READ, 2000, true,
    EMPTY, FIELDS (os_params_rsp_fields, cbp_os_params_rsp) },
};

const cbp_command *
cbp_group_commands (size_t *n)
{
  if (n != NULL)
    *n = CBP_CMD_COUNT;
  return group_commands;
}

const cbp_command *
cbp_group_command (uint8_t id)
{
  if (id >= CBP_CMD_COUNT)
    return NULL;
  return &group_commands[id];
}

const cbp_command *
cbp_group_command_by_name (const char *name)
{
  size_t i;

  if (name == NULL)
    return NULL;
  for (i = 0; i < CBP_CMD_COUNT; i++)
    if (strcmp (group_commands[i].name, name) == 0)
      return &group_commands[i];
  return NULL;
}

const cbp_command *
cbp_os_commands (size_t *n)
{
  if (n != NULL)
    *n = N (os_commands);
  return os_commands;
}

const cbp_command *
cbp_os_command (uint8_t id)
{
  size_t i;

  for (i = 0; i < N (os_commands); i++)
    if (os_commands[i].id == id)
      return &os_commands[i];
  return NULL;
}

/* ---- codec ---- */

#define AT(msg, off, type) ((type *) (void *) ((char *) (msg) + (off)))
#define CAT(msg, off, type) ((const type *) (const void *) ((const char *) (msg) + (off)))

static cbor_item_t *
build_uint (uint64_t v)
{
  /* Shortest form: libcbor keeps the width it is given. */
  if (v <= UINT8_MAX)
    return cbor_build_uint8 ((uint8_t) v);
  if (v <= UINT16_MAX)
    return cbor_build_uint16 ((uint16_t) v);
  if (v <= UINT32_MAX)
    return cbor_build_uint32 ((uint32_t) v);
  return cbor_build_uint64 (v);
}

static cbor_item_t *
build_int (int64_t v)
{
  uint64_t n;

  if (v >= 0)
    return build_uint ((uint64_t) v);
  n = (uint64_t) (-(v + 1));
  if (n <= UINT8_MAX)
    return cbor_build_negint8 ((uint8_t) n);
  if (n <= UINT16_MAX)
    return cbor_build_negint16 ((uint16_t) n);
  if (n <= UINT32_MAX)
    return cbor_build_negint32 ((uint32_t) n);
  return cbor_build_negint64 (n);
}

static bool
map_add (cbor_item_t *map, cbor_item_t *key, cbor_item_t *value)
{
  bool ok = false;

  /* cbor_map_add takes its own references; drop ours whatever happens. */
  if (key != NULL && value != NULL)
    ok = cbor_map_add (map, (struct cbor_pair) { .key = key, .value = value });
  if (key != NULL)
    cbor_decref (&key);
  if (value != NULL)
    cbor_decref (&value);
  return ok;
}

static bool
field_present (const cbp_field *f, const void *msg)
{
  if (!f->optional)
    return true;
  if (f->has_offset != CBP_NO_HAS)
    return *CAT (msg, f->has_offset, bool);
  switch (f->type)
    {
    case CBP_T_TSTR:
      return *CAT (msg, f->offset, char *) != NULL;
    case CBP_T_BSTR:
      return CAT (msg, f->offset, cbp_bytes)->data != NULL;
    case CBP_T_TSTRV:
      return CAT (msg, f->offset, cbp_strv)->items != NULL;
    case CBP_T_UINT:
    case CBP_T_INT:
    case CBP_T_BOOL:
    default:
      return true;
    }
}

static cbor_item_t *
build_value (const cbp_field *f, const void *msg)
{
  switch (f->type)
    {
    case CBP_T_UINT:
      return build_uint (*CAT (msg, f->offset, uint64_t));
    case CBP_T_INT:
      return build_int (*CAT (msg, f->offset, int64_t));
    case CBP_T_BOOL:
      return cbor_build_bool (*CAT (msg, f->offset, bool));
    case CBP_T_TSTR:
      {
        const char *s = *CAT (msg, f->offset, char *);
        return cbor_build_string (s != NULL ? s : "");
      }
    case CBP_T_BSTR:
      {
        const cbp_bytes *b = CAT (msg, f->offset, cbp_bytes);
        static const uint8_t empty[1] = { 0 };
        return cbor_build_bytestring (b->data != NULL ? b->data : empty,
                                      b->data != NULL ? b->len : 0);
      }
    case CBP_T_TSTRV:
      {
        const cbp_strv *v = CAT (msg, f->offset, cbp_strv);
        cbor_item_t *arr = cbor_new_definite_array (v->n);
        size_t i;

        if (arr == NULL)
          return NULL;
        for (i = 0; i < v->n; i++)
          {
            cbor_item_t *s = cbor_build_string (v->items[i] != NULL ? v->items[i] : "");
            bool ok = s != NULL && cbor_array_push (arr, s);

            if (s != NULL)
              cbor_decref (&s);
            if (!ok)
              {
                cbor_decref (&arr);
                return NULL;
              }
          }
        return arr;
      }
    default:
      return NULL;
    }
}

static int
serialize (cbor_item_t *item, uint8_t **out, size_t *out_len)
{
  unsigned char *buf = NULL;
  size_t cap = 0;
  size_t n = cbor_serialize_alloc (item, &buf, &cap);

  if (n == 0)
    {
      free (buf);
      return CBP_ERR_NOMEM;
    }
  *out = buf;
  *out_len = n;
  return CBP_OK;
}

int
cbp_msg_encode (const cbp_field *fields,
                size_t           n_fields,
                const void      *msg,
                uint8_t        **out,
                size_t          *out_len)
{
  cbor_item_t *map;
  size_t i, n_present = 0;
  int ret;

  if (out == NULL || out_len == NULL || (n_fields > 0 && (fields == NULL || msg == NULL)))
    return CBP_ERR_ARG;

  for (i = 0; i < n_fields; i++)
    if (field_present (&fields[i], msg))
      n_present++;

  map = cbor_new_definite_map (n_present);
  if (map == NULL)
    return CBP_ERR_NOMEM;

  for (i = 0; i < n_fields; i++)
    {
      const cbp_field *f = &fields[i];

      if (!field_present (f, msg))
        continue;
      if (!map_add (map, cbor_build_string (f->key), build_value (f, msg)))
        {
          cbor_decref (&map);
          return CBP_ERR_NOMEM;
        }
    }

  ret = serialize (map, out, out_len);
  cbor_decref (&map);
  return ret;
}

static void
clear_field (const cbp_field *f, void *msg)
{
  switch (f->type)
    {
    case CBP_T_TSTR:
      free (*AT (msg, f->offset, char *));
      *AT (msg, f->offset, char *) = NULL;
      break;
    case CBP_T_BSTR:
      free (AT (msg, f->offset, cbp_bytes)->data);
      AT (msg, f->offset, cbp_bytes)->data = NULL;
      AT (msg, f->offset, cbp_bytes)->len = 0;
      break;
    case CBP_T_TSTRV:
      {
        cbp_strv *v = AT (msg, f->offset, cbp_strv);
        size_t i;

        for (i = 0; i < v->n; i++)
          free (v->items[i]);
        free (v->items);
        v->items = NULL;
        v->n = 0;
      }
      break;
    case CBP_T_UINT:
    case CBP_T_INT:
    case CBP_T_BOOL:
    default:
      break;
    }
}

/* ---- pre-scan: declared sizes against the bytes left, before libcbor allocates ---- */

typedef struct
{
  uint64_t left;         /* items still to come in a definite container or tag */
  uint64_t seen;         /* items seen in an indefinite container */
  bool     indefinite;
  bool     is_map;
  int      chunk_major;  /* 2 or 3 inside an indefinite string, else -1 */
} scan_frame;

static bool
scan_head (const uint8_t *p, size_t len, size_t *pos, int *major, int *ai, uint64_t *value)
{
  size_t n, i;
  uint64_t v = 0;

  if (*pos >= len)
    return false;
  *major = p[*pos] >> 5;
  *ai = p[*pos] & 0x1f;
  (*pos)++;
  if (*ai < 24 || *ai == 31)
    {
      *value = *ai < 24 ? (uint64_t) *ai : 0;
      return true;
    }
  if (*ai > 27)
    return false;   /* reserved additional information */
  n = (size_t) 1 << (*ai - 24);
  if (len - *pos < n)
    return false;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[(*pos)++];
  *value = v;
  return true;
}

/* Well-formed UTF-8 as libcbor checks a text string: no overlong forms, no surrogates,
 * nothing past U+10FFFF. */
static bool
utf8_valid (const uint8_t *s, size_t len)
{
  size_t i = 0;

  while (i < len)
    {
      uint8_t c = s[i];
      size_t n;
      uint8_t lo = 0x80, hi = 0xbf;

      if (c < 0x80)
        {
          i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        n = 1;
      else if (c >= 0xe0 && c <= 0xef)
        {
          n = 2;
          if (c == 0xe0)
            lo = 0xa0;
          else if (c == 0xed)
            hi = 0x9f;
        }
      else if (c >= 0xf0 && c <= 0xf4)
        {
          n = 3;
          if (c == 0xf0)
            lo = 0x90;
          else if (c == 0xf4)
            hi = 0x8f;
        }
      else
        return false;
      if (len - i - 1 < n || s[i + 1] < lo || s[i + 1] > hi)
        return false;
      for (size_t k = 2; k <= n; k++)
        if (s[i + k] < 0x80 || s[i + k] > 0xbf)
          return false;
      i += n + 1;
    }
  return true;
}

static bool
scan_push (scan_frame *stack, size_t *depth, uint64_t left, bool indefinite, bool is_map,
           int chunk_major)
{
  if (*depth >= CBP_CBOR_MAX_DEPTH)
    return false;
  stack[*depth].left = left;
  stack[*depth].seen = 0;
  stack[*depth].indefinite = indefinite;
  stack[*depth].is_map = is_map;
  stack[*depth].chunk_major = chunk_major;
  (*depth)++;
  return true;
}

/* Walks the one item that starts at *pos, leaving *pos just past it. */
static int
scan_item (const uint8_t *cbor, size_t len, size_t *pos_inout)
{
  scan_frame stack[CBP_CBOR_MAX_DEPTH];
  size_t depth = 0, pos = *pos_inout;

  do
    {
      scan_frame *top = depth > 0 ? &stack[depth - 1] : NULL;
      uint64_t value, left;
      int major, ai;

      if (!scan_head (cbor, len, &pos, &major, &ai, &value))
        return CBP_ERR_CBOR;
      left = (uint64_t) (len - pos);

      if (major == 7 && ai == 31)
        {
          /* "break" closes the innermost indefinite container or string */
          if (top == NULL || !top->indefinite || (top->is_map && top->seen % 2 != 0))
            return CBP_ERR_CBOR;
          depth--;
        }
      else if (top != NULL && top->chunk_major >= 0 && (major != top->chunk_major || ai == 31))
        return CBP_ERR_CBOR;   /* an indefinite string holds definite strings of its type */
      else
        switch (major)
          {
          case 0:
          case 1:
            if (ai == 31)
              return CBP_ERR_CBOR;
            break;
          case 2:
          case 3:
            if (ai == 31)
              {
                if (!scan_push (stack, &depth, 0, true, false, major))
                  return CBP_ERR_CBOR;
                continue;
              }
            if (value > left)
              return CBP_ERR_CBOR;
            if (major == 3 && !utf8_valid (cbor + pos, (size_t) value))
              return CBP_ERR_CBOR;
            pos += (size_t) value;
            break;
          case 4:
          case 5:
            if (ai == 31)
              {
                if (!scan_push (stack, &depth, 0, true, major == 5, -1))
                  return CBP_ERR_CBOR;
                continue;
              }
            /* every item takes at least one byte */
            if (major == 5 ? value > left / 2 : value > left)
              return CBP_ERR_CBOR;
            if (value > 0)
              {
                if (!scan_push (stack, &depth, major == 5 ? value * 2 : value, false, false, -1))
                  return CBP_ERR_CBOR;
                continue;
              }
            break;
          case 6:
            /* libcbor refuses the one-byte tag numbers 6 to 20 (unassigned when it was written) */
            if ((ai >= 6 && ai <= 20) || ai == 31 || !scan_push (stack, &depth, 1, false, false, -1))
              return CBP_ERR_CBOR;
            continue;
          default:   /* 7: simple values and floats; their bytes were read with the head */
            /* libcbor refuses the unassigned simple values and the one-byte form */
            if (ai < 20 || ai == 24)
              return CBP_ERR_CBOR;
            break;
          }

      /* One item is complete: count it in the containers it closes. */
      while (depth > 0)
        {
          top = &stack[depth - 1];
          if (top->indefinite)
            {
              top->seen++;
              break;
            }
          if (--top->left > 0)
            break;
          depth--;
        }
    }
  while (depth > 0);

  *pos_inout = pos;
  return CBP_OK;
}

int
cbp_cbor_check (const uint8_t *cbor, size_t len)
{
  size_t pos = 0;

  if (cbor == NULL || len == 0)
    return CBP_ERR_CBOR;
  if (scan_item (cbor, len, &pos) != CBP_OK)
    return CBP_ERR_CBOR;
  return pos == len ? CBP_OK : CBP_ERR_CBOR;
}

int
cbp_cbor_item_end (const uint8_t *cbor, size_t len, size_t *pos)
{
  if (cbor == NULL || pos == NULL || *pos >= len)
    return CBP_ERR_CBOR;
  return scan_item (cbor, len, pos);
}

bool
cbp_cbor_head (const uint8_t *cbor, size_t len, size_t *pos, int *major, int *ai,
               uint64_t *value)
{
  return cbor != NULL && scan_head (cbor, len, pos, major, ai, value);
}

/* ---- reading a checked item in place ---- */

/* The pairs of a map that cbp_cbor_check() accepted, read where they lie: no allocation. */
typedef struct
{
  const uint8_t *cbor;
  size_t         len;
  size_t         pos;
  uint64_t       left;        /* pairs still to come in a definite map */
  bool           indefinite;
} map_reader;

static bool
map_reader_init (map_reader *r, const uint8_t *cbor, size_t len, size_t pos)
{
  int major, ai;
  uint64_t value;

  if (!scan_head (cbor, len, &pos, &major, &ai, &value) || major != 5)
    return false;
  r->cbor = cbor;
  r->len = len;
  r->pos = pos;
  r->left = value;
  r->indefinite = ai == 31;
  return true;
}

/* The next pair's key and value offsets; false at the map's end. */
static bool
map_reader_next (map_reader *r, size_t *key, size_t *value)
{
  if (r->indefinite ? r->pos >= r->len || r->cbor[r->pos] == 0xff : r->left == 0)
    return false;
  *key = r->pos;
  if (scan_item (r->cbor, r->len, &r->pos) != CBP_OK)
    return false;
  *value = r->pos;
  if (scan_item (r->cbor, r->len, &r->pos) != CBP_OK)
    return false;
  if (!r->indefinite)
    r->left--;
  return true;
}

/* Whether the item at pos is a text string equal to name, definite or in chunks. */
static bool
text_equals (const uint8_t *cbor, size_t len, size_t pos, const char *name)
{
  size_t name_len = strlen (name), matched = 0;
  int major, ai;
  uint64_t value;

  if (!scan_head (cbor, len, &pos, &major, &ai, &value) || major != 3)
    return false;
  if (ai != 31)
    return value == name_len && memcmp (cbor + pos, name, name_len) == 0;

  /* checked: definite text chunks up to a break */
  while (pos < len && cbor[pos] != 0xff)
    {
      if (!scan_head (cbor, len, &pos, &major, &ai, &value) || value > name_len - matched ||
          memcmp (cbor + pos, name + matched, (size_t) value) != 0)
        return false;
      matched += (size_t) value;
      pos += (size_t) value;
    }
  return matched == name_len;
}

/* The first pair of the map at pos keyed name whose value is an unsigned integer. */
static bool
map_find_uint (const uint8_t *cbor, size_t len, size_t pos, const char *name, uint64_t *out)
{
  map_reader r;
  size_t key, value;

  if (!map_reader_init (&r, cbor, len, pos))
    return false;
  while (map_reader_next (&r, &key, &value))
    {
      int major, ai;
      uint64_t v;

      if (text_equals (cbor, len, key, name) &&
          scan_head (cbor, len, &value, &major, &ai, &v) && major == 0)
        {
          *out = v;
          return true;
        }
    }
  return false;
}

void
cbp_msg_clear (const cbp_field *fields, size_t n_fields, void *msg)
{
  size_t i;

  if (msg == NULL)
    return;
  for (i = 0; i < n_fields; i++)
    {
      clear_field (&fields[i], msg);
      if (fields[i].type == CBP_T_UINT)
        *AT (msg, fields[i].offset, uint64_t) = 0;
      else if (fields[i].type == CBP_T_INT)
        *AT (msg, fields[i].offset, int64_t) = 0;
      else if (fields[i].type == CBP_T_BOOL)
        *AT (msg, fields[i].offset, bool) = false;
      if (fields[i].has_offset != CBP_NO_HAS)
        *AT (msg, fields[i].has_offset, bool) = false;
    }
}

int
cbp_request_encode (const cbp_command *cmd, const void *req, uint8_t **out, size_t *out_len)
{
  if (cmd == NULL)
    return CBP_ERR_ARG;
  return cbp_msg_encode (cmd->req_fields, cmd->n_req_fields, req, out, out_len);
}

int
cbp_request_decode (const cbp_command *cmd, const uint8_t *cbor, size_t len, void *req)
{
  if (cmd == NULL)
    return CBP_ERR_ARG;
  if (req != NULL)
    memset (req, 0, cmd->req_size);
  return cbp_msg_decode (cmd->req_fields, cmd->n_req_fields, cbor, len, req);
}

void
cbp_request_clear (const cbp_command *cmd, void *req)
{
  if (cmd != NULL)
    cbp_msg_clear (cmd->req_fields, cmd->n_req_fields, req);
}

int
cbp_response_encode (const cbp_command *cmd, const void *rsp, uint8_t **out, size_t *out_len)
{
  if (cmd == NULL)
    return CBP_ERR_ARG;
  return cbp_msg_encode (cmd->rsp_fields, cmd->n_rsp_fields, rsp, out, out_len);
}

int
cbp_response_decode (const cbp_command *cmd, const uint8_t *cbor, size_t len, void *rsp)
{
  if (cmd == NULL)
    return CBP_ERR_ARG;
  if (rsp != NULL)
    memset (rsp, 0, cmd->rsp_size);
  return cbp_msg_decode (cmd->rsp_fields, cmd->n_rsp_fields, cbor, len, rsp);
}

void
cbp_response_clear (const cbp_command *cmd, void *rsp)
{
  if (cmd != NULL)
    cbp_msg_clear (cmd->rsp_fields, cmd->n_rsp_fields, rsp);
}

/* A string (major 2 or 3, definite or in chunks) that the pre-scan accepted, copied out with
 * a NUL after it: malloc'd. */
static uint8_t *
copy_string_at (const uint8_t *cbor, size_t len, size_t pos, size_t *len_out)
{
  int major, ai;
  uint64_t value;
  size_t total = 0, p;
  uint8_t *buf;

  if (!scan_head (cbor, len, &pos, &major, &ai, &value))
    return NULL;
  if (ai != 31)
    {
      buf = malloc ((size_t) value + 1);
      if (buf == NULL)
        return NULL;
      if (value > 0)
        memcpy (buf, cbor + pos, (size_t) value);
      buf[value] = 0;
      *len_out = (size_t) value;
      return buf;
    }

  for (p = pos; p < len && cbor[p] != 0xff; p += (size_t) value)
    {
      if (!scan_head (cbor, len, &p, &major, &ai, &value))
        return NULL;
      total += (size_t) value;
    }
  buf = malloc (total + 1);
  if (buf == NULL)
    return NULL;
  total = 0;
  for (p = pos; p < len && cbor[p] != 0xff; p += (size_t) value)
    {
      if (!scan_head (cbor, len, &p, &major, &ai, &value))
        {
          free (buf);
          return NULL;
        }
      if (value > 0)
        memcpy (buf + total, cbor + p, (size_t) value);
      total += (size_t) value;
    }
  buf[total] = 0;
  *len_out = total;
  return buf;
}

/* A field's value read where it lies (the pre-scan accepted it). */
static int
read_value_at (const cbp_field *f, const uint8_t *cbor, size_t len, size_t pos, void *msg)
{
  size_t at = pos;
  int major, ai;
  uint64_t value;

  /* Duplicate keys: the last one wins, without leaking the earlier one. */
  clear_field (f, msg);

  if (!scan_head (cbor, len, &at, &major, &ai, &value))
    return CBP_ERR_CBOR;

  switch (f->type)
    {
    case CBP_T_UINT:
      if (major != 0)
        return CBP_ERR_TYPE;
      *AT (msg, f->offset, uint64_t) = value;
      return CBP_OK;

    case CBP_T_INT:
      if ((major != 0 && major != 1) || value > (uint64_t) INT64_MAX)
        return CBP_ERR_TYPE;
      *AT (msg, f->offset, int64_t) = major == 0 ? (int64_t) value : -1 - (int64_t) value;
      return CBP_OK;

    case CBP_T_BOOL:
      if (major != 7 || (ai != 20 && ai != 21))
        return CBP_ERR_TYPE;
      *AT (msg, f->offset, bool) = ai == 21;
      return CBP_OK;

    case CBP_T_TSTR:
      {
        size_t n;
        uint8_t *s;

        if (major != 3)
          return CBP_ERR_TYPE;
        s = copy_string_at (cbor, len, pos, &n);
        if (s == NULL)
          return CBP_ERR_NOMEM;
        /* An embedded NUL would make the C string lie about its content. */
        if (memchr (s, 0, n) != NULL)
          {
            free (s);
            return CBP_ERR_TYPE;
          }
        *AT (msg, f->offset, char *) = (char *) s;
        return CBP_OK;
      }

    case CBP_T_BSTR:
      {
        cbp_bytes *b = AT (msg, f->offset, cbp_bytes);

        if (major != 2)
          return CBP_ERR_TYPE;
        b->data = copy_string_at (cbor, len, pos, &b->len);
        return b->data != NULL ? CBP_OK : CBP_ERR_NOMEM;
      }

    case CBP_T_TSTRV:
      {
        cbp_strv *v = AT (msg, f->offset, cbp_strv);
        size_t i, n = 0, p;

        if (major != 4)
          return CBP_ERR_TYPE;
        if (ai != 31)
          n = (size_t) value;
        else
          for (p = at; p < len && cbor[p] != 0xff; n++)
            if (scan_item (cbor, len, &p) != CBP_OK)
              return CBP_ERR_CBOR;
        v->items = calloc (n + 1, sizeof (char *));
        if (v->items == NULL)
          return CBP_ERR_NOMEM;
        for (i = 0, p = at; i < n; i++)
          {
            size_t item = p, item_len;
            int item_major, item_ai;
            uint64_t item_value;

            if (!scan_head (cbor, len, &item, &item_major, &item_ai, &item_value) ||
                item_major != 3)
              return CBP_ERR_TYPE;
            v->items[i] = (char *) copy_string_at (cbor, len, p, &item_len);
            if (v->items[i] == NULL)
              return CBP_ERR_NOMEM;
            v->n = i + 1;
            if (scan_item (cbor, len, &p) != CBP_OK)
              return CBP_ERR_CBOR;
          }
        return CBP_OK;
      }

    default:
      return CBP_ERR_ARG;
    }
}

int
cbp_msg_decode (const cbp_field *fields,
                size_t           n_fields,
                const uint8_t   *cbor,
                size_t           len,
                void            *msg)
{
  map_reader top;
  size_t i;
  int ret;

  if (n_fields > 0 && (fields == NULL || msg == NULL))
    return CBP_ERR_ARG;

  /* Read where it lies after the pre-scan: no libcbor tree, which copied every string (a
   * certificate chunk) once into the tree and once more into the message. */
  if (cbor == NULL || len == 0 || cbp_cbor_check (cbor, len) != CBP_OK)
    return CBP_ERR_CBOR;
  if (!map_reader_init (&top, cbor, len, 0))
    return CBP_ERR_NOT_MAP;

  for (i = 0; i < n_fields; i++)
    {
      const cbp_field *f = &fields[i];
      map_reader r = top;
      size_t key, value;
      bool found = false;

      while (map_reader_next (&r, &key, &value))
        {
          if (!text_equals (cbor, len, key, f->key))
            continue;
          ret = read_value_at (f, cbor, len, value, msg);
          if (ret != CBP_OK)
            goto fail;
          found = true;
        }
      if (found && f->has_offset != CBP_NO_HAS)
        *AT (msg, f->has_offset, bool) = true;
      if (!found && !f->optional)
        {
          ret = CBP_ERR_MISSING;
          goto fail;
        }
    }
  return CBP_OK;

fail:
  cbp_msg_clear (fields, n_fields, msg);
  return ret;
}

/* ---- errors ---- */

/* Every answer is looked at for an error before its command's decoder reads it: walked in
 * place (after the same pre-scan the decoders run), not built as a libcbor tree, which for a
 * certificate chunk would copy the chunk to learn that it carries no "rc". */
int
cbp_error_decode (const uint8_t *cbor, size_t len, cbp_error *err)
{
  map_reader top;
  size_t key, value;
  uint64_t v;

  if (err == NULL)
    return CBP_ERR_ARG;
  memset (err, 0, sizeof *err);

  if (cbor == NULL || len == 0 || cbp_cbor_check (cbor, len) != CBP_OK)
    return CBP_ERR_CBOR;
  if (!map_reader_init (&top, cbor, len, 0))
    return CBP_ERR_NOT_MAP;

  while (map_reader_next (&top, &key, &value))
    {
      uint64_t group, rc;

      if (!text_equals (cbor, len, key, "err"))
        continue;
      if (map_find_uint (cbor, len, value, "group", &group) &&
          map_find_uint (cbor, len, value, "rc", &rc) && rc != 0)
        {
          err->kind = CBP_ERROR_GROUP;
          err->group = (uint16_t) group;
          err->rc = rc > INT_MAX ? INT_MAX : (int) rc;
          return CBP_OK;
        }
    }

  if (map_find_uint (cbor, len, 0, "rc", &v) && v != 0)
    {
      err->kind = CBP_ERROR_GENERIC;
      err->rc = v > INT_MAX ? INT_MAX : (int) v;
    }
  return CBP_OK;
}

int
cbp_error_encode_rc (int rc, uint8_t **out, size_t *out_len)
{
  cbor_item_t *map;
  int ret;

  if (out == NULL || out_len == NULL || rc < 0)
    return CBP_ERR_ARG;
  map = cbor_new_definite_map (1);
  if (map == NULL)
    return CBP_ERR_NOMEM;
  if (!map_add (map, cbor_build_string ("rc"), build_uint ((uint64_t) rc)))
    {
      cbor_decref (&map);
      return CBP_ERR_NOMEM;
    }
  ret = serialize (map, out, out_len);
  cbor_decref (&map);
  return ret;
}

int
cbp_error_encode_group (uint16_t group, int rc, uint8_t **out, size_t *out_len)
{
  cbor_item_t *map, *inner;
  int ret;

  if (out == NULL || out_len == NULL || rc < 0)
    return CBP_ERR_ARG;
  inner = cbor_new_definite_map (2);
  if (inner == NULL)
    return CBP_ERR_NOMEM;
  if (!map_add (inner, cbor_build_string ("group"), build_uint (group)) ||
      !map_add (inner, cbor_build_string ("rc"), build_uint ((uint64_t) rc)))
    {
      cbor_decref (&inner);
      return CBP_ERR_NOMEM;
    }
  map = cbor_new_definite_map (1);
  if (map == NULL)
    {
      cbor_decref (&inner);
      return CBP_ERR_NOMEM;
    }
  if (!map_add (map, cbor_build_string ("err"), inner))
    {
      cbor_decref (&map);
      return CBP_ERR_NOMEM;
    }
  ret = serialize (map, out, out_len);
  cbor_decref (&map);
  return ret;
}
