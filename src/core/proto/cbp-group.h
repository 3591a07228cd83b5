/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Certbench bench group (docs/bench-protocol.md, section 4) and the OS group commands it
 * uses: command table, rc codes and CBOR encode/decode of every request and response.
 * Plain C11 + libcbor, no GLib.
 *
 * Messages are plain structs described by field tables (cbp_field), so one generic codec
 * serves all of them and the tables can be compared with bench-group.json.
 *
 * Presence of optional fields: tstr (char *) and tstr arrays are absent when NULL; bstr
 * (cbp_bytes) is absent when .data is NULL; uint/int/bool carry a has_<name> flag.
 * Structs filled by a decode own their memory: release them with cbp_msg_clear(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CBP_GROUP_DEFAULT   64
#define CBP_PROTO_VERSION   1
#define CBP_SHA256_LEN      32
#define CBP_CHALLENGE_LEN   32
/* pop signs CBP_POP_PREFIX (16 ASCII bytes) + one 0x00 byte + the 32-byte challenge. */
#define CBP_POP_PREFIX      "certbench-pop-v1"
#define CBP_POP_PREFIX_LEN  17   /* including the 0x00 */
#define CBP_CN_MAX          64
#define CBP_KEY_TYPE_P256   "p256"
#define CBP_KEY_TYPE_P384   "p384"
#define CBP_DPS_ENDPOINT_DEFAULT "global.azure-devices-provisioning.net"
#define CBP_BUF_SIZE_MIN    640

/* OS group command ids */
#define CBP_OS_ECHO          0
#define CBP_OS_MCUMGR_PARAMS 6

/* Bench group command ids */
typedef enum
{
  CBP_CMD_INFO = 0,
  CBP_CMD_KEYGEN = 1,
  CBP_CMD_CSR = 2,
  CBP_CMD_CERT_PUT = 3,
  CBP_CMD_CERT_COMMIT = 4,
  CBP_CMD_CERT_GET = 5,
  CBP_CMD_POP = 6,
  CBP_CMD_DPS_CONFIG = 7,
  CBP_CMD_DPS_REGISTER = 8,
  CBP_CMD_DPS_STATUS = 9,
  CBP_CMD_DIAG = 10,
  CBP_CMD_HUB_CONFIG = 11,
  CBP_CMD_COUNT
} cbp_cmd;

/* Bench group rc codes, sent as {"err": {"group": G, "rc": RC}} in SMP v2. */
typedef enum
{
  CBP_RC_OK = 0,
  CBP_RC_UNKNOWN = 1,
  CBP_RC_NO_KEY = 2,
  CBP_RC_KEY_EXISTS = 3,
  CBP_RC_KEY_TYPE = 4,
  CBP_RC_BAD_SUBJECT = 5,
  CBP_RC_TOO_LARGE = 6,
  CBP_RC_HASH_MISMATCH = 7,
  CBP_RC_STAGING_EMPTY = 8,
  CBP_RC_CHAIN_INVALID = 9,
  CBP_RC_KEY_MISMATCH = 10,
  CBP_RC_COMMIT_REFUSED = 11,
  CBP_RC_NO_CERT = 12,
  CBP_RC_BAD_CHALLENGE = 13,
  CBP_RC_DPS_NOT_CONFIGURED = 14,
  CBP_RC_DPS_BUSY = 15,
  CBP_RC_DPS_FAILED = 16,
  CBP_RC_STORAGE = 17,
  CBP_RC_CRYPTO = 18,
  CBP_RC_NOT_SUPPORTED = 19,
  CBP_RC_COUNT
} cbp_rc;

typedef struct
{
  int         rc;
  const char *name;      /* "no_key" */
  const char *meaning;   /* one line for humans */
  int         v1_rc;     /* generic SMP code used when answering a v1 request */
} cbp_rc_info;

const cbp_rc_info *cbp_rc_table  (size_t *n);
const char        *cbp_rc_name   (int rc);    /* "?" when unknown */
int                cbp_rc_to_v1  (int rc);

/* ---- codec status ---- */
typedef enum
{
  CBP_OK = 0,
  CBP_ERR_NOMEM = -1,
  CBP_ERR_CBOR = -2,      /* not well-formed CBOR */
  CBP_ERR_NOT_MAP = -3,   /* top level is not a map */
  CBP_ERR_MISSING = -4,   /* a required key is absent */
  CBP_ERR_TYPE = -5,      /* a key has the wrong CBOR type */
  CBP_ERR_ARG = -6,       /* bad arguments (unknown command, NULL) */
} cbp_status;

/* ---- field tables ---- */
typedef enum
{
  CBP_T_UINT,   /* uint64_t */
  CBP_T_INT,    /* int64_t */
  CBP_T_BOOL,   /* bool */
  CBP_T_TSTR,   /* char * */
  CBP_T_BSTR,   /* cbp_bytes */
  CBP_T_TSTRV,  /* cbp_strv: array of tstr */
} cbp_type;

const char *cbp_type_name (cbp_type type);  /* "uint", "int", "bool", "tstr", "bstr", "array" */

typedef struct
{
  uint8_t *data;
  size_t   len;
} cbp_bytes;

typedef struct
{
  char  **items;
  size_t  n;
} cbp_strv;

#define CBP_NO_HAS ((size_t) -1)

typedef struct
{
  const char *key;
  cbp_type    type;
  bool        optional;
  size_t      offset;       /* of the value in the message struct */
  size_t      has_offset;   /* of the bool has_ flag (optional uint/int/bool), else CBP_NO_HAS */
} cbp_field;

typedef struct
{
  const char      *name;         /* "cert_put" */
  uint16_t         group;        /* CBP_GROUP_OS, or CBP_GROUP_DEFAULT for the bench group */
  uint8_t          id;
  uint8_t          op;           /* CBP_OP_READ or CBP_OP_WRITE */
  uint32_t         timeout_ms;
  bool             idempotent;
  const cbp_field *req_fields;
  size_t           n_req_fields;
  size_t           req_size;     /* sizeof the request struct */
  const cbp_field *rsp_fields;
  size_t           n_rsp_fields;
  size_t           rsp_size;
} cbp_command;

/* Bench group commands, indexed by cbp_cmd. */
const cbp_command *cbp_group_commands      (size_t *n);
const cbp_command *cbp_group_command       (uint8_t id);          /* NULL if unknown */
const cbp_command *cbp_group_command_by_name (const char *name);
/* OS group: echo and mcumgr_params. */
const cbp_command *cbp_os_commands         (size_t *n);
const cbp_command *cbp_os_command          (uint8_t id);          /* NULL if unknown */

/* Generic codec. encode: *out is malloc'd (free()). decode: msg must be zero-initialised (the
 * cbp_request_/cbp_response_ shorthands do it); unknown keys are ignored; on error msg is
 * cleared. clear: frees what decode allocated and zeroes the fields. */
/* Deepest nesting of arrays, maps and tags a bench message may have (they use 2). */
#define CBP_CBOR_MAX_DEPTH 16

/* Walks the item headers of one CBOR data item without allocating: every declared length
 * (array and map counts, byte and text string lengths, indefinite chunks) must fit in the
 * bytes left, nesting stays within CBP_CBOR_MAX_DEPTH and the item ends exactly at len.
 * CBP_OK or CBP_ERR_CBOR. The decoders run it before libcbor, which allocates what a header
 * declares: 8 bytes announcing 2^28 items would otherwise cost 2 GB. */
int  cbp_cbor_check (const uint8_t *cbor, size_t len);

/* Reading CBOR in place, by the same rules (the protocol log's summaries). cbp_cbor_item_end:
 * checks the one item at *pos as cbp_cbor_check does, except that bytes may follow it, and
 * moves *pos past it; CBP_OK or CBP_ERR_CBOR. cbp_cbor_head: one item's head at *pos (its
 * major type, additional information and argument; for an indefinite item ai is 31 and the
 * argument 0), moving *pos past the head; false when the bytes end first. */
int  cbp_cbor_item_end (const uint8_t *cbor, size_t len, size_t *pos);
bool cbp_cbor_head     (const uint8_t *cbor, size_t len, size_t *pos, int *major, int *ai,
                        uint64_t *value);

int  cbp_msg_encode (const cbp_field *fields, size_t n_fields, const void *msg,
                     uint8_t **out, size_t *out_len);
int  cbp_msg_decode (const cbp_field *fields, size_t n_fields, const uint8_t *cbor, size_t len,
                     void *msg);
void cbp_msg_clear  (const cbp_field *fields, size_t n_fields, void *msg);

/* Shorthands over a command's tables. */
int  cbp_request_encode  (const cbp_command *cmd, const void *req, uint8_t **out, size_t *out_len);
int  cbp_request_decode  (const cbp_command *cmd, const uint8_t *cbor, size_t len, void *req);
void cbp_request_clear   (const cbp_command *cmd, void *req);
int  cbp_response_encode (const cbp_command *cmd, const void *rsp, uint8_t **out, size_t *out_len);
int  cbp_response_decode (const cbp_command *cmd, const uint8_t *cbor, size_t len, void *rsp);
void cbp_response_clear  (const cbp_command *cmd, void *rsp);

/* ---- errors in responses ---- */
typedef enum
{
  CBP_ERROR_NONE = 0,     /* a success payload */
  CBP_ERROR_GENERIC,      /* {"rc": N}, N != 0 (both versions) */
  CBP_ERROR_GROUP,        /* {"err": {"group": G, "rc": RC}} (v2) */
} cbp_error_kind;

typedef struct
{
  cbp_error_kind kind;
  uint16_t       group;   /* GROUP only */
  int            rc;
} cbp_error;

/* Looks at a response payload. Returns CBP_OK (err->kind tells if it is an error) or a
 * cbp_status for a payload that is not a CBOR map. */
int cbp_error_decode      (const uint8_t *cbor, size_t len, cbp_error *err);
int cbp_error_encode_rc   (int rc, uint8_t **out, size_t *out_len);               /* {"rc": rc} */
int cbp_error_encode_group (uint16_t group, int rc, uint8_t **out, size_t *out_len);

/* ---- message structs ---- */
typedef struct { int unused_; } cbp_empty;   /* {} */

/* OS group */
typedef struct { char *d; } cbp_os_echo_req;
typedef struct { char *r; } cbp_os_echo_rsp;
typedef struct { uint64_t buf_size; uint64_t buf_count; } cbp_os_params_rsp;

/* 0 info: request cbp_empty */
typedef struct
{
  char     *serial;
  char     *model;
  char     *fw;
  uint64_t  proto;
  cbp_strv  key_types;
  char     *key;            /* opt */
  bool      next_key;
  uint64_t  frame_size;
  uint64_t  buf_size;
  uint64_t  slot_size;
  uint64_t  slots;
  bool      active;
  uint64_t  staged;
} cbp_info_rsp;

/* 1 keygen */
typedef struct
{
  char *type;               /* opt, default "p256" */
  bool  replace;            /* opt */
  bool  has_replace;
} cbp_keygen_req;
typedef struct
{
  char      *type;
  bool       created;
  cbp_bytes  pub;
} cbp_keygen_rsp;

/* 2 csr */
typedef struct { char *cn; } cbp_csr_req;
typedef struct { cbp_bytes csr; } cbp_csr_rsp;

/* 3 cert_put */
typedef struct
{
  uint64_t  off;
  uint64_t  len;            /* opt (required when off == 0) */
  bool      has_len;
  cbp_bytes sha;            /* opt (required when off == 0) */
  cbp_bytes data;
} cbp_cert_put_req;
typedef struct
{
  uint64_t off;
  bool     done;
} cbp_cert_put_rsp;

/* 4 cert_commit */
typedef struct { cbp_bytes sha; } cbp_cert_commit_req;
typedef struct
{
  cbp_bytes sha;
  int64_t   not_before;
  int64_t   not_after;
} cbp_cert_commit_rsp;

/* 5 cert_get */
typedef struct
{
  uint64_t  off;
  char     *slot;           /* opt: "active" (default) or "staging" */
  uint64_t  max;            /* opt */
  bool      has_max;
} cbp_cert_get_req;
typedef struct
{
  uint64_t  off;
  uint64_t  len;
  cbp_bytes sha;
  cbp_bytes data;
} cbp_cert_get_rsp;

/* 6 pop */
typedef struct { cbp_bytes challenge; } cbp_pop_req;
typedef struct
{
  cbp_bytes  sig;
  cbp_bytes  pub;
  char      *alg;
} cbp_pop_rsp;

/* 7 dps_config: response cbp_empty */
typedef struct
{
  char *scope;
  char *reg_id;
  char *key;
  char *endpoint;           /* opt: "mqtts://host[:port]" (MQTT, 8883 by default) or
                             * "https://host[:port][/path]" (REST); default: MQTT to
                             * CBP_DPS_ENDPOINT_DEFAULT */
  char *ca_path;            /* opt */
} cbp_dps_config_req;

/* 8 dps_register: request cbp_empty */
typedef struct { char *state; } cbp_dps_register_rsp;

/* 9 dps_status: request cbp_empty */
typedef struct
{
  char      *state;
  char      *scope;         /* opt */
  char      *reg_id;        /* opt */
  char      *endpoint;      /* opt */
  char      *hub;           /* opt */
  char      *device_id;     /* opt */
  cbp_bytes  sha;           /* opt */
  char      *error;         /* opt */
} cbp_dps_status_rsp;

/* 10 diag: request cbp_empty */
typedef struct
{
  int64_t   time;
  uint64_t  uptime;
  char     *tls_err;        /* opt */
  char     *dps_err;        /* opt */
  int64_t   not_before;     /* opt */
  bool      has_not_before;
  int64_t   not_after;      /* opt */
  bool      has_not_after;
  int64_t   renew_at;       /* opt */
  bool      has_renew_at;
  char     *hub;            /* opt: configured hub host */
  char     *hub_state;      /* opt (always sent by this device): CBP_HUB_STATE_* */
  char     *hub_err;        /* opt */
  int64_t   hub_time;       /* opt: device clock when hub_state last changed */
  bool      has_hub_time;
  char     *renew_state;    /* opt: CBP_RENEW_STATE_* */
  char     *renew_err;      /* opt */
  int64_t   renew_time;     /* opt */
  bool      has_renew_time;
} cbp_diag_rsp;

/* 11 hub_config: response cbp_empty */
typedef struct
{
  char *host;
  char *device_id;
  char *endpoint;           /* opt: "host:port" instead of host:8883 */
  char *ca_path;            /* opt: PEM CA file to pin */
} cbp_hub_config_req;

#define CBP_HUB_STATE_OFF          "off"
#define CBP_HUB_STATE_CONNECTING   "connecting"
#define CBP_HUB_STATE_CONNECTED    "connected"
#define CBP_HUB_STATE_REFUSED      "refused"
#define CBP_HUB_STATE_UNREACHABLE  "unreachable"
#define CBP_HUB_STATE_DISCONNECTED "disconnected"

#define CBP_RENEW_STATE_REQUESTED    "requested"
#define CBP_RENEW_STATE_RENEWED      "renewed"
#define CBP_RENEW_STATE_FAILED       "failed"
#define CBP_RENEW_STATE_REREGISTERED "reregistered"

#define CBP_DPS_STATE_IDLE     "idle"
#define CBP_DPS_STATE_RUNNING  "running"
#define CBP_DPS_STATE_ASSIGNED "assigned"
#define CBP_DPS_STATE_FAILED   "failed"

#ifdef __cplusplus
}
#endif
