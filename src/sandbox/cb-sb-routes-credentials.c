/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-arm"

/* The ARM surface of a namespace's credential (Microsoft.DeviceRegistry/namespaces/credentials,
 * always named "default": its root CA) and its policies (credentials/policies: an issuing CA
 * each): list, get, PUT, PATCH, delete, the credential's synchronize, and the policies'
 * revokeIssuer and activateBringYourOwnRoot actions (2026-03-01-preview only). A credential
 * with policies cannot be deleted; a credential holds at most max_policies policies. */

#include "config.h"

#include "cb-sb-adr-ops.h"
#include "cb-sb-adr-store.h"
#include "cb-sb-arm-body.h"
#include "cb-sb-arm-json.h"
#include "cb-sb-arm-request.h"
#include "cb-sb-arm-write.h"
#include "cb-sb-ca.h"
#include "cb-sb-ca-byor.h"
#include "cb-sb-json.h"
#include "cb-sb-routes-credentials.h"

#define OP_CRED_WRITE      "Microsoft.DeviceRegistry/namespaces/credentials/write"
#define OP_CRED_DELETE     "Microsoft.DeviceRegistry/namespaces/credentials/delete"
#define OP_CRED_READ       "Microsoft.DeviceRegistry/namespaces/credentials/read"
#define OP_CRED_SYNC       "Microsoft.DeviceRegistry/namespaces/credentials/synchronize/action"
#define OP_POLICY_WRITE    "Microsoft.DeviceRegistry/namespaces/credentials/policies/write"
#define OP_POLICY_DELETE   "Microsoft.DeviceRegistry/namespaces/credentials/policies/delete"
#define OP_POLICY_READ     "Microsoft.DeviceRegistry/namespaces/credentials/policies/read"
#define OP_POLICY_REVOKE   "Microsoft.DeviceRegistry/namespaces/credentials/policies/revokeIssuer/action"
#define OP_POLICY_ACTIVATE "Microsoft.DeviceRegistry/namespaces/credentials/policies/activateBringYourOwnRoot/action"

/* 'a', 'b' */
static char *
join_names (GPtrArray *names)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (out, "%s'%s'", i > 0 ? ", " : "",
                            (const char *) g_ptr_array_index (names, i));

  return g_string_free (out, FALSE);
}

/* ---- The credential --------------------------------------------------------------------- */

static void
reply_credential_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/credentials/default", CB_SB_TYPE_NAMESPACE,
                                           cb_sb_param (req, "ns"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
credentials_list (CbSbRequest      *req,
                  const CbSbArmIds *ids)
{
  cb_sb_arm_reply_namespace_list (req, ids->ns_id,
                                  "SELECT namespace_id, namespace_id FROM adr_credentials "
                                  "WHERE namespace_id = ?1 AND namespace_id > :k1 "
                                  "ORDER BY namespace_id LIMIT :limit",
                                  cb_sb_arm_credential_json);
}

static void
credential_get (CbSbRequest      *req,
                const CbSbArmIds *ids)
{
  g_autofree char *state = NULL;

  if ((state = cb_sb_arm_require_namespace (req, ids->ns_id, NULL)) == NULL)
    return;

  cb_sb_arm_reply_found (req, cb_sb_arm_credential_json (req->sandbox, ids->ns_id,
                                                         cb_sb_arm_api_version (req)),
                         reply_credential_not_found);
}

static void
credential_put (CbSbRequest      *req,
                const CbSbArmIds *ids)
{
  CbSandbox *self = req->sandbox;
  const char *ns_id = ids->ns_id;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *current_location = NULL;
  JsonObject *obj;
  JsonObject *properties;
  const char *location;

  if ((ns_state = cb_sb_arm_require_namespace (req, ns_id, NULL)) == NULL ||
      cb_sb_arm_reply_if_deleting (req, ns_state))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL)
    return;
  if (!cb_sb_arm_require_location (req, obj, &location) || !cb_sb_arm_get_tags (req, obj, &tags) ||
      !cb_sb_arm_get_object (req, obj, "properties", "properties", &properties))
    return;

  state = cb_sb_adr_credential_state (self, ns_id, &current_location);
  if (state != NULL && g_strcmp0 (state, "Failed") != 0)
    {
      if (cb_sb_arm_reply_if_deleting (req, state) ||
          !cb_sb_arm_check_location_unchanged (req, "default", current_location, location))
        return;

      if (tags != NULL)
        cb_sb_adr_set_tags (self, "adr_credentials", "namespace_id", ns_id, tags);
      cb_sb_adr_set_modified (self, "adr_credentials", "namespace_id", ns_id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        cb_sb_arm_credential_json (self, ns_id, cb_sb_arm_api_version (req)));
      return;
    }

  /* A failed creation is retried by PUT, as in ARM. */
  if (state != NULL)
    cb_sb_adr_delete_credential (self, ns_id, NULL);

  cb_sb_adr_insert_credential (self, ns_id, location, tags, "Accepted",
                               cb_sb_actor (req->principal), NULL);
  cb_sb_arm_reply_created (req, location, "credential-create", ns_id, ids->cred_id, NULL,
                           OP_CRED_WRITE,
                           cb_sb_arm_credential_json (self, ns_id, cb_sb_arm_api_version (req)));
}

