/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-adr-client"

#include "config.h"

#include <string.h>

#include "cb-adr-client.h"
#include "cb-adr-json-private.h"
#include "cb-error.h"
#include "cb-util.h"

#define DEFAULT_MAX_POLL_DELAY_MS  60000
#define DEFAULT_OPERATION_TIMEOUT  900
/* Without Retry-After: 1 s, 2 s, 4 s ... up to this, then max-poll-delay-ms caps it again. */
#define FALLBACK_POLL_BASE_MS      1000
#define FALLBACK_POLL_MAX_MS       30000
/* A service that keeps sending nextLinks is broken; stop instead of looping for ever. */
#define MAX_PAGES                  10000

struct _CbAdrClient
{
  GObject               parent_instance;

  /* Owned */
  CbProfile            *profile;
  CbHttpClient         *http;
  char                 *namespace;
  char                 *access_token;
  CbAdrTokenFunc        token_func;
  CbAdrTokenFinishFunc  token_finish;
  gpointer              token_data;
  GDestroyNotify        token_destroy;

  guint                 max_poll_delay_ms;
  guint                 operation_timeout;
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
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  JsonObject *obj;
  JsonNode *value;
  JsonArray *array;
  const char *next = NULL;

  g_return_val_if_fail (parse != NULL, NULL);

  if (next_link != NULL)
    *next_link = NULL;

  if (!(obj = cb_adr_json_require_object (page, "list", error)) ||
      !cb_adr_json_get_string (obj, "nextLink", "list", &next, error))
    return NULL;

  value = cb_adr_json_member (obj, "value");
  if (value == NULL || !JSON_NODE_HOLDS_ARRAY (value))
    {
      cb_adr_json_set_parse_error (error, "list", "value", "an array");
      return NULL;
    }

  array = json_node_get_array (value);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      gpointer item = parse (json_array_get_element (array, i), error);

      if (item == NULL)
        return NULL;
      g_ptr_array_add (items, item);
    }

  if (next_link != NULL && next != NULL && *next != '\0')
    *next_link = g_strdup (next);

  return g_steal_pointer (&items);
}

static GError *
operation_error_from_object (JsonObject *error_object,
                             guint       http_status,
                             const char *fallback)
{
  const char *code = NULL;
  const char *message = NULL;
  const char *target = NULL;

  /* Lenient on purpose: we are already reporting a failure. */
  if (error_object != NULL)
    {
      JsonNode *node;

      if ((node = cb_adr_json_member (error_object, "code")) && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        code = json_node_get_string (node);
      if ((node = cb_adr_json_member (error_object, "message")) && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        message = json_node_get_string (node);
      if ((node = cb_adr_json_member (error_object, "target")) && JSON_NODE_HOLDS_VALUE (node) &&
          json_node_get_value_type (node) == G_TYPE_STRING)
        target = json_node_get_string (node);
    }

  if (code != NULL && message != NULL)
    return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, code, target, 0,
                                  "%s: %s", code, message);
  if (code != NULL)
    return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, code, target, 0,
                                  "%s: %s", code, fallback);
  if (message != NULL)
    return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, NULL, target, 0,
                                  "%s", message);
  return cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, http_status, NULL, NULL, 0,
                                "%s", fallback);
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
                     operation_error_from_object (error_object, 200,
                                                  "The service could not revoke the device"));
  return FALSE;
}

/**
 * cb_adr_build_activity_filter:
 * @resource_uri: (nullable): limit to this resource
 *
 * Returns: (transfer full): the OData $filter value, not yet URL-encoded
 */
char *
cb_adr_build_activity_filter (gint64      from_unix,
                              gint64      to_unix,
                              const char *resource_uri)
{
  g_autofree char *from = cb_time_format_fixed (from_unix);
  g_autofree char *to = cb_time_format_fixed (to_unix);
  GString *filter = g_string_new (NULL);

  g_string_append_printf (filter, "eventTimestamp ge '%s' and eventTimestamp le '%s'", from, to);
  if (resource_uri != NULL && *resource_uri != '\0')
    {
      g_autoptr(GString) quoted = g_string_new (resource_uri);

      /* OData string literals escape a quote by doubling it. */
      g_string_replace (quoted, "'", "''", 0);
      g_string_append_printf (filter, " and resourceUri eq '%s'", quoted->str);
    }

  return g_string_free (filter, FALSE);
}

/* -------------------------------------------------------------------------------------------- */
/* Object                                                                                       */

static void
cb_adr_client_finalize (GObject *object)
{
  CbAdrClient *self = (CbAdrClient *)object;

  g_clear_object (&self->profile);
  g_clear_object (&self->http);
  g_clear_pointer (&self->namespace, g_free);
  if (self->access_token != NULL)
    {
      memset (self->access_token, 0, strlen (self->access_token));
      g_clear_pointer (&self->access_token, g_free);
    }
  if (self->token_destroy != NULL)
    g_clear_pointer (&self->token_data, self->token_destroy);

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
      g_value_set_object (value, self->profile);
      break;
    case PROP_HTTP_CLIENT:
      g_value_set_object (value, self->http);
      break;
    case PROP_NAMESPACE:
      g_value_set_string (value, cb_adr_client_get_namespace (self));
      break;
    case PROP_MAX_POLL_DELAY_MS:
      g_value_set_uint (value, self->max_poll_delay_ms);
      break;
    case PROP_OPERATION_TIMEOUT:
      g_value_set_uint (value, self->operation_timeout);
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
      self->profile = g_value_dup_object (value);
      break;
    case PROP_HTTP_CLIENT:
      self->http = g_value_dup_object (value);
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
    g_param_spec_uint ("max-poll-delay-ms", NULL, NULL, 0, 3600 * 1000, DEFAULT_MAX_POLL_DELAY_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OPERATION_TIMEOUT] =
    g_param_spec_uint ("operation-timeout", NULL, NULL, 1, 24 * 3600, DEFAULT_OPERATION_TIMEOUT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_adr_client_init (CbAdrClient *self)
{
  self->max_poll_delay_ms = DEFAULT_MAX_POLL_DELAY_MS;
  self->operation_timeout = DEFAULT_OPERATION_TIMEOUT;
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

  return self->profile;
}

void
cb_adr_client_set_access_token (CbAdrClient *self,
                                const char  *token)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  if (self->access_token != NULL)
    memset (self->access_token, 0, strlen (self->access_token));
  g_free (self->access_token);
  self->access_token = g_strdup (token);
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

  if (self->token_destroy != NULL)
    g_clear_pointer (&self->token_data, self->token_destroy);

  self->token_func = func;
  self->token_finish = finish;
  self->token_data = user_data;
  self->token_destroy = destroy;
}

static void
entra_token (const char         *scope,
             GCancellable       *cancellable,
             GAsyncReadyCallback callback,
             gpointer            callback_data,
             gpointer            user_data)
{
  cb_entra_client_get_access_token_async (user_data, scope, cancellable, callback, callback_data);
}

static char *
entra_token_finish (GAsyncResult  *result,
                    GError       **error,
                    gpointer       user_data)
{
  return cb_entra_client_get_access_token_finish (user_data, result, error);
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

  if (entra == NULL)
    cb_adr_client_set_token_func (self, NULL, NULL, NULL, NULL);
  else
    cb_adr_client_set_token_func (self, entra_token, entra_token_finish,
                                  g_object_ref (entra), g_object_unref);
}

const char *
cb_adr_client_get_namespace (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), NULL);

  if (self->namespace != NULL)
    return self->namespace;

  return cb_profile_get_namespace (self->profile);
}

