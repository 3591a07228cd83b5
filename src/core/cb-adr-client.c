/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-adr-client"

#include "config.h"

#include <string.h>

#include "cb-adr-client-private.h"
#include "cb-adr-json-private.h"
#include "cb-json-body.h"
#include "cb-error.h"
#include "cb-util.h"

struct _CbAdrClient
{
  GObject               parent_instance;

  /* Owned */
  CbArmEngine           arm;
  char                 *namespace;
  /* The namespace's model once found (cb-adr-client-model.c), forgotten when it changes. */
  CbAdrModel            model;
  /* 2026-11-01: policy name -> the ICA it hangs under, as last listed. */
  GHashTable           *policy_cas;
};

G_DEFINE_FINAL_TYPE (CbAdrClient, cb_adr_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROFILE,
  PROP_HTTP_CLIENT,
  PROP_NAMESPACE,
  PROP_MAX_POLL_DELAY_MS,
  PROP_OPERATION_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* -------------------------------------------------------------------------------------------- */
/* Pure helpers                                                                                 */

/**
 * cb_adr_parse_page:
 * @page: an ARM list response
 * @parse: parses one element
 * @next_link: (out) (optional): the next page's URL, NULL on the last page
 *
 * Returns: (transfer full): the elements, or %NULL with %CB_API_ERROR_PARSE
 */
GPtrArray *
cb_adr_parse_page (JsonNode        *page,
                   CbAdrParseFunc   parse,
                   char           **next_link,
                   GError         **error)
{
  return cb_arm_parse_page (page, parse, next_link, error);
}

/**
 * cb_adr_parse_revoke_result:
 * @body: the 200 body of a device revoke, or the final body of its operation
 *
 * Returns: %TRUE for {"result":"Succeeded"}
 */
gboolean
cb_adr_parse_revoke_result (JsonNode  *body,
                            GError   **error)
{
  JsonObject *obj;
  JsonObject *error_object = NULL;
  const char *result = NULL;

  if (!(obj = cb_adr_json_require_object (body, "revoke result", error)) ||
      !cb_adr_json_require_string (obj, "result", "revoke result", &result, error) ||
      !cb_adr_json_get_object (obj, "error", "revoke result", &error_object, error))
    return FALSE;

  if (g_str_equal (result, "Succeeded"))
    return TRUE;

  g_propagate_error (error,
                     cb_arm_operation_error_from_object (error_object, 200,
                                                  "The service could not revoke the device"));
  return FALSE;
}

/* -------------------------------------------------------------------------------------------- */
/* Object                                                                                       */

static void
cb_adr_client_finalize (GObject *object)
{
  CbAdrClient *self = (CbAdrClient *)object;

  cb_arm_engine_clear (&self->arm);
  g_clear_pointer (&self->namespace, g_free);
  g_clear_pointer (&self->policy_cas, g_hash_table_unref);

  G_OBJECT_CLASS (cb_adr_client_parent_class)->finalize (object);
}

static void
cb_adr_client_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CbAdrClient *self = CB_ADR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->arm.profile);
      break;
    case PROP_HTTP_CLIENT:
      g_value_set_object (value, self->arm.http);
      break;
    case PROP_NAMESPACE:
      g_value_set_string (value, cb_adr_client_get_namespace (self));
      break;
    case PROP_MAX_POLL_DELAY_MS:
      g_value_set_uint (value, self->arm.max_poll_delay_ms);
      break;
    case PROP_OPERATION_TIMEOUT:
      g_value_set_uint (value, self->arm.operation_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_adr_client_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  CbAdrClient *self = CB_ADR_CLIENT (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      self->arm.profile = g_value_dup_object (value);
      break;
    case PROP_HTTP_CLIENT:
      self->arm.http = g_value_dup_object (value);
      break;
    case PROP_NAMESPACE:
      cb_adr_client_set_namespace (self, g_value_get_string (value));
      break;
    case PROP_MAX_POLL_DELAY_MS:
      cb_adr_client_set_max_poll_delay_ms (self, g_value_get_uint (value));
      break;
    case PROP_OPERATION_TIMEOUT:
      cb_adr_client_set_operation_timeout (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_adr_client_class_init (CbAdrClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_adr_client_finalize;
  object_class->get_property = cb_adr_client_get_property;
  object_class->set_property = cb_adr_client_set_property;

  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL, CB_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HTTP_CLIENT] =
    g_param_spec_object ("http-client", NULL, NULL, CB_TYPE_HTTP_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAMESPACE] =
    g_param_spec_string ("namespace", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_POLL_DELAY_MS] =
    g_param_spec_uint ("max-poll-delay-ms", NULL, NULL, 0, 3600 * 1000, CB_ARM_DEFAULT_MAX_POLL_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OPERATION_TIMEOUT] =
    g_param_spec_uint ("operation-timeout", NULL, NULL, 1, 24 * 3600, CB_ARM_DEFAULT_OPERATION_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_adr_client_init (CbAdrClient *self)
{
  cb_arm_engine_init (&self->arm, CB_ADR_ARM_SCOPE);
  self->policy_cas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * cb_adr_client_new:
 * @profile: where ARM is and which subscription, resource group, namespace and hub to use
 * @http: the HTTP client (its session, trust and 429/503 retries)
 *
 * Set a token source with cb_adr_client_set_access_token() or
 * cb_adr_client_set_token_func() before calling anything.
 *
 * Returns: (transfer full): a new client
 */
CbAdrClient *
cb_adr_client_new (CbProfile    *profile,
                   CbHttpClient *http)
{
  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (http), NULL);

  return g_object_new (CB_TYPE_ADR_CLIENT,
                       "profile", profile,
                       "http-client", http,
                       NULL);
}

/**
 * cb_adr_client_get_profile:
 *
 * Returns: (transfer none): the profile
 */
CbProfile *
cb_adr_client_get_profile (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), NULL);

  return self->arm.profile;
}

void
cb_adr_client_set_access_token (CbAdrClient *self,
                                const char  *token)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  cb_arm_engine_set_access_token (&self->arm, token);
}

/**
 * cb_adr_client_set_token_func:
 * @func: (nullable): starts getting a token for a scope
 * @finish: (nullable): finishes it
 *
 * Used when no fixed access token is set.
 */
void
cb_adr_client_set_token_func (CbAdrClient          *self,
                              CbAdrTokenFunc        func,
                              CbAdrTokenFinishFunc  finish,
                              gpointer              user_data,
                              GDestroyNotify        destroy)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail ((func == NULL) == (finish == NULL));

  cb_arm_engine_set_token_func (&self->arm, func, finish, user_data, destroy);
}