static void
credential_patch (CbSbRequest      *req,
                  const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *ns_state = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;
  g_autofree char *tags = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;

  if ((ns_state = cb_sb_arm_require_namespace (req, ns_id, NULL)) == NULL)
    return;
  state = cb_sb_adr_credential_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      reply_credential_not_found (req);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !cb_sb_arm_get_tags (req, obj, &tags))
    return;

  args = cb_sb_arm_tags_args (tags);
  cb_sb_arm_start_patch (req, "credential-update", ns_id, ids->cred_id, location, state, args,
                         OP_CRED_WRITE);
}

static void
credential_delete (CbSbRequest      *req,
                   const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  g_autoptr(GPtrArray) policies = NULL;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;

  state = cb_sb_adr_credential_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  policies = cb_sb_adr_policy_names (req->sandbox, ns_id);
  if (policies->len > 0)
    {
      g_autofree char *names = join_names (policies);

      /* Learn: "If the credential has policies, you must first revoke or delete those
       * policies." */
      cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                             "The credential 'default' of namespace '%s' cannot be deleted "
                             "because it has policies (%s). You must first revoke or delete "
                             "those policies.",
                             cb_sb_param (req, "ns"), names);
      return;
    }

  cb_sb_arm_start_delete (req, "credential-delete", ns_id, ids->cred_id, location, state,
                          OP_CRED_DELETE);
}

static void
credential_synchronize (CbSbRequest      *req,
                        const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  g_autofree char *state = NULL;
  g_autofree char *location = NULL;

  state = cb_sb_adr_credential_state (req->sandbox, ns_id, &location);
  if (state == NULL)
    {
      reply_credential_not_found (req);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, state))
    return;

  cb_sb_arm_start_action (req, "credential-sync", ns_id, ids->cred_id, location, NULL,
                          CB_SB_FINAL_EMPTY, FALSE, OP_CRED_SYNC);
}

/* ---- Policies --------------------------------------------------------------------------- */

static void
reply_policy_not_found (CbSbRequest *req)
{
  g_autofree char *what = g_strdup_printf ("%s/%s/credentials/default/policies/%s",
                                           CB_SB_TYPE_NAMESPACE, cb_sb_param (req, "ns"),
                                           cb_sb_param (req, "policy"));

  cb_sb_arm_reply_not_found (req, what, cb_sb_param (req, "rg"));
}

static void
policies_list (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  if (!cb_sb_arm_require_credential (req, ids->ns_id, NULL))
    return;

  cb_sb_arm_reply_list (req,
                        "SELECT id, name FROM adr_policies WHERE namespace_id = ?1 AND name > :k1 "
                        "ORDER BY name LIMIT :limit",
                        ids->ns_id, NULL, cb_sb_arm_policy_json);
}

static void
policy_get (CbSbRequest      *req,
            const CbSbArmIds *ids)
{
  if (!cb_sb_arm_require_credential (req, ids->ns_id, NULL))
    return;

  cb_sb_arm_reply_found (req, cb_sb_arm_policy_json (req->sandbox, ids->policy_id,
                                                     cb_sb_arm_api_version (req)),
                         reply_policy_not_found);
}

