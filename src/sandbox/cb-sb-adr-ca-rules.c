/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The rules of ADR's 2026-11-01 certificate authorities and certificate policies, on the
 * same CA engine as the preview model (cb-sb-ca.c):
 *
 *   Root   one per namespace; the engine's namespace root (so a namespace that uses the
 *          preview credential cannot have one). Deleted only without intermediates.
 *   ICA    at most CB_SB_ADR_MAX_ICAS per namespace. issuerType Microsoft: signed by the
 *          root named in certificateAuthorityResourceId (a root of the same namespace), an
 *          engine issuer that is active at once. issuerType External: an engine issuer
 *          pending activation with a service-made key and CSR, activated by `activate` with
 *          a chain that passes the bring-your-own-root checks (cb-sb-ca-byor.c).
 *          `revokeAndRotate` (Microsoft-issued only) revokes the engine issuer, so the hub
 *          refuses every leaf it signed (as revokeIssuer does), and puts a new one under the
 *          same resource. Deleted only without policies.
 *   Policy only under an ICA (409 PolicyRequiresIssuingCa under a root, as Microsoft's own
 *          e2e scripts report Azure doing; the spec's examples put one under a root: see
 *          docs/sandbox.md), one per ICA.
 *
 * Checks run when the request comes in, and a new CA's keys and certificates are made then
 * (its 201 shows them, as Microsoft's examples do); every other engine change runs when the
 * long-running operation completes (cb-sb-lro.c), inside its transaction. The certificates'
 * subject is "CN=<resource name>", as in the examples. */

#include "config.h"

#include <string.h>

#include "cb-sb-adr-ca-rules.h"
#include "cb-sb-adr-ca-store.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-ca.h"
#include "cb-sb-ca-byor.h"
#include "cb-sb-events.h"

G_DEFINE_QUARK (cb-sb-adr-ca-error-quark, cb_sb_adr_ca_error)

static const char * const kinds[] = {
  "ca-create", "ca-update", "ca-delete", "ca-activate", "ca-rotate",
  "capolicy-create", "capolicy-update", "capolicy-delete",
};

gboolean
cb_sb_adr_ca_is_kind (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kind, kinds[i]) == 0)
      return TRUE;

  return FALSE;
}

/* The last segment of an ARM id. */
static const char *
name_of (const char *id)
{
  const char *slash = id != NULL ? strrchr (id, '/') : NULL;

  return slash != NULL ? slash + 1 : id;
}

static char *
join_names (GPtrArray *ids)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < ids->len; i++)
    g_string_append_printf (out, "%s'%s'", i > 0 ? ", " : "",
                            name_of (g_ptr_array_index (ids, i)));

  return g_string_free (out, FALSE);
}

/* The namespace's ICAs other than except_id. */
static guint
count_icas (CbSandbox  *self,
            const char *namespace_id,
            const char *except_id,
            char      **names)
{
  g_autoptr(GPtrArray) ids = cb_sb_adr_ca_ids (self, namespace_id, CB_SB_CA_TYPE_ICA);

  for (guint i = ids->len; i > 0; i--)
    if (except_id != NULL &&
        g_ascii_strcasecmp (g_ptr_array_index (ids, i - 1), except_id) == 0)
      g_ptr_array_remove_index (ids, i - 1);

  if (names != NULL)
    *names = join_names (ids);

  return ids->len;
}

/* ---- Checks when a request comes in ----------------------------------------------------- */

static gboolean
check_root_create (CbSandbox   *self,
                   const char  *namespace_id,
                   const char  *ca_id,
                   const char  *issuer_type,
                   GError     **error)
{
  g_autoptr(GPtrArray) roots = NULL;

  if (issuer_type != NULL)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "A certificate authority of type 'Root' is self-signed and has no "
                   "'issuer'; remove properties.issuer.");
      return FALSE;
    }

  if (cb_sb_adr_has_credential (self, namespace_id))
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                   "The namespace uses the preview credential model (credentials/default "
                   "holds its root CA); it cannot also have a root certificate authority. "
                   "Use a new namespace for certificate authorities.");
      return FALSE;
    }

  roots = cb_sb_adr_ca_ids (self, namespace_id, CB_SB_CA_TYPE_ROOT);
  for (guint i = 0; i < roots->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (roots, i), ca_id) != 0)
      {
        g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                     "The namespace already has the root certificate authority '%s'; a "
                     "namespace has one root.", name_of (g_ptr_array_index (roots, i)));
        return FALSE;
      }

  return TRUE;
}

