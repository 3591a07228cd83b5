/* SPDX-License-Identifier: GPL-3.0-or-later */

/* A certificate's fields decoded for reading, as XCA or GNOME's certificate viewer list them:
 * the header fields, the names, the validity, the public key, the fingerprints and every
 * extension (the common ones decoded with GnuTLS's extension parsers, the others by OID and
 * hex). A malformed extension is shown in hex with the reason, never dropped. */

#define G_LOG_DOMAIN "cb-x509-details"

#include "config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>

#include "cb-x509-encoding-private.h"
#include "cb-x509-private.h"

#include "cb-x509-details.h"

void
cb_cert_field_free (CbCertField *field)
{
  if (field == NULL)
    return;
  g_free (field->section);
  g_free (field->name);
  g_free (field->value);
  g_free (field->oid);
  g_free (field);
}

typedef struct
{
  GPtrArray  *fields;
  const char *section;
  const char *oid;
  gboolean    critical;
} Details;

static void
add_take (Details    *d,
          const char *name,
          char       *value)
{
  CbCertField *field = g_new0 (CbCertField, 1);

  field->section = g_strdup (d->section);
  field->name = g_strdup (name);
  field->value = value;
  field->oid = g_strdup (d->oid);
  field->critical = d->critical;
  g_ptr_array_add (d->fields, field);
}

static void
add (Details    *d,
     const char *name,
     const char *value)
{
  add_take (d, name, g_strdup (value != NULL ? value : ""));
}

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("?");
}

static char *
hex (const guint8 *data,
     gsize         len)
{
  return cb_x509_hex_string (data, len, TRUE, ':');
}

/* A GeneralName as openssl prints it: "DNS:x", "URI:y", "IP:z", "email:w". */
static char *
general_name (unsigned int          type,
              const gnutls_datum_t *name)
{
  char text[INET6_ADDRSTRLEN];

  switch (type)
    {
    case GNUTLS_SAN_DNSNAME:
      return g_strdup_printf ("DNS:%.*s", (int) name->size, name->data);
    case GNUTLS_SAN_URI:
      return g_strdup_printf ("URI:%.*s", (int) name->size, name->data);
    case GNUTLS_SAN_RFC822NAME:
      return g_strdup_printf ("email:%.*s", (int) name->size, name->data);
    case GNUTLS_SAN_IPADDRESS:
      if ((name->size == 4 && inet_ntop (AF_INET, name->data, text, sizeof text)) ||
          (name->size == 16 && inet_ntop (AF_INET6, name->data, text, sizeof text)))
        return g_strdup_printf ("IP:%s", text);
      return g_strdup_printf ("IP:%s", "?");
    case GNUTLS_SAN_DN:
      return g_strdup_printf ("DirName:%s", "…");
    default:
      return g_strdup_printf ("othername:%u", type);
    }
}

static const struct
{
  const char *oid;
  const char *name;
} known_purposes[] = {
  { "1.3.6.1.5.5.7.3.1", N_("TLS server authentication") },
  { "1.3.6.1.5.5.7.3.2", N_("TLS client authentication") },
  { "1.3.6.1.5.5.7.3.3", N_("Code signing") },
  { "1.3.6.1.5.5.7.3.4", N_("Email protection") },
  { "1.3.6.1.5.5.7.3.8", N_("Time stamping") },
  { "1.3.6.1.5.5.7.3.9", N_("OCSP signing") },
  { "2.5.29.37.0",       N_("Any purpose") },
};

static char *
purpose_name (const char *oid)
{
  for (guint i = 0; i < G_N_ELEMENTS (known_purposes); i++)
    if (g_str_equal (oid, known_purposes[i].oid))
      return g_strdup_printf ("%s (%s)", _(known_purposes[i].name), oid);
  return g_strdup (oid);
}

/* ---- the extensions --------------------------------------------------------------------- */

static gboolean
decode_basic_constraints (Details              *d,
                          const gnutls_datum_t *ext)
{
  unsigned int ca = 0;
  int path_len = -1;

  if (gnutls_x509_ext_import_basic_constraints (ext, &ca, &path_len) < 0)
    return FALSE;
  add (d, _("Certificate authority"), ca ? _("Yes") : _("No"));
  if (ca)
    add_take (d, _("Path length"), path_len >= 0 ? g_strdup_printf ("%d", path_len)
                                                 : g_strdup (_("Unlimited")));
  return TRUE;
}