#define P_CERT   "properties.certificate"
#define P_CA     "properties.certificate.certificateAuthorityConfiguration"
#define P_LEAF   "properties.certificate.leafCertificateConfiguration"
#define P_DAYS   "properties.certificate.leafCertificateConfiguration.validityPeriodInDays"
#define P_KEY    "properties.certificate.certificateAuthorityConfiguration.keyType"
#define P_BYOR   "properties.certificate.certificateAuthorityConfiguration.bringYourOwnRoot"

typedef struct
{
  const char *key_type;       /* NULL when absent */
  gboolean    days_given;
  gint64      days;
  int         byor;           /* -1 when absent */
  char       *tags;
  const char *location;
} PolicyInput;

static void
policy_input_clear (PolicyInput *in)
{
  g_clear_pointer (&in->tags, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PolicyInput, policy_input_clear)

/* Reads and validates a policy PUT or PATCH body; replies and returns FALSE when invalid. */
static gboolean
read_policy_input (CbSbRequest *req,
                   JsonObject  *obj,
                   PolicyInput *in)
{
  JsonObject *properties;
  JsonObject *certificate = NULL;
  JsonObject *ca = NULL;
  JsonObject *leaf = NULL;
  JsonObject *byor = NULL;

  in->byor = -1;

  if (!cb_sb_arm_get_object (req, obj, "properties", "properties", &properties) ||
      !cb_sb_arm_get_object (req, properties, "certificate", P_CERT, &certificate) ||
      !cb_sb_arm_get_object (req, certificate, "certificateAuthorityConfiguration", P_CA, &ca) ||
      !cb_sb_arm_get_object (req, certificate, "leafCertificateConfiguration", P_LEAF, &leaf) ||
      !cb_sb_arm_get_string (req, ca, "keyType", P_KEY, &in->key_type) ||
      !cb_sb_arm_get_object (req, ca, "bringYourOwnRoot", P_BYOR, &byor) ||
      !cb_sb_arm_get_boolean (req, byor, "enabled", P_BYOR ".enabled", &in->byor) ||
      !cb_sb_arm_get_int (req, leaf, "validityPeriodInDays", P_DAYS, &in->days_given, &in->days) ||
      !cb_sb_arm_get_tags (req, obj, &in->tags) ||
      !cb_sb_arm_get_string (req, obj, "location", "location", &in->location))
    return FALSE;

  if (in->key_type != NULL && g_strcmp0 (in->key_type, "ECC") != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "InvalidRequestContent", P_KEY,
                             "The value '%s' is not valid for keyType. The allowed values "
                             "are: 'ECC'.", in->key_type);
      return FALSE;
    }

  if (!cb_sb_arm_check_validity_days (req, P_DAYS, in->days_given, in->days))
    return FALSE;

  return TRUE;
}

static void
reply_policy_limit (CbSbRequest *req,
                    const char  *ns_id)
{
  g_autoptr(GPtrArray) names = cb_sb_adr_policy_names (req->sandbox, ns_id);
  g_autofree char *list = join_names (names);

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                         "The credential 'default' of namespace '%s' already has %u "
                         "polic%s (%s); a credential can have at most %u in this preview.",
                         cb_sb_param (req, "ns"), names->len, names->len == 1 ? "y" : "ies",
                         list, req->sandbox->max_policies);
}

