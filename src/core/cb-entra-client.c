/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-entra-client"

/* CbEntraClient: Microsoft Entra ID sign-in for one profile (device-code flow, refresh-token
 * grant, a per-scope access-token cache; the refresh token in CbSecrets). A token for another
 * tenant than the profile's comes from the same refresh token sent to that tenant's authority
 * (https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token): Entra's refresh tokens are
 * good in every tenant the account belongs to. Such tokens are cached under "{tenant}\n{scope}". */

#include "config.h"

#include <string.h>

#include "cb-entra-client.h"
#include "cb-entra-device-code-private.h"
#include "cb-error.h"
#include "cb-http-sleep.h"
#include "cb-json-limits.h"
#include "cb-util.h"

#define DEVICE_CODE_GRANT   "urn:ietf:params:oauth:grant-type:device_code"
#define DEFAULT_TENANT      "organizations"
#define SLOW_DOWN_STEP      5
/* A cached token is renewed this long before it expires, so a request never goes out with a
 * token that expires in flight. */
#define EXPIRY_MARGIN_SECS  300

typedef struct
{
  char   *access_token;
  gint64  expires_at;
} Token;

static void
token_free (Token *token)
{
  cb_wipe_string (&token->access_token);
  g_free (token);
}

struct _CbEntraClient
{
  GObject       parent_instance;

  /* Owned */
  CbProfile    *profile;
  CbHttpClient *http;
  CbSecrets    *secrets;
  char         *refresh_token;
  char         *username;
  GHashTable   *tokens;   /* scope -> Token */
  GHashTable   *pending;  /* scope -> GPtrArray of GTask waiting for that scope */
  /* Scopes waiting for their turn: refresh tokens rotate, and a spent one is rejected, so
   * refresh-token grants run one at a time, each with the newest refresh token. */
  GQueue        refresh_queue;
  gboolean      refreshing;

  /* Bumped by sign-out so answers to requests sent before it are dropped. */
  guint         generation;
  guint         signed_in : 1;
};

G_DEFINE_FINAL_TYPE (CbEntraClient, cb_entra_client, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_PROFILE,
  PROP_SIGNED_IN,
  PROP_USERNAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cb_entra_client_finalize (GObject *object)
{
  CbEntraClient *self = (CbEntraClient *)object;

  g_assert (g_hash_table_size (self->pending) == 0);

  g_clear_object (&self->profile);
  g_clear_object (&self->http);
  g_clear_object (&self->secrets);
  cb_wipe_string (&self->refresh_token);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->tokens, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_queue_clear_full (&self->refresh_queue, g_free);

  G_OBJECT_CLASS (cb_entra_client_parent_class)->finalize (object);
}

static void
cb_entra_client_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CbEntraClient *self = CB_ENTRA_CLIENT (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->signed_in);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_entra_client_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CbEntraClient *self = CB_ENTRA_CLIENT (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      self->profile = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_entra_client_class_init (CbEntraClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cb_entra_client_finalize;
  object_class->get_property = cb_entra_client_get_property;
  object_class->set_property = cb_entra_client_set_property;

  properties[PROP_PROFILE] =
    g_param_spec_object ("profile", NULL, NULL, CB_TYPE_PROFILE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_entra_client_init (CbEntraClient *self)
{
  self->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) token_free);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
}

/**
 * cb_entra_client_new:
 *
 * Returns: (transfer full): a signed-out client; stored sign-ins are picked up lazily by
 *   cb_entra_client_get_access_token_async()
 */
CbEntraClient *
cb_entra_client_new (CbProfile    *profile,
                     CbHttpClient *http,
                     CbSecrets    *secrets)
{
  CbEntraClient *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (CB_IS_HTTP_CLIENT (http), NULL);
  g_return_val_if_fail (CB_IS_SECRETS (secrets), NULL);

  self = g_object_new (CB_TYPE_ENTRA_CLIENT, "profile", profile, NULL);
  self->http = g_object_ref (http);
  self->secrets = g_object_ref (secrets);

  return self;
}

/**
 * cb_entra_client_get_profile:
 *
 * Returns: (transfer none): the profile
 */
CbProfile *
cb_entra_client_get_profile (CbEntraClient *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), NULL);
  return self->profile;
}