static gboolean
check_ica_create (CbSandbox   *self,
                  const char  *namespace_id,
                  const char  *ca_id,
                  const char  *issuer_type,
                  const char  *parent_id,
                  GError     **error)
{
  g_autofree char *names = NULL;
  g_auto(CbSbCaRow) parent = { 0 };

  if (issuer_type == NULL)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "A certificate authority of type 'ICA' needs properties.issuer with an "
                   "issuerType ('Microsoft' or 'External').");
      return FALSE;
    }

  if (count_icas (self, namespace_id, ca_id, &names) >= CB_SB_ADR_MAX_ICAS)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                   "The namespace already has %d intermediate certificate authorities (%s); "
                   "a namespace can have at most %d.",
                   CB_SB_ADR_MAX_ICAS, names, CB_SB_ADR_MAX_ICAS);
      return FALSE;
    }

  if (g_strcmp0 (issuer_type, CB_SB_ISSUER_EXTERNAL) == 0)
    {
      if (parent_id != NULL)
        {
          g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                       "An intermediate certificate authority issued externally names no "
                       "certificateAuthorityResourceId; its chain comes with 'activate'.");
          return FALSE;
        }
      return TRUE;
    }

  if (g_strcmp0 (issuer_type, CB_SB_ISSUER_MICROSOFT) != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "The value '%s' is not valid for issuerType. The allowed values are: "
                   "'Microsoft', 'External'.", issuer_type);
      return FALSE;
    }

  if (parent_id == NULL)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "An intermediate certificate authority issued by Microsoft needs "
                   "issuer.certificateAuthorityResourceId: the root certificate authority of "
                   "the same namespace that signs it.");
      return FALSE;
    }

  if (!cb_sb_adr_ca_row (self, parent_id, &parent) ||
      g_ascii_strcasecmp (parent.namespace_id, namespace_id) != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "The issuer '%s' is not a certificate authority of this namespace; an "
                   "intermediate certificate authority is signed by a root of its own "
                   "namespace.", parent_id);
      return FALSE;
    }

  if (g_strcmp0 (parent.ca_type, CB_SB_CA_TYPE_ROOT) != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "The issuer '%s' is of type '%s'; an intermediate certificate authority "
                   "is signed by a certificate authority of type 'Root'.",
                   parent.name, parent.ca_type);
      return FALSE;
    }

  if (g_strcmp0 (parent.state, "Succeeded") != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                   "The root certificate authority '%s' is %s; retry once it has been "
                   "created.", parent.name, parent.state);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sb_adr_ca_check_create (CbSandbox   *self,
                           const char  *namespace_id,
                           const char  *ca_id,
                           const char  *ca_type,
                           const char  *issuer_type,
                           const char  *parent_id,
                           GError     **error)
{
  if (g_strcmp0 (ca_type, CB_SB_CA_TYPE_ROOT) == 0)
    return check_root_create (self, namespace_id, ca_id, issuer_type, error);
  if (g_strcmp0 (ca_type, CB_SB_CA_TYPE_ICA) == 0)
    return check_ica_create (self, namespace_id, ca_id, issuer_type, parent_id, error);

  g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
               "The value '%s' is not valid for certificateAuthorityType. The allowed values "
               "are: 'Root', 'ICA'.", ca_type != NULL ? ca_type : "");
  return FALSE;
}

static gboolean
check_unchanged (const char  *name,
                 const char  *current,
                 const char  *given,
                 GError     **error)
{
  if (given == NULL || (current != NULL && g_ascii_strcasecmp (current, given) == 0))
    return TRUE;

  g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CHANGE_NOT_ALLOWED,
               "Changing property '%s' is not allowed: it is set when the certificate "
               "authority is created.", name);
  return FALSE;
}

gboolean
cb_sb_adr_ca_check_replace (CbSandbox   *self,
                            const char  *ca_id,
                            const char  *ca_type,
                            const char  *key_type,
                            const char  *issuer_type,
                            const char  *parent_id,
                            GError     **error)
{
  g_auto(CbSbCaRow) row = { 0 };

  if (!cb_sb_adr_ca_row (self, ca_id, &row))
    return TRUE;

  return check_unchanged ("certificateAuthorityType", row.ca_type, ca_type, error) &&
         check_unchanged ("keyType", row.key_type, key_type, error) &&
         check_unchanged ("issuer.issuerType", row.issuer_type, issuer_type, error) &&
         check_unchanged ("issuer.certificateAuthorityResourceId", row.parent_id, parent_id,
                          error);
}

