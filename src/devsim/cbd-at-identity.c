/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Who the simulated nRF91 modem is and the keys it makes, as the nRF91 AT command reference
 * describes the commands: +CGSN (the IMEI, a Luhn-checked 15 digits), +CGMI/+CGMM/+CGMR,
 * %XMODEMUUID (the UUID of the modem firmware build: the same on every modem running that
 * firmware), %DEVICEUUID (the device's own UUID), %ATTESTTOKEN, and %KEYGEN, which makes an
 * EC P-256 client key in a security tag, never lets it out, and answers
 * "Base64Url(CSR DER).Base64Url(COSE_Sign1)". The COSE object is shaped as Nordic's
 * nrfcloud-utils parse it: protected header {alg: ES256}, a payload of [payload id, device
 * UUID, sec_tag, SHA-256 of the CSR, nonce], signed by the device's identity key, which here
 * is a P-256 key in the state directory (a real modem's is in its hardware). */
#define G_LOG_DOMAIN "cbd-at"

#include "config.h"

#include <cbor.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "cb-pki.h"
#include "cbd-at-cmng.h"
#include "cbd-at-identity.h"

#define FW_REVISION      "mfw_nrf9160_1.3.6"
#define FW_BUILD_UUID    "7b2f1d0e-4c6a-4e8b-9f3d-2a5c8e1b6d40"
#define DEVICE_TYPE      2           /* "nRF9160 SIBA" in nrfcloud-utils' table */
#define PAYLOAD_PUBKEY   8
#define PAYLOAD_CSR      9
#define IDENTITY_FILE    "at-identity"
#define IDENTITY_KEY     "at-identity-key"

struct _CbdAtIdentity
{
  char   *imei;
  char   *device_uuid;
  guint8  device_uuid_bin[16];
  CbKey  *key;
};

/* ---- identity ---- */

static char
luhn_digit (const char *digits14)
{
  int sum = 0, i;

  for (i = 0; i < 14; i++)
    {
      int d = digits14[i] - '0';

      if (i % 2 == 1)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }
  return (char) ('0' + (10 - sum % 10) % 10);
}

static gboolean
uuid_to_bin (const char *uuid, guint8 out[16])
{
  gsize n = 0;
  const char *p;

  for (p = uuid; *p != '\0'; p++)
    {
      if (*p == '-')
        continue;
      if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1]) || n == 16)
        return FALSE;
      out[n++] = (guint8) (g_ascii_xdigit_value (p[0]) << 4 | g_ascii_xdigit_value (p[1]));
      p++;
    }
  return n == 16;
}

static gboolean
load_blob (CbdStorage *storage, const char *name, char **out)
{
  g_autoptr(GBytes) bytes = cbd_at_storage_load (storage, name);
  gsize len;
  const char *data;

  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &len);
  *out = g_strndup (data, len);
  return TRUE;
}

static gboolean
save_text (CbdStorage *storage, const char *name, const char *text, GError **error)
{
  if (cbd_storage_save (storage, name, (const uint8_t *) text, strlen (text)) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "Cannot save %s in %s", name,
                   storage->dir);
      return FALSE;
    }
  return TRUE;
}

CbdAtIdentity *
cbd_at_identity_load (CbdStorage  *storage,
                      GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *text = NULL;
  g_autofree char *pem = NULL;
  CbdAtIdentity *id = g_new0 (CbdAtIdentity, 1);

  if (load_blob (storage, IDENTITY_FILE, &text) &&
      g_key_file_load_from_data (kf, text, (gsize) -1, G_KEY_FILE_NONE, NULL))
    {
      id->imei = g_key_file_get_string (kf, "modem", "imei", NULL);
      id->device_uuid = g_key_file_get_string (kf, "modem", "device-uuid", NULL);
    }
  if (id->imei == NULL || strlen (id->imei) != 15 || id->device_uuid == NULL ||
      !uuid_to_bin (id->device_uuid, id->device_uuid_bin))
    {
      /* A new modem: TAC 35265610 (as the reference's example), a random serial. */
      char digits[16];

      g_snprintf (digits, sizeof digits, "35265610%06u", g_random_int_range (0, 1000000));
      digits[14] = luhn_digit (digits);
      digits[15] = '\0';
      g_free (id->imei);
      g_free (id->device_uuid);
      id->imei = g_strdup (digits);
      id->device_uuid = g_uuid_string_random ();
      uuid_to_bin (id->device_uuid, id->device_uuid_bin);
      g_key_file_set_string (kf, "modem", "imei", id->imei);
      g_key_file_set_string (kf, "modem", "device-uuid", id->device_uuid);
      g_free (text);
      text = g_key_file_to_data (kf, NULL, NULL);
      if (!save_text (storage, IDENTITY_FILE, text, error))
        {
          cbd_at_identity_free (id);
          return NULL;
        }
    }

  if (load_blob (storage, IDENTITY_KEY, &pem))
    id->key = cb_key_new_from_pem (pem, -1, NULL);
  if (id->key == NULL)
    {
      g_autofree char *fresh = NULL;

      id->key = cb_key_generate (CB_KEY_TYPE_EC_P256, error);
      if (id->key == NULL || (fresh = cb_key_to_pem (id->key, error)) == NULL ||
          !save_text (storage, IDENTITY_KEY, fresh, error))
        {
          if (fresh != NULL)
            explicit_bzero (fresh, strlen (fresh));
          cbd_at_identity_free (id);
          return NULL;
        }
      explicit_bzero (fresh, strlen (fresh));
    }
  if (pem != NULL)
    explicit_bzero (pem, strlen (pem));
  return id;
}

