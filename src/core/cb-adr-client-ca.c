/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-adr-client"

/* CbAdrClient, continued: what only ADR's stable 2026-11-01 model has. Certificate authorities
 * (a root and up to three ICAs per namespace), the certificate policy under an ICA, activate
 * (an External ICA) and revokeAndRotate (a Microsoft-issued ICA), and the hubs and DPS linked
 * to the namespace as endpoints. Also which model a namespace uses: the client finds out once
 * per namespace, so the operations both models share (cb-adr-client.c) pick their paths without
 * their callers knowing about api-versions. */

#include "config.h"

#include "cb-adr-client-ca.h"
#include "cb-adr-client-private.h"
#include "cb-adr-json-private.h"
#include "cb-json-body.h"
#include "cb-error.h"
#include "cb-http-response.h"

#define CA_API_VERSION CB_ADR_API_VERSION_CERTIFICATE_AUTHORITIES

static char *
ca_url (CbAdrClient  *self,
        const char   *ca,
        const char   *tail1,
        const char   *tail2,
        const char   *tail3,
        GError      **error)
{
  const char *segments[] = { "certificateAuthorities", ca, tail1, tail2, tail3, NULL };

  return _cb_adr_client_namespace_url (self, NULL, segments, CA_API_VERSION, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Certificate authorities                                                                      */

static int
compare_cas (gconstpointer a,
             gconstpointer b)
{
  CbCertificateAuthority *ca_a = *(CbCertificateAuthority **) a;
  CbCertificateAuthority *ca_b = *(CbCertificateAuthority **) b;
  CbCaKind kind_a = cb_certificate_authority_get_kind (ca_a);
  CbCaKind kind_b = cb_certificate_authority_get_kind (ca_b);

  if (kind_a != kind_b)
    return kind_a == CB_CA_KIND_ROOT ? -1 : 1;
  return g_ascii_strcasecmp (cb_certificate_authority_get_name (ca_a),
                             cb_certificate_authority_get_name (ca_b));
}

static void
list_cas_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GPtrArray *cas;

  cas = cb_arm_finish_pointer (source, result, cb_adr_client_list_certificate_authorities_async,
                               &error);
  if (cas == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  g_ptr_array_sort (cas, compare_cas);
  g_task_return_pointer (task, cas, (GDestroyNotify) g_ptr_array_unref);
}

void
cb_adr_client_list_certificate_authorities_async (CbAdrClient         *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  const char *segments[] = { "certificateAuthorities", NULL };
  GTask *task;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_adr_client_list_certificate_authorities_async);

  url = _cb_adr_client_namespace_url (self, NULL, segments, CA_API_VERSION, &error);
  cb_arm_engine_list (cb_adr_client_get_arm_engine (self), self,
                      cb_adr_client_list_certificate_authorities_async, url, error,
                      (CbArmParseFunc) cb_certificate_authority_new_from_json, FALSE,
                      cancellable, list_cas_cb, task);
}

GPtrArray *
cb_adr_client_list_certificate_authorities_finish (CbAdrClient   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonNode *
build_ca_body (const char *location,
               CbCaIssuer  issuer,
               const char *root_id)
{
  JsonNode *body = cb_json_body_new ();

  cb_json_body_set_string (body, "location", location);
  cb_json_body_set_string (body, "properties/certificateAuthorityType",
                           issuer == CB_CA_ISSUER_NONE ? "Root" : "ICA");
  cb_json_body_set_string (body, "properties/keyType", "ECC");
  if (issuer != CB_CA_ISSUER_NONE)
    cb_json_body_set_string (body, "properties/issuer/issuerType",
                             issuer == CB_CA_ISSUER_MICROSOFT ? "Microsoft" : "External");
  if (issuer == CB_CA_ISSUER_MICROSOFT)
    cb_json_body_set_string (body, "properties/issuer/certificateAuthorityResourceId", root_id);

  return body;
}

void
cb_adr_client_create_certificate_authority_async (CbAdrClient         *self,
                                                  const char          *name,
                                                  const char          *location,
                                                  CbCaIssuer           issuer,
                                                  const char          *root_id,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail ((issuer == CB_CA_ISSUER_MICROSOFT) == (root_id != NULL));

  if (location == NULL || *location == '\0')
    location = cb_profile_get_location (cb_adr_client_get_profile (self));
  if (location == NULL || *location == '\0')
    {
      /* No request without a place: the CA lives where its namespace lives. */
      g_task_report_new_error (self, callback, user_data,
                               cb_adr_client_create_certificate_authority_async,
                               G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Neither the caller nor the profile gives a location for the "
                               "certificate authority “%s”", name);
      return;
    }

  url = ca_url (self, name, NULL, NULL, NULL, &error);
  body = build_ca_body (location, issuer, root_id);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_create_certificate_authority_async, "PUT", url, error, body,
                       NULL, CB_ARM_FINAL_ORIGINAL, CB_ARM_RESULT_OBJECT,
                       (CbArmParseFunc) cb_certificate_authority_new_from_json,
                       cancellable, callback, user_data);
}

/**
 * cb_adr_client_create_certificate_authority_finish:
 *
 * Returns: (transfer full): the CA once provisioned
 */
CbCertificateAuthority *
cb_adr_client_create_certificate_authority_finish (CbAdrClient   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_create_certificate_authority_async,
                                error);
}