gboolean
cb_entra_client_get_signed_in (CbEntraClient *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), FALSE);
  return self->signed_in;
}

const char *
cb_entra_client_get_username (CbEntraClient *self)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), NULL);
  return self->username;
}

static void
set_signed_in (CbEntraClient *self,
               gboolean       signed_in)
{
  signed_in = !!signed_in;
  if (self->signed_in == signed_in)
    return;

  self->signed_in = signed_in;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

/* The cache key of a token for scope in tenant (NULL: the profile's). */
static char *
token_key (const char *tenant,
           const char *scope)
{
  return tenant != NULL ? g_strconcat (tenant, "\n", scope, NULL) : g_strdup (scope);
}

/* Splits a cache key back: the scope, and the tenant when the key names one. */
static const char *
key_scope (const char  *key,
           char       **out_tenant)
{
  const char *newline = strchr (key, '\n');

  *out_tenant = newline != NULL ? g_strndup (key, newline - key) : NULL;
  return newline != NULL ? newline + 1 : key;
}

static char *
endpoint_url (CbEntraClient *self,
              const char    *tenant_override,
              const char    *leaf)
{
  const char *login = cb_profile_get_login_endpoint (self->profile);
  const char *tenant = tenant_override != NULL ? tenant_override
                                               : cb_profile_get_tenant (self->profile);

  if (login == NULL)
    login = CB_AZURE_LOGIN_ENDPOINT;
  if (tenant == NULL)
    tenant = DEFAULT_TENANT;

  return cb_http_build_url (login, tenant, "oauth2", "v2.0", leaf, NULL);
}

static GHashTable *
form_new (CbEntraClient *self)
{
  GHashTable *form = g_hash_table_new (g_str_hash, g_str_equal);
  const char *client_id = cb_profile_get_client_id (self->profile);

  g_hash_table_insert (form, (gpointer) "client_id", (gpointer) (client_id ? client_id : ""));
  return form;
}

static gint64
json_get_seconds (JsonObject *object,
                  const char *member,
                  gint64      fallback)
{
  JsonNode *node;

  if (!json_object_has_member (object, member))
    return fallback;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node))
    return fallback;

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return json_node_get_int (node);
    case G_TYPE_DOUBLE:
      return (gint64) json_node_get_double (node);
    case G_TYPE_STRING:
      {
        /* Some v1-style endpoints send numbers as strings. */
        const char *text = json_node_get_string (node);
        char *end = NULL;
        gint64 value = g_ascii_strtoll (text, &end, 10);

        return (end != text && *end == '\0') ? value : fallback;
      }
    default:
      return fallback;
    }
}

static const char *
json_get_nonempty_string (JsonObject *object,
                          const char *member)
{
  const char *value;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (json_object_get_member (object, member)))
    return NULL;

  value = json_object_get_string_member_with_default (object, member, NULL);
  return (value != NULL && *value != '\0') ? value : NULL;
}

/* The username is only a display nicety: any failure just leaves it unset. */
static char *
username_from_id_token (const char *id_token)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) payload = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autofree guchar *decoded = NULL;
  g_autofree char *text = NULL;
  static const char * const claims[] = { "preferred_username", "upn", "email", "name" };
  gsize len = 0;

  if (id_token == NULL)
    return NULL;

  parts = g_strsplit (id_token, ".", 4);
  if (g_strv_length (parts) != 3)
    return NULL;

  /* base64url without padding -> base64 */
  payload = g_string_new (parts[1]);
  g_strdelimit (payload->str, "-", '+');
  g_strdelimit (payload->str, "_", '/');
  while (payload->len % 4 != 0)
    g_string_append_c (payload, '=');

  decoded = g_base64_decode (payload->str, &len);
  if (decoded == NULL || len == 0)
    return NULL;
  text = g_strndup ((const char *) decoded, len);
  if (!cb_json_check_limits (text, len, CB_JSON_MAX_RESPONSE_SIZE, CB_JSON_MAX_DEPTH, NULL))
    return NULL;
  if (!(json = json_from_string (text, NULL)) || !JSON_NODE_HOLDS_OBJECT (json))
    return NULL;

  for (guint i = 0; i < G_N_ELEMENTS (claims); i++)
    {
      const char *value = json_get_nonempty_string (json_node_get_object (json), claims[i]);

      if (value != NULL)
        return g_strdup (value);
    }

  return NULL;
}