static void
policy_put (CbSbRequest      *req,
            const CbSbArmIds *ids)
{
  CbSandbox *self = req->sandbox;
  const char *ns_id = ids->ns_id;
  const char *policy_id = ids->policy_id;
  const char *name = cb_sb_param (req, "policy");
  g_autoptr(JsonNode) body = NULL;
  g_auto(PolicyInput) in = { 0 };
  g_auto(CbSbPolicyRow) row = { 0 };
  g_autoptr(GPtrArray) names = NULL;
  g_autofree char *cred_location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;
  gboolean old_api = cb_sb_arm_is_old_api (req);

  if (!cb_sb_arm_require_credential (req, ns_id, &cred_location))
    return;

  if (!cb_sb_arm_require_child_name (req, name, "policy"))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !read_policy_input (req, obj, &in))
    return;

  if (cb_sb_adr_policy_row (self, policy_id, &row))
    {
      if (cb_sb_arm_reply_if_deleting (req, row.state))
        return;
      if (in.key_type != NULL && g_strcmp0 (in.key_type, row.key_type) != 0)
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed", P_KEY,
                                 "Changing property 'keyType' is not allowed.");
          return;
        }
      if (in.byor >= 0 && (in.byor != 0) != row.byor)
        {
          cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed",
                                 P_BYOR ".enabled",
                                 "Changing property 'bringYourOwnRoot.enabled' is not allowed.");
          return;
        }

      cb_sb_adr_update_policy (self, policy_id,
                               in.days_given ? in.days : CB_SB_DEFAULT_VALIDITY_DAYS,
                               old_api ? in.tags : NULL, old_api ? in.location : NULL);
      cb_sb_adr_set_modified (self, "adr_policies", "id", policy_id, req->principal);
      cb_sb_reply_json (req, SOUP_STATUS_OK,
                        cb_sb_arm_policy_json (self, policy_id, cb_sb_arm_api_version (req)));
      return;
    }

  if (in.key_type == NULL)
    {
      cb_sb_arm_reply_invalid_content (req, P_KEY,
                                       "The property 'keyType' is required to create a policy.");
      return;
    }

  names = cb_sb_adr_policy_names (self, ns_id);
  if (names->len >= self->max_policies)
    {
      reply_policy_limit (req, ns_id);
      return;
    }

  cb_sb_adr_insert_policy (self, ns_id, policy_id, name,
                           in.days_given ? in.days : CB_SB_DEFAULT_VALIDITY_DAYS,
                           in.byor > 0 && !old_api, old_api ? in.location : NULL,
                           old_api ? in.tags : NULL, "Accepted", cb_sb_actor (req->principal));
  args = g_strdup_printf ("{\"byor\":%s}", in.byor > 0 && !old_api ? "true" : "false");
  cb_sb_arm_reply_created (req, cred_location, "policy-create", policy_id, policy_id, args,
                           OP_POLICY_WRITE,
                           cb_sb_arm_policy_json (self, policy_id, cb_sb_arm_api_version (req)));
}

/* Looks the policy up under an existing credential; replies 404 otherwise. */
static gboolean
require_policy (CbSbRequest   *req,
                const char    *ns_id,
                const char    *policy_id,
                char         **location,
                CbSbPolicyRow *row)
{
  if (!cb_sb_arm_require_credential (req, ns_id, location))
    return FALSE;

  if (!cb_sb_adr_policy_row (req->sandbox, policy_id, row))
    {
      reply_policy_not_found (req);
      return FALSE;
    }

  return TRUE;
}

static void
policy_patch (CbSbRequest      *req,
              const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  const char *policy_id = ids->policy_id;
  g_autoptr(JsonNode) body = NULL;
  g_auto(PolicyInput) in = { 0 };
  g_auto(CbSbPolicyRow) row = { 0 };
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;

  if (!require_policy (req, ns_id, policy_id, &location, &row) ||
      cb_sb_arm_reply_if_deleting (req, row.state))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !read_policy_input (req, obj, &in))
    return;

  if (in.key_type != NULL && g_strcmp0 (in.key_type, row.key_type) != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed", P_KEY,
                             "Changing property 'keyType' is not allowed.");
      return;
    }
  if (in.byor >= 0 && (in.byor != 0) != row.byor)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "PropertyChangeNotAllowed",
                             P_BYOR ".enabled",
                             "Changing property 'bringYourOwnRoot.enabled' is not allowed.");
      return;
    }

  args = g_strdup_printf ("{\"validityPeriodInDays\":%" G_GINT64_FORMAT ",\"tags\":%s}",
                          in.days_given ? in.days : 0,
                          in.tags != NULL && cb_sb_arm_is_old_api (req) ? in.tags : "null");
  cb_sb_arm_start_patch (req, "policy-update", policy_id, policy_id, location, row.state, args,
                         OP_POLICY_WRITE);
}