void
cb_adr_client_delete_certificate_authority_async (CbAdrClient         *self,
                                                  const char          *name,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');

  url = ca_url (self, name, NULL, NULL, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_delete_certificate_authority_async, "DELETE", url, error,
                       NULL, NULL, CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL,
                       cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_certificate_authority_finish (CbAdrClient   *self,
                                                   GAsyncResult  *result,
                                                   GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_delete_certificate_authority_async,
                                error);
}

void
cb_adr_client_activate_certificate_authority_async (CbAdrClient         *self,
                                                    const char          *name,
                                                    const char          *chain_pem,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (chain_pem != NULL);

  url = ca_url (self, name, "activate", NULL, NULL, &error);
  body = cb_json_body_new_string ("certificateChain", chain_pem);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_activate_certificate_authority_async, "POST", url, error,
                       body, NULL, CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL,
                       cancellable, callback, user_data);
}

gboolean
cb_adr_client_activate_certificate_authority_finish (CbAdrClient   *self,
                                                     GAsyncResult  *result,
                                                     GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_activate_certificate_authority_async,
                                error);
}

void
cb_adr_client_revoke_and_rotate_async (CbAdrClient         *self,
                                       const char          *name,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');

  url = ca_url (self, name, "revokeAndRotate", NULL, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_revoke_and_rotate_async, "POST", url, error, NULL, NULL,
                       CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL,
                       cancellable, callback, user_data);
}

gboolean
cb_adr_client_revoke_and_rotate_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_revoke_and_rotate_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Certificate policies                                                                         */

static void
list_policies_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbCertificateAuthority *ca = g_task_get_task_data (task);
  GError *error = NULL;
  GPtrArray *policies;

  policies = cb_arm_finish_pointer (source, result, cb_adr_client_list_certificate_policies_async,
                                    &error);
  if (policies == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < policies->len; i++)
    cb_policy_set_certificate_authority (g_ptr_array_index (policies, i), ca);
  g_task_return_pointer (task, policies, (GDestroyNotify) g_ptr_array_unref);
}

void
cb_adr_client_list_certificate_policies_async (CbAdrClient            *self,
                                               CbCertificateAuthority *ca,
                                               GCancellable           *cancellable,
                                               GAsyncReadyCallback     callback,
                                               gpointer                user_data)
{
  GTask *task;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (CB_IS_CERTIFICATE_AUTHORITY (ca));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_adr_client_list_certificate_policies_async);
  g_task_set_task_data (task, g_object_ref (ca), g_object_unref);

  url = ca_url (self, cb_certificate_authority_get_name (ca), "certificatePolicies", NULL, NULL,
                &error);
  cb_arm_engine_list (cb_adr_client_get_arm_engine (self), self,
                      cb_adr_client_list_certificate_policies_async, url, error,
                      (CbArmParseFunc) cb_policy_new_from_certificate_policy_json, FALSE,
                      cancellable, list_policies_cb, task);
}