static void
store_refresh_token_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  /* Not fatal: this session keeps working from memory; the user signs in again next time. */
  if (!cb_secrets_store_finish (CB_SECRETS (object), result, &error))
    g_message ("Could not keep the sign-in in the keyring: %s", error->message);

  g_task_return_pointer (task, g_strdup (g_task_get_task_data (task)),
                         (GDestroyNotify) cb_secrets_free_value);
}

/* Takes a successful /token answer for @scope: caches the access token, adopts a new
 * refresh token (Entra rotates them) and stores it, then returns the access token on @task.
 * The task's data must be the scope. */
static void
adopt_token_response (CbEntraClient  *self,
                      const char     *scope,
                      CbHttpResponse *response,
                      GTask          *task)
{
  JsonObject *object = cb_http_response_get_object (response);
  const char *access_token = json_get_nonempty_string (object, "access_token");
  const char *refresh_token = json_get_nonempty_string (object, "refresh_token");
  g_autofree char *username = NULL;
  Token *token;

  if (access_token == NULL)
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_PARSE, response->status,
                                                  NULL, NULL, 0,
                                                  "The sign-in service sent no access token"));
      return;
    }

  token = g_new0 (Token, 1);
  token->access_token = g_strdup (access_token);
  token->expires_at = g_get_real_time () / G_USEC_PER_SEC +
                      json_get_seconds (object, "expires_in", 3599);
  g_hash_table_replace (self->tokens, g_strdup (scope), token);

  if ((username = username_from_id_token (json_get_nonempty_string (object, "id_token"))) &&
      cb_set_str (&self->username, username))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);

  set_signed_in (self, TRUE);

  {
    g_autofree char *tenant = NULL;
    const char *bare_scope = key_scope (scope, &tenant);

    g_debug ("Got an access token for %s%s%s, valid for %" G_GINT64_FORMAT " s", bare_scope,
             tenant != NULL ? " in tenant " : "", tenant != NULL ? tenant : "",
             token->expires_at - g_get_real_time () / G_USEC_PER_SEC);
  }

  g_task_set_task_data (task, g_strdup (access_token), (GDestroyNotify) cb_secrets_free_value);

  if (refresh_token != NULL && g_strcmp0 (refresh_token, self->refresh_token) != 0)
    {
      cb_wipe_string (&self->refresh_token);
      self->refresh_token = g_strdup (refresh_token);
      cb_secrets_store_async (self->secrets, cb_profile_get_id (self->profile),
                              CB_SECRET_REFRESH_TOKEN, refresh_token, NULL,
                              store_refresh_token_cb, g_object_ref (task));
      return;
    }

  g_task_return_pointer (task, g_strdup (access_token), (GDestroyNotify) cb_secrets_free_value);
}

/* ---- device code ---------------------------------------------------------------------------- */