void
cb_adr_client_set_namespace (CbAdrClient *self,
                             const char  *ns)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  if (ns != NULL && *ns == '\0')
    ns = NULL;

  if (cb_set_str (&self->namespace, ns))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAMESPACE]);
}

guint
cb_adr_client_get_max_poll_delay_ms (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), 0);

  return self->max_poll_delay_ms;
}

void
cb_adr_client_set_max_poll_delay_ms (CbAdrClient *self,
                                     guint        max_ms)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  if (self->max_poll_delay_ms == max_ms)
    return;

  self->max_poll_delay_ms = max_ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_POLL_DELAY_MS]);
}

guint
cb_adr_client_get_operation_timeout (CbAdrClient *self)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), 0);

  return self->operation_timeout;
}

void
cb_adr_client_set_operation_timeout (CbAdrClient *self,
                                     guint        seconds)
{
  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  seconds = MAX (seconds, 1);
  if (self->operation_timeout == seconds)
    return;

  self->operation_timeout = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPERATION_TIMEOUT]);
}

/* -------------------------------------------------------------------------------------------- */
/* URLs                                                                                         */

static gboolean
require_setting (const char  *value,
                 const char  *label,
                 GError     **error)
{
  if (value != NULL && *value != '\0')
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "The profile has no %s", label);
  return FALSE;
}

/* base + "/" + each segment percent-encoded + "?api-version=" */
static char *
build_url (const char         *base,
           const char * const *segments,
           const char         *api_version)
{
  GString *url = g_string_new (base);

  while (url->len > 0 && url->str[url->len - 1] == '/')
    g_string_truncate (url, url->len - 1);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      g_string_append_c (url, '/');
      g_string_append_uri_escaped (url, segments[i], NULL, FALSE);
    }

  if (api_version != NULL)
    g_string_append_printf (url, "?api-version=%s", api_version);

  return g_string_free (url, FALSE);
}

/* {arm}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DeviceRegistry/namespaces/{ns}
 * followed by extra (NULL-terminated) segments. */
static char *
namespace_url (CbAdrClient         *self,
               const char          *ns,
               const char * const  *extra,
               GError             **error)
{
  const char *arm = cb_profile_get_arm_endpoint (self->profile);
  const char *sub = cb_profile_get_subscription_id (self->profile);
  const char *rg = cb_profile_get_resource_group (self->profile);
  g_autoptr(GPtrArray) segments = g_ptr_array_new ();

  if (ns == NULL)
    ns = cb_adr_client_get_namespace (self);

  if (!require_setting (arm, "ARM endpoint", error) ||
      !require_setting (sub, "subscription id", error) ||
      !require_setting (rg, "resource group", error) ||
      !require_setting (ns, "ADR namespace", error))
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

  return build_url (arm, (const char * const *) segments->pdata, CB_ADR_API_VERSION);
}

static char *
credential_url (CbAdrClient         *self,
                const char * const  *extra,
                GError             **error)
{
  g_autoptr(GPtrArray) segments = g_ptr_array_new ();

  g_ptr_array_add (segments, (gpointer) "credentials");
  g_ptr_array_add (segments, (gpointer) "default");
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (segments, (gpointer) extra[i]);
  g_ptr_array_add (segments, NULL);

  return namespace_url (self, NULL, (const char * const *) segments->pdata, error);
}

static char *
policy_url (CbAdrClient  *self,
            const char   *policy,
            const char   *action,
            GError      **error)
{
  const char *segments[] = { "policies", policy, action, NULL };

  return credential_url (self, segments, error);
}

static char *
device_url (CbAdrClient  *self,
            const char   *device,
            const char   *action,
            GError      **error)
{
  const char *segments[] = { "devices", device, action, NULL };

  return namespace_url (self, NULL, segments, error);
}

static char *
hub_certificates_url (CbAdrClient  *self,
                      const char   *name,
                      GError      **error)
{
  const char *arm = cb_profile_get_arm_endpoint (self->profile);
  const char *sub = cb_profile_get_subscription_id (self->profile);
  const char *rg = cb_profile_get_resource_group (self->profile);
  const char *hub = cb_profile_get_hub_name (self->profile);
  const char *segments[] = {
    "subscriptions", sub, "resourceGroups", rg, "providers", "Microsoft.Devices",
    "IotHubs", hub, "certificates", name, NULL
  };

  if (!require_setting (arm, "ARM endpoint", error) ||
      !require_setting (sub, "subscription id", error) ||
      !require_setting (rg, "resource group", error) ||
      !require_setting (hub, "IoT hub name", error))
    return NULL;

  return build_url (arm, segments, CB_ADR_HUB_API_VERSION);
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

  sub = cb_profile_get_subscription_id (self->profile);
  rg = cb_profile_get_resource_group (self->profile);
  ns = cb_adr_client_get_namespace (self);
  if (sub == NULL || rg == NULL || ns == NULL)
    return NULL;

  return g_strdup_printf ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DeviceRegistry"
                          "/namespaces/%s/credentials/default/policies/%s",
                          sub, rg, ns, policy);
}