GPtrArray *
cb_adr_client_list_certificate_policies_finish (CbAdrClient   *self,
                                                GAsyncResult  *result,
                                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static JsonNode *
build_policy_body (guint validity_days)
{
  /* Range checks are the service's: it answers with its own code and message. */
  return cb_json_body_new_int ("properties/certificate/validityPeriodInDays", validity_days);
}

void
cb_adr_client_put_certificate_policy_async (CbAdrClient         *self,
                                            const char          *ca_name,
                                            const char          *policy,
                                            guint                validity_days,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (ca_name != NULL && *ca_name != '\0');
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = ca_url (self, ca_name, "certificatePolicies", policy, NULL, &error);
  body = build_policy_body (validity_days);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_put_certificate_policy_async, "PUT", url, error, body, NULL,
                       CB_ARM_FINAL_ORIGINAL, CB_ARM_RESULT_OBJECT,
                       (CbArmParseFunc) cb_policy_new_from_certificate_policy_json,
                       cancellable, callback, user_data);
}

CbPolicy *
cb_adr_client_put_certificate_policy_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_put_certificate_policy_async, error);
}

void
cb_adr_client_update_certificate_policy_async (CbAdrClient         *self,
                                               const char          *ca_name,
                                               const char          *policy,
                                               guint                validity_days,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (ca_name != NULL && *ca_name != '\0');
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = ca_url (self, ca_name, "certificatePolicies", policy, NULL, &error);
  body = build_policy_body (validity_days);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_update_certificate_policy_async, "PATCH", url, error, body,
                       NULL, CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_OBJECT,
                       (CbArmParseFunc) cb_policy_new_from_certificate_policy_json,
                       cancellable, callback, user_data);
}

CbPolicy *
cb_adr_client_update_certificate_policy_finish (CbAdrClient   *self,
                                                GAsyncResult  *result,
                                                GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_update_certificate_policy_async,
                                error);
}

void
cb_adr_client_delete_certificate_policy_async (CbAdrClient         *self,
                                               const char          *ca_name,
                                               const char          *policy,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (ca_name != NULL && *ca_name != '\0');
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = ca_url (self, ca_name, "certificatePolicies", policy, NULL, &error);
  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_delete_certificate_policy_async, "DELETE", url, error, NULL,
                       NULL, CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL,
                       cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_certificate_policy_finish (CbAdrClient   *self,
                                                GAsyncResult  *result,
                                                GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_delete_certificate_policy_async,
                                error);
}

/* -------------------------------------------------------------------------------------------- */
/* Hubs and DPS linked to the namespace                                                         */

void
cb_adr_client_set_endpoint_async (CbAdrClient         *self,
                                  CbEndpointKind       kind,
                                  const char          *link_name,
                                  const char          *resource_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (link_name != NULL && *link_name != '\0');

  url = _cb_adr_client_namespace_url (self, NULL, NULL, CA_API_VERSION, &error);

  /* A merge patch: the other links stay as they are; null removes this one. */
  path = g_strdup_printf ("properties/%s/endpoints/%s",
                          kind == CB_ENDPOINT_MESSAGING ? "messaging" : "provisioning",
                          link_name);
  body = cb_json_body_new ();
  cb_json_body_set_node (body, path,
                         resource_id == NULL ? NULL
                         : cb_namespace_endpoint_build_link (kind == CB_ENDPOINT_MESSAGING
                                                             ? CB_ENDPOINT_TYPE_IOT_HUB
                                                             : CB_ENDPOINT_TYPE_DPS,
                                                             resource_id));

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       cb_adr_client_set_endpoint_async, "PATCH", url, error, body, NULL,
                       CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_OBJECT,
                       (CbArmParseFunc) cb_namespace_new_from_json,
                       cancellable, callback, user_data);
}