static void
begin_sign_in_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  g_autoptr(GTask) task = user_data;
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(CbEntraDeviceCode) code = NULL;
  GError *error = NULL;
  JsonObject *body;
  const char *verification_uri;
  gint64 expires_in;
  gint64 interval;

  if (!(response = cb_http_client_request_finish (http, result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  body = cb_http_response_get_object (response);
  verification_uri = json_get_nonempty_string (body, "verification_uri");
  if (verification_uri == NULL)
    /* v1 endpoints spell it "verification_url" */
    verification_uri = json_get_nonempty_string (body, "verification_url");

  if (json_get_nonempty_string (body, "device_code") == NULL ||
      json_get_nonempty_string (body, "user_code") == NULL ||
      verification_uri == NULL)
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_PARSE, response->status, NULL,
                                                  NULL, 0,
                                                  "The sign-in service sent an incomplete device code"));
      return;
    }

  code = g_object_new (CB_TYPE_ENTRA_DEVICE_CODE, NULL);
  code->device_code = g_strdup (json_get_nonempty_string (body, "device_code"));
  code->user_code = g_strdup (json_get_nonempty_string (body, "user_code"));
  code->verification_uri = g_strdup (verification_uri);
  code->message = g_strdup (json_get_nonempty_string (body, "message"));
  if (code->message == NULL)
    code->message = g_strdup_printf ("To sign in, open %s and enter the code %s.",
                                     code->verification_uri, code->user_code);
  expires_in = json_get_seconds (body, "expires_in", 900);
  interval = json_get_seconds (body, "interval", CB_ENTRA_DEVICE_CODE_DEFAULT_INTERVAL);
  code->interval = (guint) CLAMP (interval, 0, 60);
  code->expires_at = g_get_real_time () / G_USEC_PER_SEC + MAX (expires_in, 0);

  g_task_return_pointer (task, g_steal_pointer (&code), g_object_unref);
}

void
cb_entra_client_begin_sign_in_async (CbEntraClient       *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_entra_client_begin_sign_in_async);

  url = endpoint_url (self, NULL, "devicecode");
  form = form_new (self);
  g_hash_table_insert (form, (gpointer) "scope", (gpointer) CB_ENTRA_SCOPE_ARM " offline_access");

  cb_http_client_post_form_async (self->http, url, form, CB_HTTP_STYLE_OAUTH, cancellable,
                                  begin_sign_in_cb, g_steal_pointer (&task));
}

/**
 * cb_entra_client_begin_sign_in_finish:
 *
 * Returns: (transfer full): the code to show the user
 */
CbEntraDeviceCode *
cb_entra_client_begin_sign_in_finish (CbEntraClient  *self,
                                      GAsyncResult   *result,
                                      GError        **error)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  CbEntraDeviceCode *code;
  guint              interval;
  guint              generation;
  guint              polls;
} Poll;

static void
poll_free (Poll *poll)
{
  g_clear_object (&poll->code);
  g_free (poll);
}

static void poll_wait (GTask *task);

static void
token_stored_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autofree char *token = NULL;
  GError *error = NULL;

  if (!(token = g_task_propagate_pointer (G_TASK (result), &error)))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);

  if (token != NULL)
    memset (token, 0, strlen (token));
}

static void
poll_token_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  g_autoptr(GTask) task = user_data;
  CbEntraClient *self = g_task_get_source_object (task);
  Poll *poll = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  GTask *inner;

  response = cb_http_client_request_finish (http, result, &error);

  if (poll->generation != self->generation)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "Signed out");
      return;
    }

  if (response == NULL)
    {
      if (g_error_matches (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING))
        {
          if (g_strcmp0 (cb_api_error_get_remote_code (error), "slow_down") == 0)
            poll->interval += SLOW_DOWN_STEP;
          poll_wait (task);
          return;
        }

      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Reuse the token adoption path; its task reports the access token, ours a boolean. */
  inner = g_task_new (self, g_task_get_cancellable (task), token_stored_cb, g_object_ref (task));
  g_task_set_source_tag (inner, cb_entra_client_complete_sign_in_async);
  adopt_token_response (self, CB_ENTRA_SCOPE_ARM, response, inner);
  g_object_unref (inner);
}

static void
poll_wait_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbEntraClient *self = g_task_get_source_object (task);
  Poll *poll = g_task_get_task_data (task);
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *url = NULL;
  GError *error = NULL;

  if (!cb_http_sleep_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_get_real_time () / G_USEC_PER_SEC >= poll->code->expires_at)
    {
      g_task_return_error (task,
                           cb_api_error_new_full (CB_API_ERROR_EXPIRED, 0, "expired_token", NULL, 0,
                                                  "The sign-in code expired before it was used"));
      return;
    }

  url = endpoint_url (self, NULL, "token");
  form = form_new (self);
  g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) DEVICE_CODE_GRANT);
  g_hash_table_insert (form, (gpointer) "device_code", poll->code->device_code);

  cb_http_client_post_form_async (self->http, url, form, CB_HTTP_STYLE_OAUTH,
                                  g_task_get_cancellable (task), poll_token_cb,
                                  g_object_ref (task));
}