void
cbd_at_identity_free (CbdAtIdentity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->imei);
  g_free (identity->device_uuid);
  g_clear_pointer (&identity->key, cb_key_unref);
  g_free (identity);
}

/* ---- the simple identity commands ---- */

static gboolean
plain_exec (const CbdAtCommand *cmd)
{
  return cmd->op == CBD_AT_EXEC;
}

int
cbd_at_identity_cgsn (CbdAtContext       *ctx,
                      const CbdAtCommand *cmd)
{
  CbdAtIdentity *id = ctx->identity;
  CbdAtLine *line = ctx->line;
  gint64 snt = 0;

  if (cmd->op == CBD_AT_TEST)
    {
      cbd_at_line_send (line, "+CGSN: (0-3)");
      return CBD_AT_OK;
    }
  if (cmd->op == CBD_AT_READ ||
      (cmd->op == CBD_AT_SET && (cbd_at_command_n_params (cmd) != 1 ||
                                 !cbd_at_command_get_int (cmd, 0, 0, 3, &snt))))
    return CBD_AT_ERROR;
  switch (snt)
    {
    case 0:
      cbd_at_line_send (line, id->imei);
      break;
    case 1:
      cbd_at_line_sendf (line, "+CGSN: \"%s\"", id->imei);
      break;
    case 2:
      /* IMEISV: TAC and serial (14 digits), then the software version number. */
      cbd_at_line_sendf (line, "+CGSN: \"%.14s%s\"", id->imei, "12");
      break;
    default:
      cbd_at_line_send (line, "+CGSN: \"12\"");
      break;
    }
  return CBD_AT_OK;
}

/* +CGMI, +CGMM, +CGMR, %XMODEMUUID: one fixed line. */
int
cbd_at_identity_fixed (CbdAtContext       *ctx,
                       const CbdAtCommand *cmd)
{
  static const struct { const char *name; const char *line; } fixed[] = {
    { "+CGMI", "Nordic Semiconductor ASA" },
    { "+CGMM", "nRF9160-SICA" },
    { "+CGMR", FW_REVISION },
    { "%XMODEMUUID", "%XMODEMUUID: " FW_BUILD_UUID },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fixed) && plain_exec (cmd); i++)
    if (strcmp (cmd->name, fixed[i].name) == 0)
      {
        cbd_at_line_send (ctx->line, fixed[i].line);
        return CBD_AT_OK;
      }
  return CBD_AT_ERROR;
}

int
cbd_at_identity_deviceuuid (CbdAtContext       *ctx,
                            const CbdAtCommand *cmd)
{
  CbdAtIdentity *id = ctx->identity;

  if (!plain_exec (cmd))
    return CBD_AT_ERROR;
  cbd_at_line_sendf (ctx->line, "%%DEVICEUUID: %s", id->device_uuid);
  return CBD_AT_OK;
}

/* ---- CBOR, COSE and base64url ---- */