static gboolean
decode_key_usage (Details              *d,
                  const gnutls_datum_t *ext)
{
  static const struct { unsigned int bit; const char *name; } bits[] = {
    { GNUTLS_KEY_DIGITAL_SIGNATURE, N_("Digital signature") },
    { GNUTLS_KEY_NON_REPUDIATION,   N_("Non-repudiation") },
    { GNUTLS_KEY_KEY_ENCIPHERMENT,  N_("Key encipherment") },
    { GNUTLS_KEY_DATA_ENCIPHERMENT, N_("Data encipherment") },
    { GNUTLS_KEY_KEY_AGREEMENT,     N_("Key agreement") },
    { GNUTLS_KEY_KEY_CERT_SIGN,     N_("Certificate signing") },
    { GNUTLS_KEY_CRL_SIGN,          N_("CRL signing") },
    { GNUTLS_KEY_ENCIPHER_ONLY,     N_("Encipher only") },
    { GNUTLS_KEY_DECIPHER_ONLY,     N_("Decipher only") },
  };
  unsigned int usage = 0;

  if (gnutls_x509_ext_import_key_usage (ext, &usage) < 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (bits); i++)
    if (usage & bits[i].bit)
      add (d, _("Usage"), _(bits[i].name));
  return TRUE;
}

static gboolean
decode_key_purposes (Details              *d,
                     const gnutls_datum_t *ext)
{
  gnutls_x509_key_purposes_t purposes = NULL;
  gboolean ok = FALSE;

  if (gnutls_x509_key_purpose_init (&purposes) < 0)
    return FALSE;
  if (gnutls_x509_ext_import_key_purposes (ext, purposes, 0) == 0)
    {
      gnutls_datum_t oid;

      ok = TRUE;
      for (unsigned int i = 0; gnutls_x509_key_purpose_get (purposes, i, &oid) == 0; i++)
        {
          g_autofree char *text = g_strndup ((const char *) oid.data, oid.size);

          add_take (d, _("Purpose"), purpose_name (text));
        }
    }
  gnutls_x509_key_purpose_deinit (purposes);
  return ok;
}

static gboolean
decode_alt_names (Details              *d,
                  const gnutls_datum_t *ext)
{
  gnutls_subject_alt_names_t names = NULL;
  gboolean ok = FALSE;

  if (gnutls_subject_alt_names_init (&names) < 0)
    return FALSE;
  if (gnutls_x509_ext_import_subject_alt_names (ext, names, 0) == 0)
    {
      gnutls_datum_t name;
      unsigned int type;

      ok = TRUE;
      for (unsigned int i = 0; gnutls_subject_alt_names_get (names, i, &type, &name, NULL) == 0; i++)
        add_take (d, _("Name"), general_name (type, &name));
    }
  gnutls_subject_alt_names_deinit (names);
  return ok;
}

static gboolean
decode_subject_key_id (Details              *d,
                       const gnutls_datum_t *ext)
{
  gnutls_datum_t id = { NULL, 0 };

  if (gnutls_x509_ext_import_subject_key_id (ext, &id) < 0)
    return FALSE;
  add_take (d, _("Key identifier"), hex (id.data, id.size));
  gnutls_free (id.data);
  return TRUE;
}

static gboolean
decode_authority_key_id (Details              *d,
                         const gnutls_datum_t *ext)
{
  gnutls_x509_aki_t aki = NULL;
  gboolean ok = FALSE;

  if (gnutls_x509_aki_init (&aki) < 0)
    return FALSE;
  if (gnutls_x509_ext_import_authority_key_id (ext, aki, 0) == 0)
    {
      gnutls_datum_t id = { NULL, 0 };
      gnutls_datum_t serial = { NULL, 0 };
      gnutls_datum_t name;
      unsigned int type;

      ok = TRUE;
      if (gnutls_x509_aki_get_id (aki, &id) == 0)
        add_take (d, _("Key identifier"), hex (id.data, id.size));
      for (unsigned int i = 0;
           gnutls_x509_aki_get_cert_issuer (aki, i, &type, &name, NULL, &serial) == 0; i++)
        {
          add_take (d, _("Issuer"), general_name (type, &name));
          if (serial.size > 0)
            add_take (d, _("Serial number"), hex (serial.data, serial.size));
        }
    }
  gnutls_x509_aki_deinit (aki);
  return ok;
}