/* Bearer tokens go only where the profile's ARM endpoint is: a nextLink or an operation URL
 * on another origin is refused rather than followed. */
static gboolean
url_is_trusted (CbAdrClient *self,
                const char  *url)
{
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) other = NULL;
  const char *arm = cb_profile_get_arm_endpoint (self->profile);
  int base_port, other_port;

  if (arm == NULL || url == NULL)
    return FALSE;

  base = g_uri_parse (arm, G_URI_FLAGS_NONE, NULL);
  other = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  if (base == NULL || other == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (g_uri_get_scheme (base), g_uri_get_scheme (other)) != 0 ||
      g_uri_get_host (base) == NULL || g_uri_get_host (other) == NULL ||
      g_ascii_strcasecmp (g_uri_get_host (base), g_uri_get_host (other)) != 0)
    return FALSE;

  base_port = g_uri_get_port (base);
  other_port = g_uri_get_port (other);
  if (base_port == -1)
    base_port = g_ascii_strcasecmp (g_uri_get_scheme (base), "https") == 0 ? 443 : 80;
  if (other_port == -1)
    other_port = g_ascii_strcasecmp (g_uri_get_scheme (other), "https") == 0 ? 443 : 80;

  return base_port == other_port;
}

static GError *
untrusted_url_error (const char *what)
{
  return cb_api_error_new_full (CB_API_ERROR_PARSE, 0, NULL, NULL, 0,
                                "The service sent a %s on another host; not following it", what);
}

/* -------------------------------------------------------------------------------------------- */
/* Calls and the long-running operation engine                                                 */

typedef enum
{
  FINAL_NONE,       /* not a long-running operation: the first 2xx is the answer */
  FINAL_ORIGINAL,   /* PUT: after the operation succeeds, GET the resource */
  FINAL_LOCATION,   /* PATCH, DELETE, POST: the Location poll's last answer */
} CallFinal;

typedef struct
{
  char            *method;
  char            *url;
  JsonNode        *body;
  GStrv            extra_headers;
  CallFinal        final;
  gboolean         want_resource;
  gboolean         retried;        /* sent again once after a 401, with a new Entra token */

  char            *authorization;
  char            *async_url;
  char            *location_url;
  gboolean         polling_location;
  guint            polls;
  gint64           deadline;
  GSource         *wait_source;
} Call;

static void
call_free (Call *call)
{
  if (call->wait_source != NULL)
    {
      g_source_destroy (call->wait_source);
      g_clear_pointer (&call->wait_source, g_source_unref);
    }
  g_free (call->method);
  g_free (call->url);
  g_clear_pointer (&call->body, json_node_unref);
  g_strfreev (call->extra_headers);
  if (call->authorization != NULL)
    {
      memset (call->authorization, 0, strlen (call->authorization));
      g_free (call->authorization);
    }
  g_free (call->async_url);
  g_free (call->location_url);
  g_free (call);
}

static void call_send_initial (GTask *task);
static void call_poll (GTask *task);
static void call_get_resource (GTask *task);

static void
call_token_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbAdrClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = self->token_finish (result, &error, self->token_data);

  if (token == NULL)
    {
      if (error == NULL)
        error = g_error_new (CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED, "Not signed in to Azure");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  call->authorization = g_strconcat ("Bearer ", token, NULL);
  memset (token, 0, strlen (token));
  call_send_initial (g_steal_pointer (&task));
}

static void
call_start (GTask *task)
{
  CbAdrClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  if (self->access_token != NULL)
    {
      call->authorization = g_strconcat ("Bearer ", self->access_token, NULL);
      call_send_initial (task);
      return;
    }

  if (self->token_func == NULL)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED,
                               "Not signed in to Azure");
      g_object_unref (task);
      return;
    }

  self->token_func (CB_ADR_ARM_SCOPE, g_task_get_cancellable (task),
                    call_token_cb, task, self->token_data);
}

/* Takes over task. */
static void
call_return_response (GTask          *task,
                      CbHttpResponse *response)
{
  g_task_return_pointer (task, cb_http_response_ref (response),
                         (GDestroyNotify) cb_http_response_unref);
  g_object_unref (task);
}

static gboolean
response_is_resource (CbHttpResponse *response)
{
  JsonObject *obj = cb_http_response_get_object (response);

  return obj != NULL && json_object_has_member (obj, "name");
}

/* Takes over task: the operation is over, response is its last answer. */
static void
call_complete (GTask          *task,
               CbHttpResponse *response)
{
  Call *call = g_task_get_task_data (task);

  if (call->want_resource && !response_is_resource (response))
    {
      call_get_resource (task);
      return;
    }

  call_return_response (task, response);
}

static gboolean
call_wait_done_cb (gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  g_clear_pointer (&call->wait_source, g_source_unref);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }

  call_poll (task);
  return G_SOURCE_REMOVE;
}

