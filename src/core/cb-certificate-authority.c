/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-certificate-authority"

/* A certificate authority of an ADR namespace in the stable 2026-11-01 model: a root, or an
 * intermediate (ICA) issued by a root of the same namespace ("Microsoft") or by the customer's
 * own CA ("External", pending until activated with its chain). Certificate policies hang under
 * an ICA; the model's parser is strict the way the other ADR parsers are (a member of the wrong
 * type is a parse error, never a default). */

#include "config.h"

#include "cb-adr-json-private.h"
#include "cb-certificate-authority.h"

struct _CbCertificateAuthority
{
  GObject     parent_instance;

  char       *id;
  char       *name;
  char       *namespace;
  char       *provisioning_state;
  CbCaKind    kind;
  CbCaIssuer  issuer;
  char       *issuer_ca_id;
  char       *key_type;
  char       *uuid;
  char       *subject;
  gint64      not_before;
  gint64      not_after;
  char       *csr;
  char       *thumbprint;
  char       *status;
};

G_DEFINE_FINAL_TYPE (CbCertificateAuthority, cb_certificate_authority, G_TYPE_OBJECT)

static void
cb_certificate_authority_finalize (GObject *object)
{
  CbCertificateAuthority *self = (CbCertificateAuthority *)object;

  g_free (self->id);
  g_free (self->name);
  g_free (self->namespace);
  g_free (self->provisioning_state);
  g_free (self->issuer_ca_id);
  g_free (self->key_type);
  g_free (self->uuid);
  g_free (self->subject);
  g_free (self->csr);
  g_free (self->thumbprint);
  g_free (self->status);

  G_OBJECT_CLASS (cb_certificate_authority_parent_class)->finalize (object);
}

static void
cb_certificate_authority_class_init (CbCertificateAuthorityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_certificate_authority_finalize;
}

static void
cb_certificate_authority_init (CbCertificateAuthority *self)
{
}

static gboolean
parse_kind (const char  *type,
            CbCaKind    *kind,
            GError     **error)
{
  if (g_strcmp0 (type, "Root") == 0)
    *kind = CB_CA_KIND_ROOT;
  else if (g_strcmp0 (type, "ICA") == 0)
    *kind = CB_CA_KIND_INTERMEDIATE;
  else
    return cb_adr_json_set_parse_error (error, "certificate authority",
                                        "certificateAuthorityType", "Root or ICA");
  return TRUE;
}

static gboolean
parse_issuer (JsonObject              *issuer,
              CbCertificateAuthority  *self,
              GError                 **error)
{
  const char *what = "certificate authority";
  const char *type = NULL, *ca_id = NULL, *csr = NULL, *thumbprint = NULL, *status = NULL;

  if (issuer == NULL)
    {
      if (self->kind == CB_CA_KIND_INTERMEDIATE)
        return cb_adr_json_set_parse_error (error, what, "issuer", "set on an ICA");
      self->issuer = CB_CA_ISSUER_NONE;
      return TRUE;
    }

  if (!cb_adr_json_require_string (issuer, "issuerType", what, &type, error) ||
      !cb_adr_json_get_string (issuer, "certificateAuthorityResourceId", what, &ca_id, error) ||
      !cb_adr_json_get_string (issuer, "certificateSigningRequest", what, &csr, error) ||
      !cb_adr_json_get_string (issuer, "thumbprint", what, &thumbprint, error) ||
      !cb_adr_json_get_string (issuer, "status", what, &status, error))
    return FALSE;

  if (g_str_equal (type, "Microsoft"))
    self->issuer = CB_CA_ISSUER_MICROSOFT;
  else if (g_str_equal (type, "External"))
    self->issuer = CB_CA_ISSUER_EXTERNAL;
  else
    return cb_adr_json_set_parse_error (error, what, "issuerType", "Microsoft or External");

  self->issuer_ca_id = g_strdup (ca_id);
  self->csr = g_strdup (csr);
  self->thumbprint = g_strdup (thumbprint);
  self->status = g_strdup (status);
  return TRUE;
}