gboolean
cb_sb_adr_ca_check_delete (CbSandbox   *self,
                           const char  *ca_id,
                           GError     **error)
{
  g_auto(CbSbCaRow) row = { 0 };

  if (!cb_sb_adr_ca_row (self, ca_id, &row))
    return TRUE;

  if (g_strcmp0 (row.ca_type, CB_SB_CA_TYPE_ROOT) == 0)
    {
      g_autofree char *names = NULL;

      if (count_icas (self, row.namespace_id, NULL, &names) > 0)
        {
          g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                       "The root certificate authority '%s' cannot be deleted while the "
                       "namespace has intermediate certificate authorities (%s); delete them "
                       "first.", row.name, names);
          return FALSE;
        }
    }
  else
    {
      g_autoptr(GPtrArray) policies = cb_sb_adr_ca_policy_ids (self, ca_id);

      if (policies->len > 0)
        {
          g_autofree char *names = join_names (policies);

          g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                       "The certificate authority '%s' cannot be deleted while it has "
                       "certificate policies (%s); delete them first.", row.name, names);
          return FALSE;
        }
    }

  return TRUE;
}

gboolean
cb_sb_adr_ca_check_policy_create (CbSandbox   *self,
                                  const char  *ca_id,
                                  GError     **error)
{
  g_auto(CbSbCaRow) ca = { 0 };
  g_autoptr(GPtrArray) policies = NULL;

  if (!cb_sb_adr_ca_row (self, ca_id, &ca))
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "The certificate authority '%s' does not exist.", name_of (ca_id));
      return FALSE;
    }

  if (g_strcmp0 (ca.ca_type, CB_SB_CA_TYPE_ICA) != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_POLICY_NEEDS_ICA,
                   "The certificate authority '%s' is a root; a certificate policy needs an "
                   "issuing (intermediate) certificate authority. Create the policy under an "
                   "ICA signed by this root.", ca.name);
      return FALSE;
    }

  policies = cb_sb_adr_ca_policy_ids (self, ca_id);
  if (policies->len >= CB_SB_ADR_MAX_POLICIES_PER_CA)
    {
      g_autofree char *names = join_names (policies);

      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                   "The certificate authority '%s' already has the certificate policy %s; an "
                   "intermediate certificate authority has one policy.", ca.name, names);
      return FALSE;
    }

  return TRUE;
}

/* The CA exists, is an ICA of issuer_type, and its engine issuer exists. */
static gboolean
check_ica_of (CbSandbox   *self,
              const char  *ca_id,
              const char  *issuer_type,
              const char  *action,
              CbSbCaRow   *row,
              GError     **error)
{
  if (!cb_sb_adr_ca_row (self, ca_id, row))
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_INVALID,
                   "The certificate authority '%s' does not exist.", name_of (ca_id));
      return FALSE;
    }

  if (g_strcmp0 (row->ca_type, CB_SB_CA_TYPE_ICA) != 0 ||
      g_strcmp0 (row->issuer_type, issuer_type) != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_WRONG_TYPE,
                   "'%s' applies only to a certificate authority of type 'ICA' with issuer "
                   "type '%s'; '%s' is %s%s%s.", action, issuer_type, row->name,
                   g_strcmp0 (row->ca_type, CB_SB_CA_TYPE_ROOT) == 0 ? "a root" : "an ICA",
                   row->issuer_type != NULL ? " issued by " : "",
                   row->issuer_type != NULL ? row->issuer_type : "");
      return FALSE;
    }

  if (row->issuer_id == NULL || g_strcmp0 (row->state, "Succeeded") != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                   "The certificate authority '%s' is %s; retry once its last operation has "
                   "completed.", row->name, row->state);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sb_adr_ca_check_activate (CbSandbox   *self,
                             const char  *ca_id,
                             const char  *chain_pem,
                             GError     **error)
{
  g_auto(CbSbCaRow) row = { 0 };
  g_autoptr(GError) chain_error = NULL;

  if (!check_ica_of (self, ca_id, CB_SB_ISSUER_EXTERNAL, "activate", &row, error))
    return FALSE;

  if (g_strcmp0 (row.status, CB_SB_CA_PENDING) != 0)
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_CONFLICT,
                   "The certificate authority '%s' is %s, not %s; there is no certificate "
                   "signing request waiting for a chain.", row.name, row.status,
                   CB_SB_CA_PENDING);
      return FALSE;
    }

  if (!cb_sb_ca_check_byor_chain (self, row.issuer_id, chain_pem, &chain_error))
    {
      g_set_error (error, CB_SB_ADR_CA_ERROR, CB_SB_ADR_CA_ERROR_BAD_CHAIN,
                   "The certificate chain cannot activate '%s': %s", row.name,
                   chain_error->message);
      return FALSE;
    }

  return TRUE;
}