static void
policy_delete (CbSbRequest      *req,
               const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  const char *policy_id = ids->policy_id;
  g_auto(CbSbPolicyRow) row = { 0 };
  g_autofree char *location = NULL;

  if (!cb_sb_adr_policy_row (req->sandbox, policy_id, &row))
    {
      cb_sb_reply_empty (req, SOUP_STATUS_NO_CONTENT);
      return;
    }
  if (cb_sb_arm_reply_if_deleting (req, row.state))
    return;

  g_free (cb_sb_adr_credential_state (req->sandbox, ns_id, &location));
  cb_sb_arm_start_delete (req, "policy-delete", policy_id, policy_id,
                          location != NULL ? location : "global", row.state, OP_POLICY_DELETE);
}

static gboolean
reply_if_not_ready (CbSbRequest *req,
                    const char  *state)
{
  if (g_strcmp0 (state, "Succeeded") == 0)
    return FALSE;

  cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                         "The policy is in provisioningState '%s'; retry once it is "
                         "'Succeeded'.", state);
  return TRUE;
}

static void
policy_revoke_issuer (CbSbRequest      *req,
                      const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  const char *policy_id = ids->policy_id;
  g_auto(CbSbPolicyRow) row = { 0 };
  g_autofree char *location = NULL;

  if (!require_policy (req, ns_id, policy_id, &location, &row))
    return;

  if (row.byor)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", NULL,
                             "revokeIssuer is not supported for the policy '%s' because it uses "
                             "an external root (bringYourOwnRoot). Revoke every device "
                             "certificate it issued, then delete the policy.",
                             cb_sb_param (req, "policy"));
      return;
    }
  if (reply_if_not_ready (req, row.state))
    return;

  cb_sb_arm_start_action (req, "policy-revoke-issuer", policy_id, policy_id, location, NULL,
                          CB_SB_FINAL_EMPTY, FALSE, OP_POLICY_REVOKE);
}

static void
policy_activate (CbSbRequest      *req,
                 const CbSbArmIds *ids)
{
  const char *ns_id = ids->ns_id;
  const char *policy_id = ids->policy_id;
  g_auto(CbSbPolicyRow) row = { 0 };
  g_auto(CbSbIssuerInfo) info = { 0 };
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) args_node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *location = NULL;
  g_autofree char *args = NULL;
  JsonObject *obj;
  const char *chain = NULL;

  if (!require_policy (req, ns_id, policy_id, &location, &row))
    return;

  if (!row.byor)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", NULL,
                             "activateBringYourOwnRoot applies only to policies with "
                             "bringYourOwnRoot enabled; the policy '%s' uses the namespace's "
                             "own root.", cb_sb_param (req, "policy"));
      return;
    }
  if (reply_if_not_ready (req, row.state))
    return;

  if ((obj = cb_sb_arm_write_body (req, &body)) == NULL ||
      !cb_sb_arm_get_string (req, obj, "certificateChain", "certificateChain", &chain))
    return;
  if (chain == NULL || *chain == '\0')
    {
      cb_sb_arm_reply_invalid_content (req, "certificateChain",
                             "The property 'certificateChain' is required: the PEM chain from "
                             "the signed issuing CA certificate to your root.");
      return;
    }

  if (row.issuer_id == NULL || !cb_sb_ca_get_issuer_info (req->sandbox, row.issuer_id, &info) ||
      g_strcmp0 (info.status, "pending") != 0)
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_CONFLICT, "Conflict", NULL,
                             "The policy '%s' has no certificate signing request waiting for "
                             "activation.", cb_sb_param (req, "policy"));
      return;
    }

  if (!cb_sb_ca_check_byor_chain (req->sandbox, row.issuer_id, chain, &error))
    {
      cb_sb_reply_arm_error (req, SOUP_STATUS_BAD_REQUEST, "BadRequest", "certificateChain",
                             "The certificate chain was refused: %s", error->message);
      return;
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  cb_sb_json_add_string (b, "certificateChain", chain);
  json_builder_end_object (b);
  args_node = json_builder_get_root (b);
  args = json_to_string (args_node, FALSE);

  cb_sb_arm_start_action (req, "policy-activate", policy_id, policy_id, location, args,
                          CB_SB_FINAL_EMPTY, FALSE, OP_POLICY_ACTIVATE);
}