/**
 * cb_certificate_authority_new_from_json:
 * @node: one certificate authority resource as ARM returns it
 *
 * Returns: (transfer full): the CA, or %NULL with %CB_API_ERROR_PARSE
 */
CbCertificateAuthority *
cb_certificate_authority_new_from_json (JsonNode  *node,
                                        GError   **error)
{
  const char *what = "certificate authority";
  g_autoptr(CbCertificateAuthority) self = NULL;
  JsonObject *obj;
  JsonObject *props = NULL;
  JsonObject *issuer = NULL;
  const char *id = NULL, *name = NULL, *state = NULL, *type = NULL, *key_type = NULL;
  const char *uuid = NULL, *subject = NULL;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_require_string (obj, "name", what, &name, error) ||
      !cb_adr_json_get_string (obj, "id", what, &id, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error) ||
      !cb_adr_json_get_string (props, "provisioningState", what, &state, error) ||
      !cb_adr_json_require_string (props, "certificateAuthorityType", what, &type, error) ||
      !cb_adr_json_get_string (props, "keyType", what, &key_type, error) ||
      !cb_adr_json_get_string (props, "uuid", what, &uuid, error) ||
      !cb_adr_json_get_string (props, "subject", what, &subject, error) ||
      !cb_adr_json_get_object (props, "issuer", what, &issuer, error))
    return NULL;

  self = g_object_new (CB_TYPE_CERTIFICATE_AUTHORITY, NULL);
  if (!parse_kind (type, &self->kind, error) || !parse_issuer (issuer, self, error))
    return NULL;

  self->id = g_strdup (id);
  self->name = g_strdup (name);
  self->namespace = cb_adr_json_id_segment (id, "namespaces");
  self->provisioning_state = g_strdup (state);
  self->key_type = g_strdup (key_type);
  self->uuid = g_strdup (uuid);
  self->subject = g_strdup (subject);

  if (!cb_adr_json_get_time (props, "validityNotBefore", what, &self->not_before, error) ||
      !cb_adr_json_get_time (props, "validityNotAfter", what, &self->not_after, error))
    return NULL;

  return g_steal_pointer (&self);
}

#define GETTER(type, member, fallback)                                                     \
  type                                                                                     \
  cb_certificate_authority_get_##member (CbCertificateAuthority *self)                     \
  {                                                                                        \
    g_return_val_if_fail (CB_IS_CERTIFICATE_AUTHORITY (self), fallback);                   \
    return self->member;                                                                   \
  }

GETTER (const char *, id, NULL)
GETTER (const char *, name, NULL)
GETTER (const char *, namespace, NULL)
GETTER (const char *, provisioning_state, NULL)
GETTER (CbCaKind, kind, CB_CA_KIND_ROOT)
GETTER (CbCaIssuer, issuer, CB_CA_ISSUER_NONE)
GETTER (const char *, issuer_ca_id, NULL)
GETTER (const char *, key_type, NULL)
GETTER (const char *, uuid, NULL)
GETTER (const char *, subject, NULL)
GETTER (gint64, not_before, 0)
GETTER (gint64, not_after, 0)
GETTER (const char *, csr, NULL)
GETTER (const char *, thumbprint, NULL)
GETTER (const char *, status, NULL)

#undef GETTER

gboolean
cb_certificate_authority_can_issue (CbCertificateAuthority *self)
{
  g_return_val_if_fail (CB_IS_CERTIFICATE_AUTHORITY (self), FALSE);

  if (self->kind != CB_CA_KIND_INTERMEDIATE)
    return FALSE;
  if (self->provisioning_state != NULL && !g_str_equal (self->provisioning_state, "Succeeded"))
    return FALSE;
  if (self->issuer == CB_CA_ISSUER_EXTERNAL)
    return g_strcmp0 (self->status, CB_CA_STATUS_ACTIVE) == 0 ||
           g_strcmp0 (self->status, CB_CA_STATUS_ACTIVE_PENDING_RENEWAL) == 0;
  return TRUE;
}