gboolean
cb_sb_adr_ca_check_rotate (CbSandbox   *self,
                           const char  *ca_id,
                           GError     **error)
{
  g_auto(CbSbCaRow) row = { 0 };

  return check_ica_of (self, ca_id, CB_SB_ISSUER_MICROSOFT, "revokeAndRotate", &row, error);
}

/* ---- What a completed operation does ---------------------------------------------------- */

static void
apply_tags (CbSandbox  *self,
            const char *table,
            const char *key,
            JsonObject *args)
{
  g_autofree char *text = NULL;
  JsonNode *tags;

  if (args == NULL || !json_object_has_member (args, "tags"))
    return;

  tags = json_object_get_member (args, "tags");
  if (!JSON_NODE_HOLDS_NULL (tags))
    text = json_to_string (tags, FALSE);
  cb_sb_adr_set_tags (self, table, "id", key, text);
}

gboolean
cb_sb_adr_ca_prepare (CbSandbox   *self,
                      CbSbCaRow   *row,
                      GError     **error)
{
  g_autofree char *issuer = NULL;
  gboolean external;

  if (g_strcmp0 (row->ca_type, CB_SB_CA_TYPE_ROOT) == 0)
    return cb_sb_ca_create_named_root (self, row->namespace_id, row->name, error);

  external = g_strcmp0 (row->issuer_type, CB_SB_ISSUER_EXTERNAL) == 0;
  issuer = cb_sb_ca_create_named_issuer (self, row->namespace_id, row->id, row->name, external,
                                         error);
  if (issuer == NULL)
    return FALSE;

  g_free (row->issuer_id);
  row->issuer_id = g_steal_pointer (&issuer);
  g_free (row->status);
  row->status = g_strdup (external ? CB_SB_CA_PENDING : CB_SB_CA_ACTIVE);
  return TRUE;
}

void
cb_sb_adr_ca_discard (CbSandbox       *self,
                      const CbSbCaRow *row)
{
  if (row->issuer_id == NULL)
    return;

  /* Never published, so no hub trusts it; a pending one goes with its key. */
  cb_sb_ca_drop_pending_issuer (self, row->issuer_id);
  cb_sb_ca_revoke_issuer (self, row->issuer_id, NULL);
}

static gboolean
delete_ca (CbSandbox   *self,
           CbSbCaRow   *row,
           GError     **error)
{
  if (g_strcmp0 (row->ca_type, CB_SB_CA_TYPE_ROOT) == 0)
    {
      g_autofree char *names = NULL;

      if (count_icas (self, row->namespace_id, NULL, &names) > 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       "The namespace still has intermediate certificate authorities (%s).",
                       names);
          return FALSE;
        }
      cb_sb_ca_delete_root (self, row->namespace_id);
    }
  else if (row->issuer_id != NULL)
    {
      /* Issuance stops; an active ICA's hub certificates stay (as when a preview policy is
       * deleted), so existing leaves keep working until those are deleted. */
      cb_sb_ca_drop_pending_issuer (self, row->issuer_id);
    }

  return cb_sb_adr_delete_ca (self, row->id, error);
}

/* revokeAndRotate: the old issuer goes on the root's CRL and every leaf it signed is refused
 * from now on; a new one signed by the same root takes its place under the same resource. */