static char *
base64url (const guint8 *data, gsize len)
{
  char *s = g_base64_encode (data, len);
  char *p;

  for (p = s; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return s;
}

static GBytes *
cbor_to_bytes (cbor_item_t *item)
{
  unsigned char *buf = NULL;
  size_t size = 0;
  size_t len = cbor_serialize_alloc (item, &buf, &size);
  GBytes *bytes = g_bytes_new (buf, len);

  free (buf);
  return bytes;
}

static cbor_item_t *
cbor_bytes (GBytes *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  return cbor_build_bytestring (len > 0 ? data : (const guint8 *) "", len);
}

/* An integer in its shortest form, as COSE's deterministic encoding wants ({1: -7} is
 * A1 01 26). */
static cbor_item_t *
cbor_int (gint64 value)
{
  guint64 magnitude = value >= 0 ? (guint64) value : (guint64) (-1 - value);
  cbor_item_t *item;

  if (magnitude < 256)
    item = value >= 0 ? cbor_build_uint8 ((uint8_t) magnitude)
                      : cbor_build_negint8 ((uint8_t) magnitude);
  else if (magnitude < 65536)
    item = value >= 0 ? cbor_build_uint16 ((uint16_t) magnitude)
                      : cbor_build_negint16 ((uint16_t) magnitude);
  else
    item = value >= 0 ? cbor_build_uint32 ((uint32_t) magnitude)
                      : cbor_build_negint32 ((uint32_t) magnitude);
  return item;
}

static GBytes *
cbor_encoded_int (gint64 value)
{
  cbor_item_t *item = cbor_int (value);
  GBytes *bytes = cbor_to_bytes (item);

  cbor_decref (&item);
  return bytes;
}

/* The raw r || s (64 bytes) COSE wants, from the identity key's DER ECDSA signature. */
static GBytes *
sign_raw (CbKey *key, GBytes *message, GError **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (message, &len);
  g_autoptr(GBytes) der = cb_key_sign (key, data, len, error);
  gnutls_datum_t sig, r = { NULL, 0 }, s = { NULL, 0 };
  guint8 raw[64] = { 0 };

  if (der == NULL)
    return NULL;
  sig.data = (unsigned char *) g_bytes_get_data (der, &len);
  sig.size = (unsigned int) len;
  if (gnutls_decode_rs_value (&sig, &r, &s) < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Unreadable ECDSA signature");
      return NULL;
    }
  /* The integers may carry a leading zero or be short: right-align each in 32 bytes. */
  memcpy (raw + 32 - MIN (r.size, 32u), r.data + (r.size > 32 ? r.size - 32 : 0), MIN (r.size, 32u));
  memcpy (raw + 64 - MIN (s.size, 32u), s.data + (s.size > 32 ? s.size - 32 : 0), MIN (s.size, 32u));
  gnutls_free (r.data);
  gnutls_free (s.data);
  return g_bytes_new (raw, sizeof raw);
}

/* COSE_Sign1 (tag 18) over payload (NULL: detached, signing detached instead). */
static GBytes *
cose_sign1 (CbKey *key, GBytes *payload, GBytes *detached, GError **error)
{
  cbor_item_t *prot_map = cbor_new_definite_map (1);
  cbor_item_t *unprot = cbor_new_definite_map (1);
  cbor_item_t *sig_structure = cbor_new_definite_array (4);
  cbor_item_t *sign1 = cbor_new_definite_array (4);
  cbor_item_t *tagged;
  g_autoptr(GBytes) prot = NULL;
  g_autoptr(GBytes) kid = cbor_encoded_int (-2);    /* the identity key */
  g_autoptr(GBytes) to_sign = NULL;
  g_autoptr(GBytes) signature = NULL;
  GBytes *out = NULL;

  cbor_map_add (prot_map, (struct cbor_pair) { .key = cbor_move (cbor_int (1)),
                                               .value = cbor_move (cbor_int (-7)) });
  prot = cbor_to_bytes (prot_map);
  cbor_decref (&prot_map);
  cbor_map_add (unprot, (struct cbor_pair) { .key = cbor_move (cbor_int (4)),
                                             .value = cbor_move (cbor_bytes (kid)) });

  cbor_array_push (sig_structure, cbor_move (cbor_build_string ("Signature1")));
  cbor_array_push (sig_structure, cbor_move (cbor_bytes (prot)));
  cbor_array_push (sig_structure, cbor_move (cbor_build_bytestring ((const guint8 *) "", 0)));
  cbor_array_push (sig_structure, cbor_move (cbor_bytes (payload != NULL ? payload : detached)));
  to_sign = cbor_to_bytes (sig_structure);
  cbor_decref (&sig_structure);

  signature = sign_raw (key, to_sign, error);
  if (signature != NULL)
    {
      cbor_array_push (sign1, cbor_move (cbor_bytes (prot)));
      cbor_array_push (sign1, cbor_move (unprot));
      unprot = NULL;
      cbor_array_push (sign1, cbor_move (payload != NULL ? cbor_bytes (payload) : cbor_new_null ()));
      cbor_array_push (sign1, cbor_move (cbor_bytes (signature)));
      tagged = cbor_build_tag (18, sign1);
      out = cbor_to_bytes (tagged);
      cbor_decref (&tagged);
    }
  if (unprot != NULL)
    cbor_decref (&unprot);
  cbor_decref (&sign1);
  return out;
}

static GBytes *
random_bytes (gsize n)
{
  guint8 *buf = g_malloc (n);

  gnutls_rnd (GNUTLS_RND_NONCE, buf, n);
  return g_bytes_new_take (buf, n);
}

/* "<base64url body>.<base64url cose>" */
static char *
body_dot_cose (GBytes *body, GBytes *cose)
{
  gsize blen, clen;
  const guint8 *b = g_bytes_get_data (body, &blen);
  const guint8 *c = g_bytes_get_data (cose, &clen);
  g_autofree char *b64b = base64url (b, blen);
  g_autofree char *b64c = base64url (c, clen);

  return g_strconcat (b64b, ".", b64c, NULL);
}

/* ---- %ATTESTTOKEN ---- */

int
cbd_at_identity_attesttoken (CbdAtContext       *ctx,
                             const CbdAtCommand *cmd)
{
  CbdAtIdentity *id = ctx->identity;
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) cose = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  guint8 fw_uuid[16];
  cbor_item_t *msg;

  if (cmd->op == CBD_AT_SET)
    {
      const char *challenge = cbd_at_command_get_string (cmd, 0);
      guint8 raw[16];
      gsize i;

      if (cbd_at_command_n_params (cmd) != 1 || challenge == NULL || strlen (challenge) != 32)
        return CBD_AT_ERROR;
      for (i = 0; i < 16; i++)
        {
          if (!g_ascii_isxdigit (challenge[2 * i]) || !g_ascii_isxdigit (challenge[2 * i + 1]))
            return CBD_AT_ERROR;
          raw[i] = (guint8) (g_ascii_xdigit_value (challenge[2 * i]) << 4 |
                             g_ascii_xdigit_value (challenge[2 * i + 1]));
        }
      nonce = g_bytes_new (raw, sizeof raw);
    }
  else if (cmd->op == CBD_AT_EXEC)
    nonce = random_bytes (16);
  else
    return CBD_AT_ERROR;

  uuid_to_bin (FW_BUILD_UUID, fw_uuid);
  /* [message type 1 (device identity), device UUID, device type, firmware UUID, nonce] */
  msg = cbor_new_definite_array (5);
  cbor_array_push (msg, cbor_move (cbor_int (1)));
  cbor_array_push (msg, cbor_move (cbor_build_bytestring (id->device_uuid_bin, 16)));
  cbor_array_push (msg, cbor_move (cbor_int (DEVICE_TYPE)));
  cbor_array_push (msg, cbor_move (cbor_build_bytestring (fw_uuid, 16)));
  cbor_array_push (msg, cbor_move (cbor_bytes (nonce)));
  body = cbor_to_bytes (msg);
  cbor_decref (&msg);

  cose = cose_sign1 (id->key, NULL, body, &error);
  if (cose == NULL)
    {
      g_warning ("Attestation token: %s", error->message);
      return CBD_AT_ERROR;
    }
  token = body_dot_cose (body, cose);
  cbd_at_line_sendf (ctx->line, "%%ATTESTTOKEN: \"%s\"", token);
  return CBD_AT_OK;
}