/* Takes over task: waits Retry-After (or a backoff step), capped, then polls. */
static void
call_schedule_poll (GTask *task,
                    guint  retry_after)
{
  CbAdrClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  guint64 delay_ms;

  g_assert (call->wait_source == NULL);

  if (g_get_monotonic_time () >= call->deadline)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_TIMEOUT,
                               "The operation did not finish within %u seconds",
                               self->operation_timeout);
      g_object_unref (task);
      return;
    }

  if (retry_after > 0)
    delay_ms = (guint64) retry_after * 1000;
  else
    delay_ms = MIN ((guint64) FALLBACK_POLL_BASE_MS << MIN (call->polls, 16), FALLBACK_POLL_MAX_MS);
  delay_ms = MIN (delay_ms, self->max_poll_delay_ms);

  call->wait_source = g_timeout_source_new ((guint) delay_ms);
  g_source_set_static_name (call->wait_source, "[cb-adr-client] operation poll");
  /* The source owns the task reference until it fires. A cancellable child wakes it up at
   * once when cancelled, and the callback then returns G_IO_ERROR_CANCELLED. */
  g_source_set_callback (call->wait_source, call_wait_done_cb, task, NULL);
  if (cancellable != NULL)
    {
      g_autoptr(GSource) cancel_source = g_cancellable_source_new (cancellable);

      g_source_set_dummy_callback (cancel_source);
      g_source_add_child_source (call->wait_source, cancel_source);
    }
  g_source_attach (call->wait_source, g_task_get_context (task));
}

static void
call_initial_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  GTask *task = user_data;
  CbAdrClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;
  const char *async_url;
  const char *location_url;

  response = cb_http_client_request_finish (http, result, &error);
  /* An Entra token our clock still calls valid may have expired on the service's: once, get a
   * new one and send again. */
  if (response == NULL && self->access_token == NULL && self->token_func == entra_token &&
      !call->retried && g_error_matches (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED))
    {
      g_debug ("%s %s: token refused, getting a new one", call->method, call->url);
      g_clear_error (&error);
      call->retried = TRUE;
      cb_entra_client_forget_access_token (self->token_data, CB_ADR_ARM_SCOPE);
      g_clear_pointer (&call->authorization, cb_secrets_free_value);
      call_start (task);
      return;
    }

  if (response == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (call->final == FINAL_NONE || (response->status != 201 && response->status != 202))
    {
      call_complete (task, response);
      return;
    }

  async_url = cb_http_response_get_header (response, "Azure-AsyncOperation");
  location_url = cb_http_response_get_header (response, "Location");
  if (async_url != NULL && *async_url == '\0')
    async_url = NULL;
  if (location_url != NULL && *location_url == '\0')
    location_url = NULL;

  /* Nothing to poll: a 201 carries the resource, a 202 is all we will get. */
  if (async_url == NULL && location_url == NULL)
    {
      call_complete (task, response);
      return;
    }

  if ((async_url != NULL && !url_is_trusted (self, async_url)) ||
      (location_url != NULL && !url_is_trusted (self, location_url)))
    {
      g_task_return_error (task, untrusted_url_error ("operation URL"));
      g_object_unref (task);
      return;
    }

  call->async_url = g_strdup (async_url);
  call->location_url = g_strdup (location_url);
  call->polling_location = async_url == NULL;
  call->deadline = g_get_monotonic_time () + (gint64) self->operation_timeout * G_USEC_PER_SEC;

  g_debug ("%s %s: %u, polling %s", call->method, call->url, response->status,
           call->polling_location ? "Location" : "Azure-AsyncOperation");

  call_schedule_poll (task, cb_http_response_get_retry_after (response));
}

static void
call_send_initial (GTask *task)
{
  CbAdrClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  cb_http_client_request_async (self->http, call->method, call->url, call->authorization,
                                (const char * const *) call->extra_headers, call->body,
                                CB_HTTP_STYLE_ARM, g_task_get_cancellable (task),
                                call_initial_cb, task);
}