static void
poll_wait (GTask *task)
{
  Poll *poll = g_task_get_task_data (task);
  /* An interval of 0 (the sandbox, whose codes approve themselves) polls at once the first
   * time and then yields to the main loop for a moment between polls. */
  guint delay_ms = poll->interval > 0 ? poll->interval * 1000 : poll->polls > 0 ? 50 : 0;

  poll->polls++;

  cb_http_sleep_async (delay_ms, g_task_get_cancellable (task), poll_wait_cb, g_object_ref (task));
}

void
cb_entra_client_complete_sign_in_async (CbEntraClient       *self,
                                        CbEntraDeviceCode   *code,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Poll *poll;

  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (CB_IS_ENTRA_DEVICE_CODE (code));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_entra_client_complete_sign_in_async);

  poll = g_new0 (Poll, 1);
  poll->code = g_object_ref (code);
  poll->interval = code->interval;
  poll->generation = self->generation;
  g_task_set_task_data (task, poll, (GDestroyNotify) poll_free);

  poll_wait (task);
}

gboolean
cb_entra_client_complete_sign_in_finish (CbEntraClient  *self,
                                         GAsyncResult   *result,
                                         GError        **error)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- access tokens -------------------------------------------------------------------------- */

void
cb_entra_client_forget_access_token (CbEntraClient *self,
                                     const char    *scope)
{
  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (scope != NULL);

  g_hash_table_remove (self->tokens, scope);
}

void
cb_entra_client_forget_tenant_access_token (CbEntraClient *self,
                                            const char    *tenant,
                                            const char    *scope)
{
  g_autofree char *key = NULL;

  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (scope != NULL);

  key = token_key (tenant, scope);
  g_hash_table_remove (self->tokens, key);
}

typedef struct
{
  char  *scope;
  guint  generation;
} Refresh;

static void
refresh_free (Refresh *refresh)
{
  g_free (refresh->scope);
  g_free (refresh);
}

static void start_refresh (CbEntraClient *self,
                           const char    *scope);

/* Answers every caller waiting for @scope, then lets the next scope refresh. */
static void
complete_waiters (CbEntraClient *self,
                  const char    *scope,
                  const char    *token,
                  const GError  *error)
{
  g_autoptr(GPtrArray) waiters = NULL;
  gpointer key = NULL;

  if (g_hash_table_steal_extended (self->pending, scope, &key, (gpointer *)&waiters))
    g_free (key);

  for (guint i = 0; waiters != NULL && i < waiters->len; i++)
    {
      GTask *waiter = g_ptr_array_index (waiters, i);

      /* The shared request is not cancelled by one caller; each caller still gets its own
       * cancellation reported. */
      if (g_task_return_error_if_cancelled (waiter))
        continue;
      if (error != NULL)
        g_task_return_error (waiter, g_error_copy (error));
      else
        g_task_return_pointer (waiter, g_strdup (token), (GDestroyNotify) cb_secrets_free_value);
    }

  self->refreshing = FALSE;
  if (!g_queue_is_empty (&self->refresh_queue))
    {
      g_autofree char *next = g_queue_pop_head (&self->refresh_queue);

      start_refresh (self, next);
    }
}

static void
refresh_adopted_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  CbEntraClient *self = CB_ENTRA_CLIENT (object);
  g_autofree char *scope = user_data;
  g_autoptr(GError) error = NULL;
  char *token;

  token = g_task_propagate_pointer (G_TASK (result), &error);
  complete_waiters (self, scope, token, error);
  cb_secrets_free_value (token);
}