/**
 * cb_adr_client_set_endpoint_finish:
 *
 * Returns: (transfer full): the namespace with its endpoints
 */
CbNamespace *
cb_adr_client_set_endpoint_finish (CbAdrClient   *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  CbNamespace *ns = cb_arm_finish_pointer (self, result, cb_adr_client_set_endpoint_async, error);

  if (ns != NULL)
    cb_namespace_set_model (ns, CB_ADR_MODEL_CERTIFICATE_AUTHORITIES);
  return ns;
}

/* -------------------------------------------------------------------------------------------- */
/* Every policy of the namespace (what the shared policy operations read)                       */

typedef struct
{
  GPtrArray *cas;        /* the ICAs left to list, first one next */
  GPtrArray *policies;
} ListAll;

static void
list_all_free (ListAll *all)
{
  g_ptr_array_unref (all->cas);
  g_ptr_array_unref (all->policies);
  g_free (all);
}

static void list_all_next (GTask *task);

static void
list_all_policies_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  ListAll *all = g_task_get_task_data (task);
  g_autoptr(GPtrArray) policies = NULL;
  GError *error = NULL;

  policies = cb_adr_client_list_certificate_policies_finish (self, result, &error);
  if (policies == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);

      _cb_adr_client_remember_policy_ca (self, cb_policy_get_name (policy),
                                         cb_certificate_authority_get_name (
                                           cb_policy_get_certificate_authority (policy)));
      g_ptr_array_add (all->policies, g_object_ref (policy));
    }

  g_ptr_array_remove_index (all->cas, 0);
  list_all_next (g_steal_pointer (&task));
}

static void
list_all_next (GTask *task)
{
  CbAdrClient *self = g_task_get_source_object (task);
  ListAll *all = g_task_get_task_data (task);

  if (all->cas->len == 0)
    {
      g_task_return_pointer (task, g_ptr_array_ref (all->policies),
                             (GDestroyNotify) g_ptr_array_unref);
      g_object_unref (task);
      return;
    }

  cb_adr_client_list_certificate_policies_async (self, g_ptr_array_index (all->cas, 0),
                                                 g_task_get_cancellable (task),
                                                 list_all_policies_cb, task);
}

static void
list_all_cas_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) cas = NULL;
  ListAll *all;
  GError *error = NULL;

  cas = cb_adr_client_list_certificate_authorities_finish (self, result, &error);
  if (cas == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  all = g_new0 (ListAll, 1);
  all->cas = g_ptr_array_new_with_free_func (g_object_unref);
  all->policies = g_ptr_array_new_with_free_func (g_object_unref);
  /* Policies hang under ICAs; a root's are listed too, should the service keep one there
   * (its spec's example does; docs/sandbox.md says which rule the sandbox follows). */
  for (guint i = 0; i < cas->len; i++)
    g_ptr_array_add (all->cas, g_object_ref (g_ptr_array_index (cas, i)));
  g_task_set_task_data (task, all, (GDestroyNotify) list_all_free);

  list_all_next (g_steal_pointer (&task));
}

void
_cb_adr_client_list_ca_policies_async (CbAdrClient         *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, _cb_adr_client_list_ca_policies_async);
  cb_adr_client_list_certificate_authorities_async (self, cancellable, list_all_cas_cb, task);
}

GPtrArray *
_cb_adr_client_list_ca_policies_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
find_policy_ca_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  CbAdrClient *self = CB_ADR_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) policies = NULL;
  const char *policy = g_task_get_task_data (task);
  const char *ca;
  GError *error = NULL;

  policies = _cb_adr_client_list_ca_policies_finish (self, result, &error);
  if (policies == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  ca = _cb_adr_client_lookup_policy_ca (self, policy);
  if (ca == NULL)
    g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_NOT_FOUND,
                             "No certificate authority of namespace “%s” has a policy “%s”",
                             cb_adr_client_get_namespace (self), policy);
  else
    g_task_return_pointer (task, g_strdup (ca), g_free);
}