/**
 * cb_adr_client_set_entra_client:
 * @entra: (nullable): where ARM tokens come from
 *
 * Shorthand for cb_adr_client_set_token_func() with the Entra client's token cache.
 */
void
cb_adr_client_set_entra_client (CbAdrClient   *self,
                                CbEntraClient *entra)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!entra || CB_IS_ENTRA_CLIENT (entra));

  cb_arm_engine_set_entra_client (&self->arm, entra);
}

const char *
cb_adr_client_get_namespace (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), NULL);

  if (self->namespace != NULL)
    return self->namespace;

  return cb_profile_get_namespace (self->arm.profile);
}

void
cb_adr_client_set_namespace (CbAdrClient *self,
                             const char  *ns)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  if (ns != NULL && *ns == '\0')
    ns = NULL;

  if (cb_set_str (&self->namespace, ns))
    {
      self->model = CB_ADR_MODEL_UNKNOWN;
      g_hash_table_remove_all (self->policy_cas);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAMESPACE]);
    }
}

guint
cb_adr_client_get_max_poll_delay_ms (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), 0);

  return self->arm.max_poll_delay_ms;
}

void
cb_adr_client_set_max_poll_delay_ms (CbAdrClient *self,
                                     guint        max_ms)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  if (self->arm.max_poll_delay_ms == max_ms)
    return;

  self->arm.max_poll_delay_ms = max_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_POLL_DELAY_MS]);
}

guint
cb_adr_client_get_operation_timeout (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), 0);

  return self->arm.operation_timeout;
}