static void
refresh_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CbHttpClient *http = (CbHttpClient *)object;
  g_autoptr(GTask) task = user_data;
  CbEntraClient *self = g_task_get_source_object (task);
  Refresh *refresh = g_task_get_task_data (task);
  g_autoptr(CbHttpResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  GTask *inner;

  response = cb_http_client_request_finish (http, result, &error);

  if (refresh->generation != self->generation)
    {
      g_autoptr(GError) signed_out =
        cb_api_error_new_full (CB_API_ERROR_UNAUTHORIZED, 0, NULL, NULL, 0, "Signed out");

      complete_waiters (self, refresh->scope, NULL, signed_out);
      g_task_return_boolean (task, FALSE);
      return;
    }

  if (response == NULL)
    {
      /* Refused for another tenant, the account may just not belong there (AADSTS50020):
       * the sign-in stays; a dead refresh token shows at the profile's own tenant. */
      if (g_error_matches (error, CB_API_ERROR, CB_API_ERROR_UNAUTHORIZED) &&
          strchr (refresh->scope, '\n') == NULL)
        {
          /* The refresh token is dead (revoked, expired, password changed). */
          cb_wipe_string (&self->refresh_token);
          g_hash_table_remove_all (self->tokens);
          set_signed_in (self, FALSE);
          g_prefix_error (&error, "Sign in again: ");
        }

      complete_waiters (self, refresh->scope, NULL, error);
      g_task_return_boolean (task, FALSE);
      return;
    }

  inner = g_task_new (self, NULL, refresh_adopted_cb, g_strdup (refresh->scope));
  g_task_set_source_tag (inner, cb_entra_client_get_access_token_async);
  adopt_token_response (self, refresh->scope, response, inner);
  g_object_unref (inner);
  g_task_return_boolean (task, TRUE);
}

static void
refresh_with (GTask      *task,
              const char *refresh_token)
{
  CbEntraClient *self = g_task_get_source_object (task);
  Refresh *refresh = g_task_get_task_data (task);
  g_autoptr(GHashTable) form = form_new (self);
  g_autofree char *tenant = NULL;
  const char *bare_scope = key_scope (refresh->scope, &tenant);
  g_autofree char *url = endpoint_url (self, tenant, "token");
  g_autofree char *scope = g_strconcat (bare_scope, " offline_access", NULL);

  g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) "refresh_token");
  g_hash_table_insert (form, (gpointer) "refresh_token", (gpointer) refresh_token);
  g_hash_table_insert (form, (gpointer) "scope", scope);

  cb_http_client_post_form_async (self->http, url, form, CB_HTTP_STYLE_OAUTH, NULL,
                                  refresh_token_cb, g_object_ref (task));
}

static void
lookup_refresh_token_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbEntraClient *self = g_task_get_source_object (task);
  Refresh *refresh = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  char *stored;

  stored = cb_secrets_lookup_finish (CB_SECRETS (object), result, &error);

  if (refresh->generation != self->generation)
    g_clear_pointer (&stored, cb_secrets_free_value);

  if (stored == NULL)
    {
      g_autoptr(GError) not_signed_in =
        cb_api_error_new_full (CB_API_ERROR_UNAUTHORIZED, 0, NULL, NULL, 0,
                               error ? "Not signed in (the keyring is not available: %s)"
                                     : "Not signed in%s",
                               error ? error->message : "");

      complete_waiters (self, refresh->scope, NULL, not_signed_in);
      g_task_return_boolean (task, FALSE);
      return;
    }

  if (self->refresh_token == NULL)
    self->refresh_token = g_strdup (stored);
  cb_secrets_free_value (stored);

  refresh_with (task, self->refresh_token);
}

/* Starts the one shared token request for @scope; the waiters list already exists. */
static void
start_refresh (CbEntraClient *self,
               const char    *scope)
{
  g_autoptr(GTask) task = NULL;
  Refresh *refresh;

  g_assert (!self->refreshing);
  self->refreshing = TRUE;

  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, start_refresh);
  refresh = g_new0 (Refresh, 1);
  refresh->scope = g_strdup (scope);
  refresh->generation = self->generation;
  g_task_set_task_data (task, refresh, (GDestroyNotify) refresh_free);

  if (self->refresh_token != NULL)
    refresh_with (task, self->refresh_token);
  else
    cb_secrets_lookup_async (self->secrets, cb_profile_get_id (self->profile),
                             CB_SECRET_REFRESH_TOKEN, NULL,
                             lookup_refresh_token_cb, g_object_ref (task));
}