/* ---- %KEYGEN ---- */

typedef struct
{
  const char *name;
  const char *oid;
} SubjectAttr;

static const SubjectAttr subject_attrs[] = {
  { "C", GNUTLS_OID_X520_COUNTRY_NAME },
  { "ST", GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME },
  { "L", GNUTLS_OID_X520_LOCALITY_NAME },
  { "O", GNUTLS_OID_X520_ORGANIZATION_NAME },
  { "OU", GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME },
  { "CN", GNUTLS_OID_X520_COMMON_NAME },
};

/* "O=Acme,CN=dev-1" into (oid, value) pairs, in order; FALSE when malformed. */
static gboolean
parse_attributes (const char *attributes, GPtrArray *oids, GPtrArray *values)
{
  g_auto(GStrv) parts = g_strsplit (attributes, ",", -1);
  guint i, j;

  for (i = 0; parts[i] != NULL; i++)
    {
      const char *eq = strchr (parts[i], '=');
      g_autofree char *key = NULL;

      if (eq == NULL || eq == parts[i] || eq[1] == '\0' || strlen (eq + 1) > 64)
        return FALSE;
      key = g_strndup (parts[i], (gsize) (eq - parts[i]));
      for (j = 0; j < G_N_ELEMENTS (subject_attrs); j++)
        if (g_ascii_strcasecmp (key, subject_attrs[j].name) == 0)
          break;
      if (j == G_N_ELEMENTS (subject_attrs))
        return FALSE;
      if (j == 0 && strlen (eq + 1) != 2)
        return FALSE;
      g_ptr_array_add (oids, (gpointer) subject_attrs[j].oid);
      g_ptr_array_add (values, g_strdup (eq + 1));
    }
  return i > 0;
}