static gboolean
decode_crl_dist_points (Details              *d,
                        const gnutls_datum_t *ext)
{
  gnutls_x509_crl_dist_points_t points = NULL;
  gboolean ok = FALSE;

  if (gnutls_x509_crl_dist_points_init (&points) < 0)
    return FALSE;
  if (gnutls_x509_ext_import_crl_dist_points (ext, points, 0) == 0)
    {
      gnutls_datum_t name;
      unsigned int type, reasons;

      ok = TRUE;
      for (unsigned int i = 0;
           gnutls_x509_crl_dist_points_get (points, i, &type, &name, &reasons) == 0; i++)
        add_take (d, _("Distribution point"), general_name (type, &name));
    }
  gnutls_x509_crl_dist_points_deinit (points);
  return ok;
}

static gboolean
decode_aia (Details              *d,
            const gnutls_datum_t *ext)
{
  gnutls_x509_aia_t aia = NULL;
  gboolean ok = FALSE;

  if (gnutls_x509_aia_init (&aia) < 0)
    return FALSE;
  if (gnutls_x509_ext_import_aia (ext, aia, 0) == 0)
    {
      gnutls_datum_t oid, name;
      unsigned int type;

      ok = TRUE;
      for (unsigned int i = 0; gnutls_x509_aia_get (aia, i, &oid, &type, &name) == 0; i++)
        {
          g_autofree char *method = g_strndup ((const char *) oid.data, oid.size);
          const char *label = g_str_equal (method, GNUTLS_OID_AD_OCSP) ? _("OCSP")
                              : g_str_equal (method, GNUTLS_OID_AD_CAISSUERS) ? _("CA issuers")
                              : method;

          add_take (d, label, general_name (type, &name));
        }
    }
  gnutls_x509_aia_deinit (aia);
  return ok;
}

static gboolean
decode_policies (Details              *d,
                 const gnutls_datum_t *ext)
{
  gnutls_x509_policies_t policies = NULL;
  gboolean ok = FALSE;

  if (gnutls_x509_policies_init (&policies) < 0)
    return FALSE;
  if (gnutls_x509_ext_import_policies (ext, policies, 0) == 0)
    {
      struct gnutls_x509_policy_st policy;

      ok = TRUE;
      for (unsigned int i = 0; gnutls_x509_policies_get (policies, i, &policy) == 0; i++)
        {
          add (d, _("Policy"), policy.oid);
          for (unsigned int q = 0; q < policy.qualifiers; q++)
            add_take (d, policy.qualifier[q].type == GNUTLS_X509_QUALIFIER_URI ? _("CPS")
                                                                              : _("User notice"),
                      g_strndup (policy.qualifier[q].data, policy.qualifier[q].size));
        }
    }
  gnutls_x509_policies_deinit (policies);
  return ok;
}

static const struct
{
  const char *oid;
  const char *name;
  gboolean  (*decode) (Details *d, const gnutls_datum_t *ext);
} known_extensions[] = {
  { "2.5.29.19",         N_("Basic constraints"),               decode_basic_constraints },
  { "2.5.29.15",         N_("Key usage"),                       decode_key_usage },
  { "2.5.29.37",         N_("Extended key usage"),              decode_key_purposes },
  { "2.5.29.17",         N_("Subject alternative names"),       decode_alt_names },
  { "2.5.29.14",         N_("Subject key identifier"),          decode_subject_key_id },
  { "2.5.29.35",         N_("Authority key identifier"),        decode_authority_key_id },
  { "2.5.29.31",         N_("CRL distribution points"),         decode_crl_dist_points },
  { "1.3.6.1.5.5.7.1.1", N_("Authority information access"),    decode_aia },
  { "2.5.29.32",         N_("Certificate policies"),            decode_policies },
};