static gboolean
rotate_ca (CbSandbox   *self,
           CbSbCaRow   *row,
           GError     **error)
{
  g_autofree char *issuer = NULL;

  if (row->issuer_id != NULL && !cb_sb_ca_revoke_issuer (self, row->issuer_id, error))
    return FALSE;

  issuer = cb_sb_ca_create_named_issuer (self, row->namespace_id, row->id, row->name, FALSE,
                                         error);
  if (issuer == NULL)
    return FALSE;
  if (!cb_sb_adr_set_ca_issuer (self, row->id, issuer, CB_SB_CA_ACTIVE, error))
    return FALSE;

  g_free (row->issuer_id);
  row->issuer_id = g_steal_pointer (&issuer);
  cb_sb_events_recheck_all (self->events, "an issuing CA was revoked and rotated");
  return TRUE;
}

static gboolean
apply_ca_operation (CbSandbox   *self,
                    const char  *kind,
                    const char  *target,
                    JsonObject  *args,
                    const char  *caller,
                    GError     **error)
{
  g_auto(CbSbCaRow) row = { 0 };
  gboolean publish = FALSE;

  if (!cb_sb_adr_ca_row (self, target, &row))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The certificate authority %s no longer exists.", target);
      return FALSE;
    }

  if (g_str_equal (kind, "ca-create"))
    {
      /* The keys and certificates were made when the PUT came in (cb_sb_adr_ca_prepare);
       * completing makes a Microsoft-issued ICA usable. */
      publish = g_strcmp0 (row.issuer_type, CB_SB_ISSUER_MICROSOFT) == 0 && row.issuer_id != NULL;
    }
  else if (g_str_equal (kind, "ca-update"))
    {
      apply_tags (self, "adr_cas", target, args);
    }
  else if (g_str_equal (kind, "ca-delete"))
    {
      return delete_ca (self, &row, error);
    }
  else if (g_str_equal (kind, "ca-activate"))
    {
      const char *chain = args != NULL
                          ? json_object_get_string_member_with_default (args, "certificateChain",
                                                                        NULL)
                          : NULL;

      if (!cb_sb_ca_activate_issuer (self, row.issuer_id, chain, error) ||
          !cb_sb_adr_set_ca_issuer (self, target, NULL, CB_SB_CA_ACTIVE, error))
        return FALSE;
      publish = TRUE;
    }
  else if (g_str_equal (kind, "ca-rotate"))
    {
      if (!rotate_ca (self, &row, error))
        return FALSE;
      publish = TRUE;
    }

  cb_sb_adr_set_state (self, "adr_cas", "id", target, "Succeeded");
  cb_sb_adr_set_modified (self, "adr_cas", "id", target, caller);

  if (publish)
    cb_sb_events_issuer_published (self->events, row.namespace_id, row.issuer_id);

  return TRUE;
}

static gboolean
apply_policy_operation (CbSandbox   *self,
                        const char  *kind,
                        const char  *target,
                        JsonObject  *args,
                        const char  *caller,
                        GError     **error)
{
  g_auto(CbSbCaPolicyRow) row = { 0 };

  if (!cb_sb_adr_ca_policy_row (self, target, &row))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "The certificate policy %s no longer exists.", target);
      return FALSE;
    }

  if (g_str_equal (kind, "capolicy-delete"))
    return cb_sb_adr_delete_ca_policy (self, target, error);

  if (g_str_equal (kind, "capolicy-update"))
    {
      gint64 days = args != NULL
                    ? json_object_get_int_member_with_default (args, "validityPeriodInDays", 0)
                    : 0;

      if (!cb_sb_adr_update_ca_policy (self, target, days, row.tags, cb_sb_actor (caller),
                                       error))
        return FALSE;
      apply_tags (self, "adr_ca_policies", target, args);
    }

  cb_sb_adr_set_state (self, "adr_ca_policies", "id", target, "Succeeded");
  cb_sb_adr_set_modified (self, "adr_ca_policies", "id", target, caller);
  return TRUE;
}

gboolean
cb_sb_adr_ca_apply_operation (CbSandbox   *self,
                              const char  *kind,
                              const char  *target,
                              JsonObject  *args,
                              const char  *caller,
                              GError     **error)
{
  g_return_val_if_fail (cb_sb_adr_ca_is_kind (kind), FALSE);

  if (g_str_has_prefix (kind, "capolicy-"))
    return apply_policy_operation (self, kind, target, args, caller, error);

  return apply_ca_operation (self, kind, target, args, caller, error);
}