void
cb_adr_client_set_operation_timeout (CbAdrClient *self,
                                     guint        seconds)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  seconds = MAX (seconds, 1);
  if (self->arm.operation_timeout == seconds)
    return;

  self->arm.operation_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPERATION_TIMEOUT]);
}

/* -------------------------------------------------------------------------------------------- */
/* URLs                                                                                         */

/* {arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces/{ns}
 * followed by extra (NULL-terminated) segments. */
char *
_cb_adr_client_namespace_url (CbAdrClient         *self,
                              const char          *ns,
                              const char * const  *extra,
                              const char          *api_version,
                              GError             **error)
{
  const char *arm = cb_profile_get_arm_endpoint (self->arm.profile);
  const char *sub = cb_profile_get_subscription_id (self->arm.profile);
  const char *rg = cb_profile_get_resource_group (self->arm.profile);
  g_autoptr(GPtrArray) segments = g_ptr_array_new ();

  if (ns == NULL)
    ns = cb_adr_client_get_namespace (self);

  if (!cb_arm_require_setting (arm, "ARM endpoint", error) ||
      !cb_arm_require_setting (sub, "subscription id", error) ||
      !cb_arm_require_setting (rg, "resource group", error) ||
      !cb_arm_require_setting (ns, "ADR namespace", error))
    return NULL;

  g_ptr_array_add (segments, (gpointer) "subscriptions");
  g_ptr_array_add (segments, (gpointer) sub);
  g_ptr_array_add (segments, (gpointer) "resourceGroups");
  g_ptr_array_add (segments, (gpointer) rg);
  g_ptr_array_add (segments, (gpointer) "providers");
  g_ptr_array_add (segments, (gpointer) "Microsoft.DeviceRegistry");
  g_ptr_array_add (segments, (gpointer) "namespaces");
  g_ptr_array_add (segments, (gpointer) ns);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (segments, (gpointer) extra[i]);
  g_ptr_array_add (segments, NULL);

  return cb_arm_build_url (arm, (const char * const *) segments->pdata, api_version);
}

static char *
namespace_url (CbAdrClient         *self,
               const char          *ns,
               const char * const  *extra,
               GError             **error)
{
  return _cb_adr_client_namespace_url (self, ns, extra, CB_ADR_API_VERSION, error);
}

CbAdrModel
_cb_adr_client_get_model (CbAdrClient *self)
{
  return self->model;
}

void
_cb_adr_client_set_model (CbAdrClient *self,
                          CbAdrModel   model)
{
  self->model = model;
}

void
_cb_adr_client_remember_policy_ca (CbAdrClient *self,
                                   const char  *policy,
                                   const char  *ca)
{
  /* ARM names compare without case. */
  g_hash_table_replace (self->policy_cas, g_ascii_strdown (policy, -1), g_strdup (ca));
}

void
_cb_adr_client_forget_policy_ca (CbAdrClient *self,
                                 const char  *policy)
{
  g_autofree char *key = g_ascii_strdown (policy, -1);

  g_hash_table_remove (self->policy_cas, key);
}

const char *
_cb_adr_client_lookup_policy_ca (CbAdrClient *self,
                                 const char  *policy)
{
  g_autofree char *key = g_ascii_strdown (policy, -1);

  return g_hash_table_lookup (self->policy_cas, key);
}

/**
 * cb_adr_client_dup_namespace_url:
 * @ns: (nullable): a namespace name; NULL: the client's
 *
 * Returns: (transfer full) (nullable): the namespace's ARM URL with api-version
 */
char *
cb_adr_client_dup_namespace_url (CbAdrClient *self,
                                 const char  *ns)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), NULL);

  return namespace_url (self, ns, NULL, NULL);
}

/**
 * cb_adr_client_dup_policy_id:
 *
 * Returns: (transfer full) (nullable): the ARM resource id of a policy in the client's namespace
 */
char *
cb_adr_client_dup_policy_id (CbAdrClient *self,
                             const char  *policy)
{
  const char *sub;
  const char *rg;
  const char *ns;

  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), NULL);
  g_return_val_if_fail (policy != NULL, NULL);

  sub = cb_profile_get_subscription_id (self->arm.profile);
  rg = cb_profile_get_resource_group (self->arm.profile);
  ns = cb_adr_client_get_namespace (self);
  if (sub == NULL || rg == NULL || ns == NULL)
    return NULL;

  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DeviceRegistry"
                          "/namespaces/%s/credentials/default/policies/%s",
                          sub, rg, ns, policy);
}