/* ---- Routes ----------------------------------------------------------------------------- */

#define CRED CB_SB_ARM_SCOPE_CREDENTIAL
#define POL  CB_SB_ARM_SCOPE_POLICY
#define CREDS CB_SB_PERM_WRITE_CREDENTIALS

CB_SB_ARM_ROUTE (handle_credentials_list, CB_SB_ARM_SCOPE_NAMESPACE, OP_CRED_READ,
                 CB_SB_PERM_READ, FALSE, FALSE, credentials_list)
CB_SB_ARM_ROUTE (handle_credential_get, CRED, OP_CRED_READ, CB_SB_PERM_READ, FALSE, FALSE,
                 credential_get)
CB_SB_ARM_ROUTE (handle_credential_put, CRED, OP_CRED_WRITE, CREDS, FALSE, TRUE, credential_put)
CB_SB_ARM_ROUTE (handle_credential_patch, CRED, OP_CRED_WRITE, CREDS, FALSE, TRUE,
                 credential_patch)
CB_SB_ARM_ROUTE (handle_credential_delete, CRED, OP_CRED_DELETE, CREDS, FALSE, TRUE,
                 credential_delete)
CB_SB_ARM_ROUTE (handle_credential_synchronize, CRED, OP_CRED_SYNC, CREDS, FALSE, TRUE,
                 credential_synchronize)
CB_SB_ARM_ROUTE (handle_policies_list, CRED, OP_POLICY_READ, CB_SB_PERM_READ, FALSE, FALSE,
                 policies_list)
CB_SB_ARM_ROUTE (handle_policy_get, POL, OP_POLICY_READ, CB_SB_PERM_READ, FALSE, FALSE,
                 policy_get)
CB_SB_ARM_ROUTE (handle_policy_put, POL, OP_POLICY_WRITE, CREDS, FALSE, TRUE, policy_put)
CB_SB_ARM_ROUTE (handle_policy_patch, POL, OP_POLICY_WRITE, CREDS, FALSE, TRUE, policy_patch)
CB_SB_ARM_ROUTE (handle_policy_delete, POL, OP_POLICY_DELETE, CREDS, FALSE, TRUE, policy_delete)
CB_SB_ARM_ROUTE (handle_policy_revoke_issuer, POL, OP_POLICY_REVOKE, CREDS, TRUE, TRUE,
                 policy_revoke_issuer)
CB_SB_ARM_ROUTE (handle_policy_activate, POL, OP_POLICY_ACTIVATE, CREDS, TRUE, TRUE,
                 policy_activate)

void
cb_sb_routes_credentials_add (CbSandbox *self)
{
  static const CbSbArmRouteEntry routes[] = {
    { "GET", CB_SB_ARM_NS "/credentials", handle_credentials_list },
    { "GET", CB_SB_ARM_CRED, handle_credential_get },
    { "PUT", CB_SB_ARM_CRED, handle_credential_put },
    { "PATCH", CB_SB_ARM_CRED, handle_credential_patch },
    { "DELETE", CB_SB_ARM_CRED, handle_credential_delete },
    { "POST", CB_SB_ARM_CRED "/synchronize", handle_credential_synchronize },
    { "GET", CB_SB_ARM_CRED "/policies", handle_policies_list },
    { "GET", CB_SB_ARM_POL, handle_policy_get },
    { "PUT", CB_SB_ARM_POL, handle_policy_put },
    { "PATCH", CB_SB_ARM_POL, handle_policy_patch },
    { "DELETE", CB_SB_ARM_POL, handle_policy_delete },
    { "POST", CB_SB_ARM_POL "/revokeIssuer", handle_policy_revoke_issuer },
    { "POST", CB_SB_ARM_POL "/activateBringYourOwnRoot", handle_policy_activate },
  };

  cb_sb_arm_add_routes (self, routes, G_N_ELEMENTS (routes));
}