/* Takes over task: the Azure-AsyncOperation status said Succeeded. */
static void
call_operation_succeeded (GTask          *task,
                          CbHttpResponse *status_response)
{
  Call *call = g_task_get_task_data (task);

  switch (call->final)
    {
    case FINAL_ORIGINAL:
      call_get_resource (task);
      break;

    case FINAL_LOCATION:
      /* The Location URL holds the final answer (the revoke result, for example). */
      if (call->location_url != NULL)
        {
          call->polling_location = TRUE;
          call_poll (task);
          break;
        }
      call_complete (task, status_response);
      break;

    case FINAL_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* A Location URL answers a failed operation with the failure's own status and ARM error
 * body; to the caller that is the operation failing, like Failed from Azure-AsyncOperation.
 * Authentication, throttling and a vanished operation keep their own codes. */
static GError *
location_poll_error (GError *error)
{
  GError *converted;
  guint status;

  if (error->domain != CB_API_ERROR)
    return error;

  status = cb_api_error_get_http_status (error);
  if (status < 400 || status == 401 || status == 403 || status == 404 || status == 429)
    return error;

  converted = cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, status,
                                     cb_api_error_get_remote_code (error),
                                     cb_api_error_get_target (error),
                                     cb_api_error_get_retry_after (error),
                                     "%s", error->message);
  g_error_free (error);
  return converted;
}

static void
call_poll_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;
  JsonObject *obj;
  JsonObject *error_object = NULL;
  const char *status = NULL;

  response = cb_http_client_request_finish (http, result, &error);
  if (response == NULL)
    {
      if (call->polling_location)
        error = location_poll_error (error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (call->polling_location)
    {
      if (response->status == 202)
        call_schedule_poll (task, cb_http_response_get_retry_after (response));
      else
        call_complete (task, response);
      return;
    }

  if (!(obj = cb_adr_json_require_object (response->json, "operation status", &error)) ||
      !cb_adr_json_require_string (obj, "status", "operation status", &status, &error) ||
      !cb_adr_json_get_object (obj, "error", "operation status", &error_object, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  if (g_ascii_strcasecmp (status, "Succeeded") == 0)
    call_operation_succeeded (task, response);
  else if (g_ascii_strcasecmp (status, "Failed") == 0)
    {
      g_task_return_error (task, operation_error_from_object (error_object, response->status,
                                                              "The operation failed"));
      g_object_unref (task);
    }
  else if (g_ascii_strcasecmp (status, "Canceled") == 0)
    {
      g_task_return_error (task, operation_error_from_object (error_object, response->status,
                                                              "The operation was canceled"));
      g_object_unref (task);
    }
  else
    call_schedule_poll (task, cb_http_response_get_retry_after (response));
}

static void
call_poll (GTask *task)
{
  CbAdrClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  call->polls++;
  cb_http_client_request_async (self->http, "GET",
                                call->polling_location ? call->location_url : call->async_url,
                                call->authorization, NULL, NULL, CB_HTTP_STYLE_ARM,
                                g_task_get_cancellable (task), call_poll_cb, task);
}

static void
call_get_resource_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  GTask *task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;

  response = cb_http_client_request_finish (http, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  call_return_response (task, response);
}

static void
call_get_resource (GTask *task)
{
  CbAdrClient *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);

  cb_http_client_request_async (self->http, "GET", call->url, call->authorization, NULL, NULL,
                                CB_HTTP_STYLE_ARM, g_task_get_cancellable (task),
                                call_get_resource_cb, task);
}

/* One ARM request, with the LRO engine behind it when final is not FINAL_NONE. body is
 * borrowed. Finish with call_finish(). */
static void
call_async (CbAdrClient         *self,
            const char          *method,
            const char          *url,
            JsonNode            *body,
            const char * const  *extra_headers,
            CallFinal            final,
            gboolean             want_resource,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task;
  Call *call;

  g_assert (CB_IS_ADR_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, call_async);

  call = g_new0 (Call, 1);
  call->method = g_strdup (method);
  call->url = g_strdup (url);
  call->body = body != NULL ? json_node_ref (body) : NULL;
  call->extra_headers = g_strdupv ((char **) extra_headers);
  call->final = final;
  call->want_resource = want_resource;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  call_start (task);
}

static CbHttpResponse *
call_finish (CbAdrClient   *self,
             GAsyncResult  *result,
             GError       **error)
{
  g_assert (g_task_is_valid (result, self));
  g_assert (g_task_get_source_tag (G_TASK (result)) == call_async);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------------------------------------------- */
/* Operations: one public task per call, finished by how its answer is read                    */

typedef enum
{
  RESULT_BOOLEAN,     /* any 2xx */
  RESULT_OBJECT,      /* parse the body with parse */
  RESULT_STATE,       /* properties.provisioningState */
  RESULT_REVOKE,      /* {"result": ...} when there is a body */
} ResultKind;

typedef struct
{
  ResultKind      kind;
  CbAdrParseFunc  parse;
} Op;

static void
op_call_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  CbAdrClient *self = (CbAdrClient *)object;
  g_autoptr(GTask) task = user_data;
  Op *op = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = call_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  switch (op->kind)
    {
    case RESULT_BOOLEAN:
      g_task_return_boolean (task, TRUE);
      break;

    case RESULT_OBJECT:
      {
        gpointer object_result = op->parse (response->json, &error);

        if (object_result == NULL)
          g_task_return_error (task, g_steal_pointer (&error));
        else
          g_task_return_pointer (task, object_result, g_object_unref);
      }
      break;

    case RESULT_STATE:
      {
        JsonObject *obj;
        JsonObject *props = NULL;
        const char *state = NULL;

        if (!(obj = cb_adr_json_require_object (response->json, "credential", &error)) ||
            !cb_adr_json_get_object (obj, "properties", "credential", &props, &error) ||
            !cb_adr_json_get_string (props, "provisioningState", "credential", &state, &error))
          g_task_return_error (task, g_steal_pointer (&error));
        else
          g_task_return_pointer (task, g_strdup (state != NULL ? state : "Succeeded"), g_free);
      }
      break;

    case RESULT_REVOKE:
      /* 204 (or a bare Succeeded operation status) has no result: nothing failed. */
      if (response->status == 204 || cb_http_response_get_object (response) == NULL ||
          !json_object_has_member (cb_http_response_get_object (response), "result"))
        g_task_return_boolean (task, TRUE);
      else if (cb_adr_parse_revoke_result (response->json, &error))
        g_task_return_boolean (task, TRUE);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      break;

    default:
      g_assert_not_reached ();
    }
}

/* Starts a public operation. url is taken over (NULL: url_error says why), body is borrowed. */
static void
op_start (CbAdrClient         *self,
          gpointer             source_tag,
          const char          *method,
          char                *url,
          GError              *url_error,
          JsonNode            *body,
          const char * const  *extra_headers,
          CallFinal            final,
          ResultKind           kind,
          CbAdrParseFunc       parse,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *owned_url = url;
  Op *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (owned_url == NULL)
    {
      g_assert (url_error != NULL);
      g_task_return_error (task, url_error);
      return;
    }

  op = g_new0 (Op, 1);
  op->kind = kind;
  op->parse = parse;
  g_task_set_task_data (task, op, g_free);

  call_async (self, method, owned_url, body, extra_headers, final,
              kind == RESULT_OBJECT && g_strcmp0 (method, "GET") != 0,
              cancellable, op_call_cb, g_steal_pointer (&task));
}

static gboolean
op_finish_boolean (CbAdrClient   *self,
                   GAsyncResult  *result,
                   gpointer       source_tag,
                   GError       **error)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static gpointer
op_finish_pointer (CbAdrClient   *self,
                   GAsyncResult  *result,
                   gpointer       source_tag,
                   GError       **error)
{
  g_return_val_if_fail (CB_IS_ADR_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------------------------------------------- */
/* Lists                                                                                        */

typedef struct
{
  GPtrArray      *items;
  CbAdrParseFunc  parse;
  char           *url;
  guint           pages;
  gboolean        one_page;
  char           *next_link;
} List;

typedef struct
{
  GPtrArray *items;
  char      *next_link;
} ListPage;

static void
list_free (List *list)
{
  g_clear_pointer (&list->items, g_ptr_array_unref);
  g_free (list->url);
  g_free (list->next_link);
  g_free (list);
}

static void
list_page_free (ListPage *page)
{
  g_clear_pointer (&page->items, g_ptr_array_unref);
  g_free (page->next_link);
  g_free (page);
}

static void list_fetch (GTask *task);

static void
list_call_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CbAdrClient *self = (CbAdrClient *)object;
  g_autoptr(GTask) task = user_data;
  List *list = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *next_link = NULL;

  response = call_finish (self, result, &error);
  if (response == NULL ||
      !(items = cb_adr_parse_page (response->json, list->parse, &next_link, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  list->pages++;
  g_ptr_array_extend_and_steal (list->items, g_steal_pointer (&items));

  if (next_link != NULL && !url_is_trusted (self, next_link))
    {
      g_task_return_error (task, untrusted_url_error ("next page link"));
      return;
    }

  if (list->one_page)
    {
      ListPage *page = g_new0 (ListPage, 1);

      page->items = g_steal_pointer (&list->items);
      page->next_link = g_steal_pointer (&next_link);
      g_task_return_pointer (task, page, (GDestroyNotify) list_page_free);
      return;
    }

  if (next_link == NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&list->items),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  if (g_str_equal (next_link, list->url) || list->pages >= MAX_PAGES)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_PARSE,
                               "The service keeps sending more pages; stopped after %u",
                               list->pages);
      return;
    }

  g_free (list->url);
  list->url = g_steal_pointer (&next_link);
  list_fetch (g_steal_pointer (&task));
}

static void
list_fetch (GTask *task)
{
  CbAdrClient *self = g_task_get_source_object (task);
  List *list = g_task_get_task_data (task);

  call_async (self, "GET", list->url, NULL, NULL, FINAL_NONE, FALSE,
              g_task_get_cancellable (task), list_call_cb, task);
}

/* Lists url and follows nextLink unless one_page. url is taken over. */
static void
list_start (CbAdrClient         *self,
            gpointer             source_tag,
            char                *url,
            GError              *url_error,
            CbAdrParseFunc       parse,
            gboolean             one_page,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  GTask *task;
  List *list;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (url == NULL)
    {
      g_assert (url_error != NULL);
      g_task_return_error (task, url_error);
      g_object_unref (task);
      return;
    }

  list = g_new0 (List, 1);
  list->items = g_ptr_array_new_with_free_func (g_object_unref);
  list->parse = parse;
  list->url = url;
  list->one_page = one_page;
  g_task_set_task_data (task, list, (GDestroyNotify) list_free);

  list_fetch (task);
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

  arm = cb_profile_get_arm_endpoint (self->profile);
  sub = cb_profile_get_subscription_id (self->profile);
  if (require_setting (arm, "ARM endpoint", &error) &&
      require_setting (sub, "subscription id", &error))
    {
      const char *segments[] = {
        "subscriptions", sub, "providers", "Microsoft.DeviceRegistry", "namespaces", NULL
      };

      url = build_url (arm, segments, CB_ADR_API_VERSION);
    }

  list_start (self, cb_adr_client_list_namespaces_async, url, error,
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
  return op_finish_pointer (self, result, cb_adr_client_list_namespaces_async, error);
}

void
cb_adr_client_get_namespace_async (CbAdrClient         *self,
                                   const char          *ns,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = namespace_url (self, ns, NULL, &error);
  op_start (self, cb_adr_client_get_namespace_async, "GET", url, error, NULL, NULL,
            FINAL_NONE, RESULT_OBJECT, (CbAdrParseFunc) cb_namespace_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_get_namespace_finish:
 *
 * Returns: (transfer full): the namespace
 */
CbNamespace *
cb_adr_client_get_namespace_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_get_namespace_async, error);
}

void
cb_adr_client_create_namespace_async (CbAdrClient         *self,
                                      const char          *ns,
                                      const char          *location,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (ns != NULL && *ns != '\0');

  if (location == NULL)
    location = cb_profile_get_location (self->profile);

  url = namespace_url (self, ns, NULL, &error);
  if (url != NULL && !require_setting (location, "location", &error))
    g_clear_pointer (&url, g_free);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "location");
  json_builder_add_string_value (builder, location != NULL ? location : "");
  json_builder_set_member_name (builder, "identity");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "SystemAssigned");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  op_start (self, cb_adr_client_create_namespace_async, "PUT", url, error, body, NULL,
            FINAL_ORIGINAL, RESULT_OBJECT, (CbAdrParseFunc) cb_namespace_new_from_json,
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
  return op_finish_pointer (self, result, cb_adr_client_create_namespace_async, error);
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
  op_start (self, cb_adr_client_delete_namespace_async, "DELETE", url, error, NULL, NULL,
            FINAL_LOCATION, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_namespace_finish (CbAdrClient   *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_delete_namespace_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Credential                                                                                   */

void
cb_adr_client_get_credential_async (CbAdrClient         *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = credential_url (self, NULL, &error);
  op_start (self, cb_adr_client_get_credential_async, "GET", url, error, NULL, NULL,
            FINAL_NONE, RESULT_STATE, NULL, cancellable, callback, user_data);
}

/**
 * cb_adr_client_get_credential_finish:
 *
 * Returns: (transfer full): the credential's provisioningState
 */
char *
cb_adr_client_get_credential_finish (CbAdrClient   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_get_credential_async, error);
}

static void
create_credential_put (CbAdrClient  *self,
                       GTask        *task,
                       const char   *location);

static void
create_credential_put_cb (GObject      *object,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  CbAdrClient *self = (CbAdrClient *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  GError *error = NULL;

  response = call_finish (self, result, &error);
  if (response == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
create_credential_namespace_cb (GObject      *object,
                                GAsyncResult *result,
                                gpointer      user_data)
{
  CbAdrClient *self = (CbAdrClient *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(CbNamespace) ns = NULL;
  GError *error = NULL;

  response = call_finish (self, result, &error);
  if (response == NULL || !(ns = cb_namespace_new_from_json (response->json, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  if (cb_namespace_get_location (ns) == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Neither the profile nor the namespace has a location");
      return;
    }

  create_credential_put (self, g_steal_pointer (&task), cb_namespace_get_location (ns));
}

/* Takes over task. */
static void
create_credential_put (CbAdrClient *self,
                       GTask       *task,
                       const char  *location)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  const char *url = g_task_get_task_data (task);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "location");
  json_builder_add_string_value (builder, location);
  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  call_async (self, "PUT", url, body, NULL, FINAL_ORIGINAL, FALSE,
              g_task_get_cancellable (task), create_credential_put_cb, task);
}

void
cb_adr_client_create_credential_async (CbAdrClient         *self,
                                       const char          *location,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_adr_client_create_credential_async);

  if (!(url = credential_url (self, NULL, &error)))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, url, g_free);

  if (location == NULL || *location == '\0')
    location = cb_profile_get_location (self->profile);

  if (location != NULL && *location != '\0')
    {
      create_credential_put (self, task, location);
      return;
    }

  /* The credential must live where its namespace lives; ask the namespace. */
  {
    g_autofree char *ns_url = namespace_url (self, NULL, NULL, NULL);

    call_async (self, "GET", ns_url, NULL, NULL, FINAL_NONE, FALSE, cancellable,
                create_credential_namespace_cb, task);
  }
}

gboolean
cb_adr_client_create_credential_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_create_credential_async, error);
}

void
cb_adr_client_delete_credential_async (CbAdrClient         *self,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = credential_url (self, NULL, &error);
  op_start (self, cb_adr_client_delete_credential_async, "DELETE", url, error, NULL, NULL,
            FINAL_LOCATION, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_credential_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_delete_credential_async, error);
}

void
cb_adr_client_synchronize_credential_async (CbAdrClient         *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  const char *segments[] = { "synchronize", NULL };
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));

  url = credential_url (self, segments, &error);
  op_start (self, cb_adr_client_synchronize_credential_async, "POST", url, error, NULL, NULL,
            FINAL_LOCATION, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_synchronize_credential_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_synchronize_credential_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Policies                                                                                     */

void
cb_adr_client_list_policies_async (CbAdrClient         *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  const char *segments[] = { "policies", NULL };
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  url = credential_url (self, segments, &error);
  list_start (self, cb_adr_client_list_policies_async, url, error,
              (CbAdrParseFunc) cb_policy_new_from_json, FALSE, cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_policies_finish:
 *
 * Returns: (transfer full) (element-type CbPolicy): the credential's policies
 */
GPtrArray *
cb_adr_client_list_policies_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_list_policies_async, error);
}

void
cb_adr_client_get_policy_async (CbAdrClient         *self,
                                const char          *policy,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);
  op_start (self, cb_adr_client_get_policy_async, "GET", url, error, NULL, NULL,
            FINAL_NONE, RESULT_OBJECT, (CbAdrParseFunc) cb_policy_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_get_policy_finish:
 *
 * Returns: (transfer full): the policy
 */
CbPolicy *
cb_adr_client_get_policy_finish (CbAdrClient   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_get_policy_async, error);
}

void
cb_adr_client_create_policy_async (CbAdrClient         *self,
                                   const char          *policy,
                                   guint                validity_days,
                                   gboolean             bring_your_own_root,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);

  /* Range checks (7..90 days) are the service's: it answers with its own code and message. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificate");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificateAuthorityConfiguration");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keyType");
  json_builder_add_string_value (builder, "ECC");
  json_builder_set_member_name (builder, "bringYourOwnRoot");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, !!bring_your_own_root);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "leafCertificateConfiguration");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "validityPeriodInDays");
  json_builder_add_int_value (builder, validity_days);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  op_start (self, cb_adr_client_create_policy_async, "PUT", url, error, body, NULL,
            FINAL_ORIGINAL, RESULT_OBJECT, (CbAdrParseFunc) cb_policy_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_create_policy_finish:
 *
 * Returns: (transfer full): the policy once provisioned
 */
CbPolicy *
cb_adr_client_create_policy_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_create_policy_async, error);
}

void
cb_adr_client_update_policy_validity_async (CbAdrClient         *self,
                                            const char          *policy,
                                            guint                validity_days,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificate");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "leafCertificateConfiguration");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "validityPeriodInDays");
  json_builder_add_int_value (builder, validity_days);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  op_start (self, cb_adr_client_update_policy_validity_async, "PATCH", url, error, body, NULL,
            FINAL_LOCATION, RESULT_OBJECT, (CbAdrParseFunc) cb_policy_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_update_policy_validity_finish:
 *
 * Returns: (transfer full): the updated policy
 */
CbPolicy *
cb_adr_client_update_policy_validity_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_update_policy_validity_async, error);
}

void
cb_adr_client_delete_policy_async (CbAdrClient         *self,
                                   const char          *policy,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, NULL, &error);
  op_start (self, cb_adr_client_delete_policy_async, "DELETE", url, error, NULL, NULL,
            FINAL_LOCATION, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_policy_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_delete_policy_async, error);
}

void
cb_adr_client_revoke_issuer_async (CbAdrClient         *self,
                                   const char          *policy,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');

  url = policy_url (self, policy, "revokeIssuer", &error);
  op_start (self, cb_adr_client_revoke_issuer_async, "POST", url, error, NULL, NULL,
            FINAL_LOCATION, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_revoke_issuer_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_revoke_issuer_async, error);
}

void
cb_adr_client_activate_byor_async (CbAdrClient         *self,
                                   const char          *policy,
                                   const char          *certificate_chain,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (policy != NULL && *policy != '\0');
  g_return_if_fail (certificate_chain != NULL);

  url = policy_url (self, policy, "activateBringYourOwnRoot", &error);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "certificateChain");
  json_builder_add_string_value (builder, certificate_chain);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  op_start (self, cb_adr_client_activate_byor_async, "POST", url, error, body, NULL,
            FINAL_LOCATION, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_activate_byor_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_activate_byor_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Devices                                                                                      */

void
cb_adr_client_list_devices_page_async (CbAdrClient         *self,
                                       const char          *next_link,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  const char *segments[] = { "devices", NULL };
  GError *error = NULL;
  char *url = NULL;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  if (next_link == NULL)
    url = namespace_url (self, NULL, segments, &error);
  else if (url_is_trusted (self, next_link))
    url = g_strdup (next_link);
  else
    error = untrusted_url_error ("next page link");

  list_start (self, cb_adr_client_list_devices_page_async, url, error,
              (CbAdrParseFunc) cb_adr_device_new_from_json, TRUE,
              cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_devices_page_finish:
 * @out_next_link: (out) (optional): the link to the next page, NULL on the last page
 *
 * Returns: (transfer full) (element-type CbAdrDevice): one page of devices
 */
GPtrArray *
cb_adr_client_list_devices_page_finish (CbAdrClient   *self,
                                        GAsyncResult  *result,
                                        char         **out_next_link,
                                        GError       **error)
{
  ListPage *page;
  GPtrArray *items;

  if (out_next_link != NULL)
    *out_next_link = NULL;

  page = op_finish_pointer (self, result, cb_adr_client_list_devices_page_async, error);
  if (page == NULL)
    return NULL;

  items = g_steal_pointer (&page->items);
  if (out_next_link != NULL)
    *out_next_link = g_steal_pointer (&page->next_link);
  list_page_free (page);

  return items;
}

void
cb_adr_client_get_device_async (CbAdrClient         *self,
                                const char          *device,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, NULL, &error);
  op_start (self, cb_adr_client_get_device_async, "GET", url, error, NULL, NULL,
            FINAL_NONE, RESULT_OBJECT, (CbAdrParseFunc) cb_adr_device_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_get_device_finish:
 *
 * Returns: (transfer full): the device
 */
CbAdrDevice *
cb_adr_client_get_device_finish (CbAdrClient   *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_get_device_async, error);
}

void
cb_adr_client_update_device_enabled_async (CbAdrClient         *self,
                                           const char          *device,
                                           gboolean             enabled,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, NULL, &error);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "properties");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, !!enabled);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  op_start (self, cb_adr_client_update_device_enabled_async, "PATCH", url, error, body, NULL,
            FINAL_LOCATION, RESULT_OBJECT, (CbAdrParseFunc) cb_adr_device_new_from_json,
            cancellable, callback, user_data);
}

/**
 * cb_adr_client_update_device_enabled_finish:
 *
 * Returns: (transfer full): the updated device
 */
CbAdrDevice *
cb_adr_client_update_device_enabled_finish (CbAdrClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_update_device_enabled_async, error);
}

void
cb_adr_client_delete_device_async (CbAdrClient         *self,
                                   const char          *device,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, NULL, &error);
  op_start (self, cb_adr_client_delete_device_async, "DELETE", url, error, NULL, NULL,
            FINAL_LOCATION, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_device_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_delete_device_async, error);
}

void
cb_adr_client_revoke_device_async (CbAdrClient         *self,
                                   const char          *device,
                                   gboolean             disable,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (device != NULL && *device != '\0');

  url = device_url (self, device, "revoke", &error);

  /* Always explicit: the az CLI once omitted a false "disable" and the service misread it. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "disable");
  json_builder_add_boolean_value (builder, !!disable);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  op_start (self, cb_adr_client_revoke_device_async, "POST", url, error, body, NULL,
            FINAL_LOCATION, RESULT_REVOKE, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_revoke_device_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_revoke_device_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Hub certificates                                                                             */

void
cb_adr_client_list_hub_certificates_async (CbAdrClient         *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  url = hub_certificates_url (self, NULL, &error);
  list_start (self, cb_adr_client_list_hub_certificates_async, url, error,
              (CbAdrParseFunc) cb_hub_certificate_new_from_json, FALSE,
              cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_hub_certificates_finish:
 *
 * Returns: (transfer full) (element-type CbHubCertificate): the hub's CA certificates
 */
GPtrArray *
cb_adr_client_list_hub_certificates_finish (CbAdrClient   *self,
                                            GAsyncResult  *result,
                                            GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_list_hub_certificates_async, error);
}

void
cb_adr_client_delete_hub_certificate_async (CbAdrClient         *self,
                                            const char          *name,
                                            const char          *etag,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  const char *headers[] = { "If-Match", etag, NULL };
  GError *error = NULL;
  char *url;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (name != NULL && *name != '\0');
  g_return_if_fail (etag != NULL && *etag != '\0');

  url = hub_certificates_url (self, name, &error);
  op_start (self, cb_adr_client_delete_hub_certificate_async, "DELETE", url, error, NULL,
            headers, FINAL_NONE, RESULT_BOOLEAN, NULL, cancellable, callback, user_data);
}

gboolean
cb_adr_client_delete_hub_certificate_finish (CbAdrClient   *self,
                                             GAsyncResult  *result,
                                             GError       **error)
{
  return op_finish_boolean (self, result, cb_adr_client_delete_hub_certificate_async, error);
}

/* -------------------------------------------------------------------------------------------- */
/* Activity log                                                                                 */

void
cb_adr_client_list_activity_async (CbAdrClient         *self,
                                   gint64               from_unix,
                                   gint64               to_unix,
                                   const char          *resource_uri,
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

  arm = cb_profile_get_arm_endpoint (self->profile);
  sub = cb_profile_get_subscription_id (self->profile);
  if (require_setting (arm, "ARM endpoint", &error) &&
      require_setting (sub, "subscription id", &error))
    {
      const char *segments[] = {
        "subscriptions", sub, "providers", "Microsoft.Insights", "eventtypes", "management",
        "values", NULL
      };
      g_autofree char *base = build_url (arm, segments, CB_ADR_ACTIVITY_API_VERSION);
      g_autofree char *filter = cb_adr_build_activity_filter (from_unix, to_unix, resource_uri);
      g_autofree char *escaped = g_uri_escape_string (filter, NULL, FALSE);

      url = g_strconcat (base, "&$filter=", escaped, NULL);
    }

  list_start (self, cb_adr_client_list_activity_async, url, error,
              (CbAdrParseFunc) cb_activity_event_new_from_json, FALSE,
              cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_activity_finish:
 *
 * Returns: (transfer full) (element-type CbActivityEvent): the events
 */
GPtrArray *
cb_adr_client_list_activity_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return op_finish_pointer (self, result, cb_adr_client_list_activity_async, error);
}