static void
add_extension (Details          *d,
               gnutls_x509_crt_t crt,
               unsigned int      index)
{
  char oid[128];
  size_t oid_len = sizeof oid;
  unsigned int critical = 0;
  gnutls_datum_t ext = { NULL, 0 };
  gboolean decoded = FALSE;
  guint known = G_N_ELEMENTS (known_extensions);

  if (gnutls_x509_crt_get_extension_info (crt, index, oid, &oid_len, &critical) < 0 ||
      gnutls_x509_crt_get_extension_data2 (crt, index, &ext) < 0)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (known_extensions); i++)
    if (g_str_equal (oid, known_extensions[i].oid))
      known = i;

  d->section = known < G_N_ELEMENTS (known_extensions) ? _(known_extensions[known].name) : oid;
  d->oid = oid;
  d->critical = critical != 0;
  add (d, _("Critical"), critical ? _("Yes") : _("No"));
  if (known < G_N_ELEMENTS (known_extensions))
    {
      guint before = d->fields->len;

      decoded = known_extensions[known].decode (d, &ext);
      /* A half-decoded extension shows what it had and its bytes. */
      if (!decoded)
        while (d->fields->len > before)
          g_ptr_array_remove_index (d->fields, d->fields->len - 1);
      if (!decoded)
        add (d, _("Error"), _("The extension could not be decoded"));
    }
  if (!decoded)
    {
      add (d, _("Object identifier"), oid);
      add_take (d, _("Value"), hex (ext.data, ext.size));
    }
  gnutls_free (ext.data);
  d->oid = NULL;
  d->critical = FALSE;
}

/* ---- the certificate -------------------------------------------------------------------- */

static char *
public_key_algorithm (gnutls_x509_crt_t crt,
                      unsigned int     *bits)
{
  int algorithm = gnutls_x509_crt_get_pk_algorithm (crt, bits);
  const char *name = gnutls_pk_algorithm_get_name (algorithm);

  if (algorithm == GNUTLS_PK_ECDSA)
    {
      gnutls_ecc_curve_t curve = GNUTLS_ECC_CURVE_INVALID;
      gnutls_datum_t x = { NULL, 0 }, y = { NULL, 0 };
      char *text = NULL;

      if (gnutls_x509_crt_get_pk_ecc_raw (crt, &curve, &x, &y) == 0)
        text = g_strdup_printf ("%s %s", name, gnutls_ecc_curve_get_name (curve));
      gnutls_free (x.data);
      gnutls_free (y.data);
      if (text != NULL)
        return text;
    }
  return g_strdup (name != NULL ? name : _("Unknown"));
}

GPtrArray *
cb_certificate_dup_details (CbCertificate *self)
{
  Details d = { NULL, NULL, NULL, FALSE };
  char oid[128];
  size_t oid_len = sizeof oid;
  unsigned int bits = 0;
  g_autofree char *algorithm = NULL;

  g_return_val_if_fail (CB_IS_CERTIFICATE (self), NULL);

  d.fields = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_cert_field_free);

  d.section = _("Certificate");
  add_take (&d, _("Version"), g_strdup_printf ("%d", gnutls_x509_crt_get_version (self->crt)));
  add (&d, _("Serial number"), self->serial);
  if (gnutls_x509_crt_get_signature_oid (self->crt, oid, &oid_len) == 0)
    add_take (&d, _("Signature algorithm"),
              g_strdup_printf ("%s (%s)", self->signature_algorithm, oid));
  else
    add (&d, _("Signature algorithm"), self->signature_algorithm);

  d.section = _("Issuer");
  add (&d, _("Name"), self->issuer);
  d.section = _("Subject");
  add (&d, _("Name"), self->subject);
  if (self->common_name != NULL)
    add (&d, _("Common name"), self->common_name);

  d.section = _("Validity");
  add_take (&d, _("Not before"), format_time (self->not_before));
  add_take (&d, _("Not after"), format_time (self->not_after));

  d.section = _("Public key");
  algorithm = public_key_algorithm (self->crt, &bits);
  add (&d, _("Algorithm"), algorithm);
  add_take (&d, _("Size"), g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u bit", "%u bits", bits),
                                            bits));

  d.section = _("Fingerprints");
  add (&d, _("SHA-256"), self->sha256_fingerprint);
  add (&d, _("SHA-1"), cb_certificate_get_extras (self)->sha1_fingerprint);

  for (unsigned int i = 0; ; i++)
    {
      oid_len = sizeof oid;
      if (gnutls_x509_crt_get_extension_info (self->crt, i, oid, &oid_len, NULL) < 0)
        break;
      add_extension (&d, self->crt, i);
    }

  return d.fields;
}

const char *
cb_cert_details_lookup (GPtrArray  *details,
                        const char *section,
                        const char *name)
{
  g_return_val_if_fail (details != NULL, NULL);

  for (guint i = 0; i < details->len; i++)
    {
      CbCertField *field = g_ptr_array_index (details, i);

      if (g_strcmp0 (field->section, section) == 0 && g_strcmp0 (field->name, name) == 0)
        return field->value;
    }
  return NULL;
}