void
_cb_adr_client_find_policy_ca_async (CbAdrClient         *self,
                                     const char          *policy,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *ca;

  g_task_set_source_tag (task, _cb_adr_client_find_policy_ca_async);
  g_task_set_task_data (task, g_strdup (policy), g_free);

  ca = _cb_adr_client_lookup_policy_ca (self, policy);
  if (ca != NULL)
    {
      g_task_return_pointer (task, g_strdup (ca), g_free);
      return;
    }

  _cb_adr_client_list_ca_policies_async (self, cancellable, find_policy_ca_cb,
                                         g_steal_pointer (&task));
}

char *
_cb_adr_client_find_policy_ca_finish (CbAdrClient   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------------------------------------------- */
/* Registry devices                                                                             */

#define PROFILE_API_VERSION CB_ADR_API_VERSION_AUTHENTICATION_PROFILES
/* The one authentication profile a device whose certificates come from a certificate policy
 * has (registryDeviceAuthenticationProfiles.tsp). */
#define DEFAULT_PROFILE "default"

static char *
registry_device_url (CbAdrClient  *self,
                     const char   *device,
                     GError      **error)
{
  const char *segments[] = { "registryDevices", device, NULL };

  return _cb_adr_client_namespace_url (self, NULL, segments, CA_API_VERSION, error);
}

/* A registry device says nothing of where its certificates come from: its "default"
 * authentication profile does (certificateAuthority.certificatePolicyResourceId). The page's
 * devices get their policy from there, one profile after the other; a device without one (404)
 * has none. */
typedef struct
{
  CbArmPage *page;
  guint      next;
} DevicePolicies;

static void
device_policies_free (DevicePolicies *fill)
{
  g_clear_pointer (&fill->page, cb_arm_page_free);
  g_free (fill);
}

static void device_policies_next (GTask *task);

static void
device_profile_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  DevicePolicies *fill = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *body = NULL, *props = NULL, *ca = NULL;
  const char *policy_id = NULL;

  response = cb_arm_engine_request_finish (source, result, &error);
  if (response == NULL && !g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (response != NULL)
    body = cb_http_response_get_object (response);
  if (body != NULL &&
      (!cb_adr_json_get_object (body, "properties",
                                "authentication profile", &props, &error) ||
       !cb_adr_json_get_object (props, "certificateAuthority", "authentication profile", &ca,
                                &error) ||
       !cb_adr_json_get_string (ca, "certificatePolicyResourceId", "authentication profile",
                                &policy_id, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (policy_id != NULL)
    {
      /* .../certificateAuthorities/{ica}/certificatePolicies/{policy} */
      g_autofree char *name = cb_adr_json_id_segment (policy_id, "certificatePolicies");

      g_object_set (g_ptr_array_index (fill->page->items, fill->next), "policy-id", policy_id,
                    "policy-name", name, NULL);
    }

  fill->next++;
  device_policies_next (g_steal_pointer (&task));
}

static void
device_policies_next (GTask *task)
{
  CbAdrClient *self = g_task_get_source_object (task);
  DevicePolicies *fill = g_task_get_task_data (task);
  g_autofree char *url = NULL;
  GError *error = NULL;
  const char *segments[] = {
    "registryDevices", NULL, "authenticationProfiles", DEFAULT_PROFILE, NULL
  };

  while (fill->next < fill->page->items->len &&
         cb_adr_device_get_policy_id (g_ptr_array_index (fill->page->items, fill->next)) != NULL)
    fill->next++;
  if (fill->next == fill->page->items->len)
    {
      g_task_return_pointer (task, g_steal_pointer (&fill->page), (GDestroyNotify) cb_arm_page_free);
      g_object_unref (task);
      return;
    }

  segments[1] = cb_adr_device_get_name (g_ptr_array_index (fill->page->items, fill->next));
  url = _cb_adr_client_namespace_url (self, NULL, segments, PROFILE_API_VERSION, &error);
  if (url == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  cb_arm_engine_request_async (cb_adr_client_get_arm_engine (self), self, "GET", url, NULL, NULL,
                               CB_ARM_FINAL_NONE, FALSE, g_task_get_cancellable (task),
                               device_profile_cb, task);
}

static void
registry_page_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  DevicePolicies *fill = g_task_get_task_data (task);
  GError *error = NULL;

  fill->page = cb_arm_finish_pointer (source, result, registry_page_cb, &error);
  if (fill->page == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  device_policies_next (task);
}

void
_cb_adr_client_registry_list_devices_page_async (CbAdrClient         *self,
                                                 const char          *next_link,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data)
{
  CbArmEngine *arm = cb_adr_client_get_arm_engine (self);
  const char *segments[] = { "registryDevices", NULL };
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;
  char *url = NULL;

  g_task_set_source_tag (task, _cb_adr_client_registry_list_devices_page_async);
  g_task_set_task_data (task, g_new0 (DevicePolicies, 1), (GDestroyNotify) device_policies_free);

  if (next_link == NULL)
    url = _cb_adr_client_namespace_url (self, NULL, segments, CA_API_VERSION, &error);
  else if (cb_arm_engine_url_is_trusted (arm, next_link))
    url = g_strdup (next_link);
  else
    error = cb_arm_untrusted_url_error ("next page link");

  cb_arm_engine_list (arm, self, registry_page_cb, url, error,
                      (CbArmParseFunc) cb_adr_device_new_from_json, TRUE,
                      cancellable, registry_page_cb, task);
}

CbArmPage *
_cb_adr_client_registry_list_devices_page_finish (CbAdrClient   *self,
                                                  GAsyncResult  *result,
                                                  GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_registry_list_devices_page_async,
                                error);
}

void
_cb_adr_client_registry_get_device_async (CbAdrClient         *self,
                                          const char          *device,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  GError *error = NULL;
  char *url = registry_device_url (self, device, &error);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       _cb_adr_client_registry_get_device_async, "GET", url, error, NULL, NULL,
                       CB_ARM_FINAL_NONE, CB_ARM_RESULT_OBJECT,
                       (CbArmParseFunc) cb_adr_device_new_from_json,
                       cancellable, callback, user_data);
}

CbAdrDevice *
_cb_adr_client_registry_get_device_finish (CbAdrClient   *self,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_registry_get_device_async, error);
}

void
_cb_adr_client_registry_delete_device_async (CbAdrClient         *self,
                                             const char          *device,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  GError *error = NULL;
  char *url = registry_device_url (self, device, &error);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       _cb_adr_client_registry_delete_device_async, "DELETE", url, error, NULL,
                       NULL, CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL,
                       cancellable, callback, user_data);
}

gboolean
_cb_adr_client_registry_delete_device_finish (CbAdrClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_registry_delete_device_async,
                                error);
}

void
_cb_adr_client_registry_revoke_device_async (CbAdrClient         *self,
                                             const char          *device,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  const char *segments[] = {
    "registryDevices", device, "authenticationProfiles", DEFAULT_PROFILE, "revokeCertificates",
    NULL
  };
  GError *error = NULL;
  char *url = _cb_adr_client_namespace_url (self, NULL, segments, PROFILE_API_VERSION, &error);

  cb_arm_engine_start (cb_adr_client_get_arm_engine (self), self,
                       _cb_adr_client_registry_revoke_device_async, "POST", url, error, NULL,
                       NULL, CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL,
                       cancellable, callback, user_data);
}

gboolean
_cb_adr_client_registry_revoke_device_finish (CbAdrClient   *self,
                                              GAsyncResult  *result,
                                              GError       **error)
{
  return cb_arm_finish_boolean (self, result, _cb_adr_client_registry_revoke_device_async,
                                error);
}