/* A PKCS#10 request, DER, for key_pem with the subject in oids/values. */
static GBytes *
make_csr (const char *key_pem, GPtrArray *oids, GPtrArray *values, GError **error)
{
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crq_t crq = NULL;
  gnutls_datum_t in = { (unsigned char *) key_pem, (unsigned int) strlen (key_pem) };
  gnutls_datum_t out = { NULL, 0 };
  GBytes *der = NULL;
  int ret;
  guint i;

  if ((ret = gnutls_x509_privkey_init (&key)) < 0 ||
      (ret = gnutls_x509_privkey_import2 (key, &in, GNUTLS_X509_FMT_PEM, NULL,
                                          GNUTLS_PKCS_PLAIN)) < 0 ||
      (ret = gnutls_x509_crq_init (&crq)) < 0 ||
      (ret = gnutls_x509_crq_set_version (crq, 1)) < 0)
    goto out;
  for (i = 0; i < oids->len; i++)
    {
      const char *value = g_ptr_array_index (values, i);

      if ((ret = gnutls_x509_crq_set_dn_by_oid (crq, g_ptr_array_index (oids, i), 0, value,
                                                (unsigned int) strlen (value))) < 0)
        goto out;
    }
  if ((ret = gnutls_x509_crq_set_key (crq, key)) < 0 ||
      (ret = gnutls_x509_crq_sign2 (crq, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
      (ret = gnutls_x509_crq_export2 (crq, GNUTLS_X509_FMT_DER, &out)) < 0)
    goto out;
  der = g_bytes_new (out.data, out.size);
  gnutls_free (out.data);

out:
  if (der == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot make the CSR: %s",
                 gnutls_strerror (ret));
  if (crq != NULL)
    gnutls_x509_crq_deinit (crq);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  return der;
}

static char *
new_key_pem (GError **error)
{
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, error);

  return key != NULL ? cb_key_to_pem (key, error) : NULL;
}

static void
free_pem (char *pem)
{
  if (pem != NULL)
    explicit_bzero (pem, strlen (pem));
  g_free (pem);
}

/* %KEYGEN=<sec_tag>,<key_type>[,<response_content>][,<attributes>][,<key_usage>] */
int
cbd_at_identity_keygen (CbdAtContext       *ctx,
                        const CbdAtCommand *cmd)
{
  const CbdAtConfig *config = &ctx->config;
  CbdAtIdentity *id = ctx->identity;
  g_autoptr(GPtrArray) oids = g_ptr_array_new ();
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) digest = NULL;
  g_autoptr(GBytes) cose = NULL;
  g_autoptr(GBytes) tag_cbor = NULL;
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  char *key_pem = NULL;
  char *csr_key_pem = NULL;
  gint64 sec_tag, key_type, content = 0;
  guint n = cbd_at_command_n_params (cmd);
  guint i = 2;
  guint8 sha[32];
  gsize sha_len = sizeof sha;
  GChecksum *checksum;
  cbor_item_t *payload;
  g_autoptr(GBytes) payload_bytes = NULL;
  int rc;

  if (cmd->op != CBD_AT_SET || !cbd_at_command_get_int (cmd, 0, 0, 2147483647, &sec_tag) ||
      !cbd_at_command_get_int (cmd, 1, 0, 255, &key_type))
    return CBD_AT_ERROR;
  if (i < n && cbd_at_command_get_string (cmd, i) == NULL)
    {
      if (!cbd_at_command_get_int (cmd, i, 0, 1, &content))
        return CBD_AT_ERROR;
      i++;
    }
  if (i < n)
    {
      const char *attributes = cbd_at_command_get_string (cmd, i);

      if (attributes == NULL || !parse_attributes (attributes, oids, values))
        return CBD_AT_ERROR;
      i++;
    }
  if (i < n)
    {
      /* <key_usage>: nine bits as a string of 0s and 1s. */
      const char *usage = cbd_at_command_get_string (cmd, i);

      if (usage == NULL || strlen (usage) != 9 || strspn (usage, "01") != 9)
        return CBD_AT_ERROR;
      i++;
    }
  if (i < n)
    return CBD_AT_ERROR;
  /* Only client keys (2); endorsement keys (8) and the rest are not for this modem. */
  if (key_type != CBD_AT_CRED_PRIVATE_KEY)
    return CBD_AT_CME_NO_ACCESS;
  if (cbd_at_context_is_active (ctx))
    return CBD_AT_CME_ACTIVE_STATE;
  if (cbd_at_cred_exists (config->storage, (guint32) sec_tag, CBD_AT_CRED_PRIVATE_KEY))
    return CBD_AT_CME_ALREADY_EXISTS;

  if (oids->len == 0)
    {
      /* No attributes: the device UUID is the CN. */
      g_ptr_array_add (oids, (gpointer) GNUTLS_OID_X520_COMMON_NAME);
      g_ptr_array_add (values, g_strdup (id->device_uuid));
    }
  if (config->wrong_cn)
    {
      for (i = 0; i < oids->len; i++)
        if (strcmp (g_ptr_array_index (oids, i), GNUTLS_OID_X520_COMMON_NAME) == 0)
          {
            char *wrong = g_strconcat (g_ptr_array_index (values, i), "-wrong", NULL);

            g_free (g_ptr_array_index (values, i));
            values->pdata[i] = wrong;
          }
    }
  /* The slow-keygen fault: a modem busy in its crypto engine does not read the port. */
  if (config->slow_keygen_ms > 0)
    g_usleep ((gulong) config->slow_keygen_ms * 1000);

  key_pem = new_key_pem (&error);
  if (key_pem != NULL && config->csr_other_key)
    csr_key_pem = new_key_pem (&error);
  if (key_pem == NULL || (config->csr_other_key && csr_key_pem == NULL))
    {
      g_warning ("Key generation failed: %s", error->message);
      free_pem (key_pem);
      return CBD_AT_CME_KEYGEN_FAILED;
    }
  if (content == 0)
    body = make_csr (csr_key_pem != NULL ? csr_key_pem : key_pem, oids, values, &error);
  else
    {
      g_autoptr(CbKey) key = cb_key_new_from_pem (key_pem, -1, &error);

      body = key != NULL ? cb_key_get_public_key_der (key) : NULL;
    }
  free_pem (csr_key_pem);
  if (body == NULL)
    {
      g_warning ("Key generation failed: %s", error != NULL ? error->message : "no public key");
      free_pem (key_pem);
      return CBD_AT_CME_KEYGEN_FAILED;
    }
  rc = cbd_at_cred_store (config->storage, (guint32) sec_tag, CBD_AT_CRED_PRIVATE_KEY,
                          (const guint8 *) key_pem, strlen (key_pem));
  free_pem (key_pem);
  if (rc != CBD_AT_OK)
    return rc;

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_checksum_get_digest (checksum, sha, &sha_len);
  g_checksum_free (checksum);
  digest = g_bytes_new (sha, sha_len);
  tag_cbor = cbor_encoded_int (sec_tag);
  nonce = random_bytes (16);

  /* [payload id, device UUID, sec_tag (CBOR in a bstr), SHA-256 of the body, nonce] */
  payload = cbor_new_definite_array (5);
  cbor_array_push (payload, cbor_move (cbor_int (content == 0 ? PAYLOAD_CSR : PAYLOAD_PUBKEY)));
  cbor_array_push (payload, cbor_move (cbor_build_bytestring (id->device_uuid_bin, 16)));
  cbor_array_push (payload, cbor_move (cbor_bytes (tag_cbor)));
  cbor_array_push (payload, cbor_move (cbor_bytes (digest)));
  cbor_array_push (payload, cbor_move (cbor_bytes (nonce)));
  payload_bytes = cbor_to_bytes (payload);
  cbor_decref (&payload);

  cose = cose_sign1 (id->key, payload_bytes, NULL, &error);
  if (cose == NULL)
    {
      g_warning ("Key generation: %s", error->message);
      return CBD_AT_CME_KEYGEN_FAILED;
    }
  answer = body_dot_cose (body, cose);
  cbd_at_line_sendf (ctx->line, "%%KEYGEN: \"%s\"", answer);
  return CBD_AT_OK;
}