/* -------------------------------------------------------------------------------------------- */
/* Namespaces                                                                                   */

void
cb_adr_client_list_namespaces_async (CbAdrClient         *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GError *error = NULL;
  char *url = NULL;
  const char *arm;
  const char *sub;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  arm = cb_profile_get_arm_endpoint (self->arm.profile);
  sub = cb_profile_get_subscription_id (self->arm.profile);
  if (cb_arm_require_setting (arm, "ARM endpoint", &error) &&
      cb_arm_require_setting (sub, "subscription id", &error))
    {
      const char *segments[] = {
        "subscriptions", sub, "providers", "Microsoft.DeviceRegistry", "namespaces", NULL
      };

      url = cb_arm_build_url (arm, segments, CB_ADR_API_VERSION);
    }

  cb_arm_engine_list (&self->arm, self, cb_adr_client_list_namespaces_async, url, error,
              (CbAdrParseFunc) cb_namespace_new_from_json, FALSE,
              cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_namespaces_finish:
 *
 * Returns: (transfer full) (element-type CbNamespace): every namespace of the subscription
 */
GPtrArray *
cb_adr_client_list_namespaces_finish (CbAdrClient   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_list_namespaces_async, error);
}

void
_cb_adr_client_read_namespace_async (CbAdrClient         *self,
                                     const char          *ns,
                                     const char          *api_version,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  url = _cb_adr_client_namespace_url (self, ns, NULL, api_version, &error);
  cb_arm_engine_start (&self->arm, self, _cb_adr_client_read_namespace_async, "GET", url, error,
                       NULL, NULL, CB_ARM_FINAL_NONE, CB_ARM_RESULT_OBJECT,
                       (CbAdrParseFunc) cb_namespace_new_from_json,
                       cancellable, callback, user_data);
}

CbNamespace *
_cb_adr_client_read_namespace_finish (CbAdrClient   *self,
                                      GAsyncResult  *result,
                                      GError       **error)
{
  return cb_arm_finish_pointer (self, result, _cb_adr_client_read_namespace_async, error);
}

void
cb_adr_client_create_namespace_async (CbAdrClient         *self,
                                      const char          *ns,
                                      const char          *location,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (ns != NULL && *ns != '\0');

  if (location == NULL)
    location = cb_profile_get_location (self->arm.profile);

  url = namespace_url (self, ns, NULL, &error);
  if (url != NULL && !cb_arm_require_setting (location, "location", &error))
    g_clear_pointer (&url, g_free);

  body = cb_json_body_new ();
  cb_json_body_set_string (body, "location", location != NULL ? location : "");
  cb_json_body_set_string (body, "identity/type", "SystemAssigned");
  cb_json_body_set_object (body, "properties");

  cb_arm_engine_start (&self->arm, self, cb_adr_client_create_namespace_async, "PUT", url, error, body, NULL,
            CB_ARM_FINAL_ORIGINAL, CB_ARM_RESULT_OBJECT, (CbAdrParseFunc) cb_namespace_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_create_namespace_finish:
 *
 * Returns: (transfer full): the namespace once provisioned
 */
CbNamespace *
cb_adr_client_create_namespace_finish (CbAdrClient   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_create_namespace_async, error);
}

void
cb_adr_client_delete_namespace_async (CbAdrClient         *self,
                                      const char          *ns,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (ns != NULL && *ns != '\0');

  url = namespace_url (self, ns, NULL, &error);
  cb_arm_engine_start (&self->arm, self, cb_adr_client_delete_namespace_async, "DELETE", url, error, NULL, NULL,
            CB_ARM_FINAL_LOCATION, CB_ARM_RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_namespace_finish (CbAdrClient   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return cb_arm_finish_boolean (self, result, cb_adr_client_delete_namespace_async, error);
}

CbArmEngine *
cb_adr_client_get_arm_engine (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), NULL);

  return &self->arm;
}