/* (transfer none) @key's cached token while a request can still go out with it */
static Token *
lookup_fresh_token (CbEntraClient *self,
                    const char    *key)
{
  Token *token = g_hash_table_lookup (self->tokens, key);

  if (token != NULL &&
      token->expires_at - EXPIRY_MARGIN_SECS > g_get_real_time () / G_USEC_PER_SEC)
    return token;
  return NULL;
}

char *
cb_entra_client_dup_cached_access_token (CbEntraClient *self,
                                         const char    *scope)
{
  Token *token;

  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), NULL);
  g_return_val_if_fail (scope != NULL, NULL);

  token = lookup_fresh_token (self, scope);
  return token != NULL ? g_strdup (token->access_token) : NULL;
}

static void
get_token (CbEntraClient       *self,
           const char          *scope,
           gboolean             force,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GPtrArray *waiters;
  Token *token;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  token = lookup_fresh_token (self, scope);
  if (!force && token != NULL)
    {
      g_task_return_pointer (task, g_strdup (token->access_token),
                             (GDestroyNotify) cb_secrets_free_value);
      return;
    }

  if ((waiters = g_hash_table_lookup (self->pending, scope)))
    {
      g_ptr_array_add (waiters, g_steal_pointer (&task));
      return;
    }

  waiters = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (waiters, g_steal_pointer (&task));
  g_hash_table_insert (self->pending, g_strdup (scope), waiters);

  if (self->refreshing)
    g_queue_push_tail (&self->refresh_queue, g_strdup (scope));
  else
    start_refresh (self, scope);
}

void
cb_entra_client_get_access_token_async (CbEntraClient       *self,
                                        const char          *scope,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (scope != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  get_token (self, scope, FALSE, cb_entra_client_get_access_token_async,
             cancellable, callback, user_data);
}

void
cb_entra_client_get_tenant_access_token_async (CbEntraClient       *self,
                                               const char          *tenant,
                                               const char          *scope,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data)
{
  g_autofree char *key = NULL;

  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (scope != NULL && strchr (scope, '\n') == NULL);
  g_return_if_fail (tenant == NULL || (*tenant != '\0' && strchr (tenant, '\n') == NULL));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  key = token_key (tenant, scope);
  get_token (self, key, FALSE, cb_entra_client_get_access_token_async,
             cancellable, callback, user_data);
}

/**
 * cb_entra_client_get_access_token_finish:
 *
 * Returns: (transfer full): the access token (free with cb_secrets_free_value())
 */
char *
cb_entra_client_get_access_token_finish (CbEntraClient  *self,
                                         GAsyncResult   *result,
                                         GError        **error)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cb_entra_client_refresh_async (CbEntraClient       *self,
                               const char          *scope,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (scope != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  get_token (self, scope, TRUE, cb_entra_client_refresh_async, cancellable, callback, user_data);
}

/**
 * cb_entra_client_refresh_finish:
 *
 * Returns: (transfer full): the new access token (free with cb_secrets_free_value())
 */
char *
cb_entra_client_refresh_finish (CbEntraClient  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- sign-out ------------------------------------------------------------------------------- */

static void
sign_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!cb_secrets_clear_finish (CB_SECRETS (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
cb_entra_client_sign_out_async (CbEntraClient       *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CB_IS_ENTRA_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_entra_client_sign_out_async);

  self->generation++;
  cb_wipe_string (&self->refresh_token);
  g_hash_table_remove_all (self->tokens);
  if (self->username != NULL)
    {
      g_clear_pointer (&self->username, g_free);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
    }
  set_signed_in (self, FALSE);

  cb_secrets_clear_async (self->secrets, cb_profile_get_id (self->profile),
                          CB_SECRET_REFRESH_TOKEN, cancellable,
                          sign_out_cb, g_steal_pointer (&task));
}

gboolean
cb_entra_client_sign_out_finish (CbEntraClient  *self,
                                 GAsyncResult   *result,
                                 GError        **error)
{
  g_return_val_if_fail (CB_IS_ENTRA_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
