/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The services the app and the CLI share (like GNOME Calendar's GcalContext): the connection
 * profiles, the active one's service clients, the secret store, the journal, the port monitor
 * and, for the sandbox profile, the local service run inside this process (behind
 * CbLocalService, so core never calls the sandbox). Its sign-in is in cb-context-sign-in.c. */
#define G_LOG_DOMAIN "cb-context"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "cb-adr-client-ca.h"
#include "cb-context-private.h"
#include "cb-dps-service-client.h"
#include "cb-error.h"
#include "cb-udev-port-monitor.h"

#define SANDBOX_PROFILE_ID "sandbox"

G_DEFINE_FINAL_TYPE (CbContext, cb_context, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROFILE,
  PROP_LOCAL_SERVICE,
  PROP_HTTP,
  PROP_SECRETS,
  PROP_ENTRA,
  PROP_ADR,
  PROP_HUB,
  PROP_DPS,
  PROP_JOURNAL,
  PROP_PORT_MONITOR,
  PROP_CANCELLABLE,
  PROP_STATE,
  PROP_STATUS_TEXT,
  PROP_USERNAME,
  PROP_DATA_DIR,
  PROP_SECRETS_PROBLEM,
  PROP_FLAGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum { SIGNAL_STATION_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void cb_context_activate (CbContext *self);

gboolean
_cb_context_is_sandbox (CbProfile *profile)
{
  return profile != NULL && cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX;
}

void
_cb_context_set_state (CbContext      *self,
                       CbContextState  state,
                       const char     *status_text,
                       const GError   *error)
{
  gboolean text_changed = g_strcmp0 (status_text, self->status_text) != 0;

  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);

  if (text_changed)
    {
      g_free (self->status_text);
      self->status_text = g_strdup (status_text);
    }

  /* Error text first, so a handler of notify::state sees the matching text. */
  if (text_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_TEXT]);

  if (self->state != state || error != NULL)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

/* Enrollments are read in the model of the namespace they name: the DPS service client follows
 * the ADR client as soon as it knows the profile's namespace's model. */
static void
model_found_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  CbAdrModel model;

  model = cb_adr_client_get_model_finish (CB_ADR_CLIENT (source), result, &error);
  if (model == CB_ADR_MODEL_UNKNOWN)
    g_debug ("The ADR model of the profile's namespace is not known: %s", error->message);
  else if (CB_ADR_CLIENT (source) == self->adr && self->dps_service != NULL)
    cb_dps_service_client_set_model (self->dps_service, model);
  g_task_return_boolean (task, TRUE);
}

void
_cb_context_find_model_async (CbContext           *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  CbAdrModel model;

  g_task_set_source_tag (task, _cb_context_find_model_async);
  if (self->adr == NULL || self->dps_service == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  model = cb_adr_client_peek_model (self->adr);
  if (model != CB_ADR_MODEL_UNKNOWN)
    {
      cb_dps_service_client_set_model (self->dps_service, model);
      g_task_return_boolean (task, TRUE);
      return;
    }

  cb_adr_client_get_model_async (self->adr, cancellable, model_found_cb, g_steal_pointer (&task));
}

void
_cb_context_set_ready (CbContext *self)
{
  g_autofree char *text = NULL;
  const char *user = cb_context_get_username (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
  _cb_context_find_model_async (self, self->cancellable, NULL, NULL);

  if (_cb_context_is_sandbox (self->profile))
    text = g_strdup (_("Sandbox"));
  else if (user != NULL)
    /* Translators: a profile name, then the signed-in user */
    text = g_strdup_printf (_("%s · %s"), cb_profile_get_name (self->profile), user);
  else
    text = g_strdup (cb_profile_get_name (self->profile));

  _cb_context_set_state (self, CB_CONTEXT_STATE_READY, text, NULL);
}

void
_cb_context_set_signed_out (CbContext *self)
{
  g_autofree char *text = NULL;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
  /* Translators: a connection profile's name */
  text = g_strdup_printf (_("%s · Not signed in"), cb_profile_get_name (self->profile));
  _cb_context_set_state (self, CB_CONTEXT_STATE_SIGNED_OUT, text, NULL);
}

void
_cb_context_set_error (CbContext    *self,
                       const GError *error)
{
  g_autofree char *text = NULL;

  if (_cb_context_is_sandbox (self->profile))
    text = g_strdup (_("Sandbox unavailable"));
  else
    /* Translators: a connection profile's name */
    text = g_strdup_printf (_("%s · Unavailable"), cb_profile_get_name (self->profile));

  g_debug ("Profile %s failed: %s", cb_profile_get_id (self->profile), error->message);
  _cb_context_set_state (self, CB_CONTEXT_STATE_ERROR, text, error);
}

static void
clear_clients (CbContext *self)
{
  g_clear_object (&self->adr);
  g_clear_object (&self->hub);
  g_clear_object (&self->dps);
  g_clear_object (&self->dps_service);
  g_clear_object (&self->entra);
  g_clear_object (&self->http);
}

void
_cb_context_notify_clients (CbContext *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HTTP]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENTRA]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADR]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HUB]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DPS]);
}

/* A command line waits for nobody: it gives up on a service's Retry-After beyond this, and on
 * a DPS registration after that (CB_CONTEXT_FLAGS_UNATTENDED). */
#define UNATTENDED_MAX_DELAY_S  10
#define UNATTENDED_DPS_S        120

void
_cb_context_make_arm_clients (CbContext *self)
{
  const char *hub_host = cb_profile_get_hub_host_name (self->profile);

  self->adr = cb_adr_client_new (self->profile, self->http);
  cb_adr_client_set_entra_client (self->adr, self->entra);
  /* Signed in on demand, a context without a hub goes by the device's word (no twin to read). */
  if (!(self->flags & CB_CONTEXT_FLAGS_ARM_ON_DEMAND) || hub_host != NULL)
    self->hub = cb_hub_client_new (self->profile, self->http, self->entra);
  self->dps_service = cb_dps_service_client_new (self->profile, self->http, self->entra);
}

static gboolean
make_clients (CbContext  *self,
              GError    **error)
{
  g_autoptr(CbHttpClient) http = cb_http_client_new (self->profile, error);

  if (http == NULL)
    return FALSE;

  self->http = g_steal_pointer (&http);
  self->entra = cb_entra_client_new (self->profile, self->http, self->secrets);
  self->dps = cb_dps_client_new (self->profile, self->http);
  if (self->flags & CB_CONTEXT_FLAGS_UNATTENDED)
    {
      cb_http_client_set_max_delay (self->http, UNATTENDED_MAX_DELAY_S);
      cb_dps_client_set_timeout (self->dps, UNATTENDED_DPS_S);
    }
  /* On demand (or never), ARM's clients wait for cb_context_sign_in_arm_async(). */
  if (!(self->flags & (CB_CONTEXT_FLAGS_ARM_ON_DEMAND | CB_CONTEXT_FLAGS_NO_ARM)))
    _cb_context_make_arm_clients (self);
  return TRUE;
}

gboolean
_cb_context_is_current (CbContext    *self,
                        GCancellable *cancellable)
{
  return cancellable == self->cancellable && !g_cancellable_is_cancelled (cancellable);
}

static void
store_key_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!cb_secrets_store_finish (CB_SECRETS (object), result, &error))
    g_debug ("Could not store the sandbox enrollment key: %s", error->message);
}

static void
lookup_key_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CbContext) self = user_data;
  g_autoptr(GError) error = NULL;
  char *value;
  char *key;

  /* Not there, or the keyring cannot be read (no secret service, locked): the sandbox hands
   * its key again at every start, so it needs no stored secret. Stored, it is kept in the
   * keyring if there is one, else for this session. */
  value = cb_secrets_lookup_finish (CB_SECRETS (object), result, &error);
  if (value != NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      self->sandbox == NULL || !_cb_context_is_sandbox (self->profile))
    {
      cb_secrets_free_value (value);
      return;
    }
  if (error != NULL)
    g_debug ("The sandbox enrollment key is not readable in the keyring: %s", error->message);

  key = cb_local_service_dup_enrollment_group_key (self->sandbox,
                                                   cb_profile_get_dps_name (self->profile),
                                                   cb_profile_get_enrollment_group_id (
                                                     self->profile));
  if (key != NULL)
    cb_secrets_store_async (self->secrets, cb_profile_get_id (self->profile),
                            CB_SECRET_ENROLLMENT_GROUP_KEY, key, NULL, store_key_cb, NULL);
  cb_secrets_free_value (key);
}

static void
secrets_problem_cb (CbContext *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECRETS_PROBLEM]);
}

static void
connect_profile (CbContext *self)
{
  g_autoptr(GError) error = NULL;

  /* The sandbox hands its tokens and keys again at every start: they never need the keyring,
   * so a missing, locked or prompting keyring cannot hold up its sign-in. */
  if (_cb_context_is_sandbox (self->profile))
    cb_secrets_set_session_only (self->secrets, cb_profile_get_id (self->profile));

  /* "profile" is notified once the new clients are in place, so a page that reloads on it
   * reaches the new backend (and then waits for "state" to say READY). */
  if (!make_clients (self, &error))
    {
      _cb_context_notify_clients (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
      _cb_context_set_error (self, error);
      return;
    }
  _cb_context_notify_clients (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);

  if (_cb_context_is_sandbox (self->profile) && self->sandbox != NULL)
    cb_secrets_lookup_async (self->secrets, cb_profile_get_id (self->profile),
                             CB_SECRET_ENROLLMENT_GROUP_KEY, NULL, lookup_key_cb,
                             g_object_ref (self));

  /* Signed in when asked (a command line), or never: the clients that need no sign-in are
   * ready, the others come with cb_context_sign_in_arm_async(). */
  if (self->flags & (CB_CONTEXT_FLAGS_ARM_ON_DEMAND | CB_CONTEXT_FLAGS_NO_ARM))
    {
      _cb_context_set_signed_out (self);
      return;
    }

  _cb_context_set_state (self, CB_CONTEXT_STATE_STARTING,
                         _cb_context_is_sandbox (self->profile) ? _("Signing in to the sandbox…")
                                                                : _("Signing in…"),
                         NULL);
  _cb_context_sign_in (self);
}

/* The sandbox ------------------------------------------------------------------------- */

static void
start_sandbox_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  CbContext *self = source_object;
  const char *dir = task_data;
  g_autoptr(CbLocalService) sandbox = NULL;
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               _("Could not create %s: %s"), dir, g_strerror (saved_errno));
      return;
    }

  sandbox = self->start_sandbox (dir, &error);
  if (sandbox == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&sandbox), g_object_unref);
}

static void
replace_sandbox_profile (CbContext *self,
                         CbProfile *profile)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->profiles));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbProfile) item = g_list_model_get_item (G_LIST_MODEL (self->profiles), i);

      if (g_strcmp0 (cb_profile_get_id (item), SANDBOX_PROFILE_ID) == 0)
        {
          g_list_store_splice (self->profiles, i, 1, (gpointer *) &profile, 1);
          return;
        }
    }
  g_list_store_insert (self->profiles, 0, profile);
}

/* The sandbox profile is made afresh from the sandbox each time; the station's own choice of
 * enrollment group and policy is kept next to the app's data. */
static char *
station_path (CbContext *self)
{
  return g_build_filename (self->data_dir, "sandbox-station.ini", NULL);
}

static void
apply_sandbox_station (CbContext *self,
                       CbProfile *profile)
{
  g_autoptr(GKeyFile) key_file = g_key_file_new ();
  g_autofree char *path = station_path (self);
  g_autofree char *group = NULL;
  g_autofree char *policy = NULL;

  if (!g_key_file_load_from_file (key_file, path, G_KEY_FILE_NONE, NULL))
    return;
  group = g_key_file_get_string (key_file, "station", "enrollment-group", NULL);
  policy = g_key_file_get_string (key_file, "station", "credential-policy", NULL);
  if (group != NULL && *group != '\0')
    cb_profile_set_enrollment_group_id (profile, group);
  if (policy != NULL && *policy != '\0')
    cb_profile_set_credential_policy (profile, policy);
}

static void
adopt_sandbox_profile (CbContext *self)
{
  g_autoptr(CbProfile) profile = cb_local_service_create_profile (self->sandbox);

  apply_sandbox_station (self, profile);

  replace_sandbox_profile (self, profile);
  g_set_object (&self->profile, profile);
}

static void
start_sandbox_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CbContext *self = CB_CONTEXT (object);
  g_autoptr(CbLocalService) sandbox = NULL;
  g_autoptr(GError) error = NULL;

  self->sandbox_starting = FALSE;
  sandbox = g_task_propagate_pointer (G_TASK (result), &error);
  if (sandbox == NULL)
    {
      if (_cb_context_is_sandbox (self->profile))
        _cb_context_set_error (self, error);
      return;
    }

  /* Quit while the sandbox was still coming up: nobody will use it. */
  if (self->shut_down)
    {
      cb_local_service_stop (sandbox);
      return;
    }

  self->sandbox = g_steal_pointer (&sandbox);
  self->owns_sandbox = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_SERVICE]);

  /* The user may have switched to an Azure profile while the sandbox came up. */
  if (_cb_context_is_sandbox (self->profile))
    {
      adopt_sandbox_profile (self);
      connect_profile (self);
    }
}

static void
cb_context_activate (CbContext *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CANCELLABLE]);

  clear_clients (self);

  if (!_cb_context_is_sandbox (self->profile) || self->fixed_profile)
    {
      connect_profile (self);
      return;
    }

  if (self->sandbox != NULL)
    {
      adopt_sandbox_profile (self);
      connect_profile (self);
      return;
    }

  _cb_context_notify_clients (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
  _cb_context_set_state (self, CB_CONTEXT_STATE_STARTING, _("Starting the sandbox…"), NULL);
  if (self->start_sandbox == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                                     _("This build has no local sandbox"));

      _cb_context_set_error (self, error);
      return;
    }
  if (!self->sandbox_starting)
    {
      g_autoptr(GTask) task = g_task_new (self, NULL, start_sandbox_cb, NULL);

      self->sandbox_starting = TRUE;
      g_task_set_source_tag (task, cb_context_activate);
      g_task_set_task_data (task, g_build_filename (self->data_dir, "sandbox", NULL), g_free);
      g_task_run_in_thread (task, start_sandbox_thread);
    }
}

/* Profiles ------------------------------------------------------------------------------ */

static CbProfile *
find_profile (CbContext  *self,
              const char *id,
              guint      *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->profiles));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbProfile) item = g_list_model_get_item (G_LIST_MODEL (self->profiles), i);

      if (g_strcmp0 (cb_profile_get_id (item), id) == 0)
        {
          if (position != NULL)
            *position = i;
          return item;   /* the store keeps its reference */
        }
    }

  return NULL;
}

static void
load_profiles (CbContext *self)
{
  g_autoptr(CbProfile) sandbox = NULL;
  g_autoptr(GPtrArray) saved = NULL;
  g_autoptr(GError) error = NULL;

  if (self->sandbox != NULL)
    sandbox = cb_local_service_create_profile (self->sandbox);
  else
    sandbox = cb_profile_new (SANDBOX_PROFILE_ID, _("Local sandbox"), CB_PROFILE_KIND_SANDBOX);
  g_list_store_append (self->profiles, sandbox);

  if (g_file_test (self->profiles_path, G_FILE_TEST_EXISTS))
    {
      saved = cb_profile_list_load (self->profiles_path, &error);
      if (saved == NULL)
        g_message ("Could not read the connection profiles: %s", error->message);
    }

  for (guint i = 0; saved != NULL && i < saved->len; i++)
    {
      CbProfile *profile = g_ptr_array_index (saved, i);

      if (cb_profile_get_kind (profile) == CB_PROFILE_KIND_AZURE &&
          find_profile (self, cb_profile_get_id (profile), NULL) == NULL)
        g_list_store_append (self->profiles, profile);
    }

  g_set_object (&self->profile, sandbox);
}

static gboolean
save_profiles (CbContext  *self,
               GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *dir = g_path_get_dirname (self->profiles_path);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->profiles));

  for (guint i = 0; i < n; i++)
    {
      CbProfile *item = g_list_model_get_item (G_LIST_MODEL (self->profiles), i);

      if (cb_profile_get_kind (item) == CB_PROFILE_KIND_AZURE)
        g_ptr_array_add (list, item);
      else
        g_object_unref (item);
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not create %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }

  return cb_profile_list_save (list, self->profiles_path, error);
}

gboolean
cb_context_set_station (CbContext   *self,
                        const char  *enrollment_group_id,
                        const char  *credential_policy,
                        GError     **error)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (self->profile != NULL, FALSE);

  if (g_strcmp0 (cb_profile_get_enrollment_group_id (self->profile), enrollment_group_id) == 0 &&
      g_strcmp0 (cb_profile_get_credential_policy (self->profile), credential_policy) == 0)
    return TRUE;

  cb_profile_set_enrollment_group_id (self->profile, enrollment_group_id);
  cb_profile_set_credential_policy (self->profile, credential_policy);

  if (_cb_context_is_sandbox (self->profile))
    {
      g_autoptr(GKeyFile) key_file = g_key_file_new ();
      g_autofree char *path = station_path (self);

      if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not create %s: %s"), self->data_dir, g_strerror (saved_errno));
          g_signal_emit (self, signals[SIGNAL_STATION_CHANGED], 0);
          return FALSE;
        }
      g_key_file_set_string (key_file, "station", "enrollment-group",
                             enrollment_group_id != NULL ? enrollment_group_id : "");
      g_key_file_set_string (key_file, "station", "credential-policy",
                             credential_policy != NULL ? credential_policy : "");
      if (!g_key_file_save_to_file (key_file, path, error))
        {
          g_signal_emit (self, signals[SIGNAL_STATION_CHANGED], 0);
          return FALSE;
        }
    }
  else if (!save_profiles (self, error))
    {
      g_signal_emit (self, signals[SIGNAL_STATION_CHANGED], 0);
      return FALSE;
    }

  g_signal_emit (self, signals[SIGNAL_STATION_CHANGED], 0);
  return TRUE;
}

CbDpsServiceClient *
cb_context_get_dps_service (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);
  return self->dps_service;
}

/* GObject ------------------------------------------------------------------------------- */

static void
cb_context_dispose (GObject *object)
{
  CbContext *self = CB_CONTEXT (object);

  cb_context_shutdown (self);
  clear_clients (self);
  g_clear_object (&self->profile);
  g_clear_object (&self->sandbox);
  g_clear_object (&self->secrets);
  g_clear_object (&self->journal);
  g_clear_object (&self->port_monitor);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->profiles);

  G_OBJECT_CLASS (cb_context_parent_class)->dispose (object);
}

static void
cb_context_finalize (GObject *object)
{
  CbContext *self = CB_CONTEXT (object);

  g_clear_error (&self->error);
  g_free (self->status_text);
  g_free (self->data_dir);
  g_free (self->profiles_path);
  g_free (self->journal_path);

  G_OBJECT_CLASS (cb_context_parent_class)->finalize (object);
}

static void
cb_context_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CbContext *self = CB_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_PROFILE:
      g_value_set_object (value, self->profile);
      break;
    case PROP_LOCAL_SERVICE:
      g_value_set_object (value, self->sandbox);
      break;
    case PROP_HTTP:
      g_value_set_object (value, self->http);
      break;
    case PROP_SECRETS:
      g_value_set_object (value, self->secrets);
      break;
    case PROP_ENTRA:
      g_value_set_object (value, self->entra);
      break;
    case PROP_ADR:
      g_value_set_object (value, self->adr);
      break;
    case PROP_HUB:
      g_value_set_object (value, self->hub);
      break;
    case PROP_DPS:
      g_value_set_object (value, self->dps);
      break;
    case PROP_JOURNAL:
      g_value_set_object (value, self->journal);
      break;
    case PROP_PORT_MONITOR:
      g_value_set_object (value, self->port_monitor);
      break;
    case PROP_CANCELLABLE:
      g_value_set_object (value, self->cancellable);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_STATUS_TEXT:
      g_value_set_string (value, self->status_text);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, cb_context_get_username (self));
      break;
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;
    case PROP_SECRETS_PROBLEM:
      g_value_set_string (value, cb_context_get_secrets_problem (self));
      break;
    case PROP_FLAGS:
      g_value_set_flags (value, self->flags);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_context_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CbContext *self = CB_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_FLAGS:
      self->flags = g_value_get_flags (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_context_class_init (CbContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cb_context_dispose;
  object_class->finalize = cb_context_finalize;
  object_class->get_property = cb_context_get_property;
  object_class->set_property = cb_context_set_property;

  properties[PROP_PROFILE] = g_param_spec_object ("profile", NULL, NULL, CB_TYPE_PROFILE, flags);
  properties[PROP_LOCAL_SERVICE] =
    g_param_spec_object ("local-service", NULL, NULL, CB_TYPE_LOCAL_SERVICE, flags);
  properties[PROP_HTTP] = g_param_spec_object ("http", NULL, NULL, CB_TYPE_HTTP_CLIENT, flags);
  properties[PROP_SECRETS] = g_param_spec_object ("secrets", NULL, NULL, CB_TYPE_SECRETS, flags);
  properties[PROP_ENTRA] = g_param_spec_object ("entra", NULL, NULL, CB_TYPE_ENTRA_CLIENT, flags);
  properties[PROP_ADR] = g_param_spec_object ("adr", NULL, NULL, CB_TYPE_ADR_CLIENT, flags);
  properties[PROP_HUB] = g_param_spec_object ("hub", NULL, NULL, CB_TYPE_HUB_CLIENT, flags);
  properties[PROP_DPS] = g_param_spec_object ("dps", NULL, NULL, CB_TYPE_DPS_CLIENT, flags);
  properties[PROP_JOURNAL] = g_param_spec_object ("journal", NULL, NULL, CB_TYPE_JOURNAL, flags);
  properties[PROP_PORT_MONITOR] =
    g_param_spec_object ("port-monitor", NULL, NULL, CB_TYPE_PORT_MONITOR, flags);
  properties[PROP_CANCELLABLE] =
    g_param_spec_object ("cancellable", NULL, NULL, G_TYPE_CANCELLABLE, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CB_TYPE_CONTEXT_STATE, CB_CONTEXT_STATE_STARTING,
                       flags);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, flags);
  properties[PROP_DATA_DIR] = g_param_spec_string ("data-dir", NULL, NULL, NULL, flags);
  properties[PROP_SECRETS_PROBLEM] =
    g_param_spec_string ("secrets-problem", NULL, NULL, NULL, flags);

  /* How the context was built (cb_context_new_for_profile()): the app's, or a command line's. */
  properties[PROP_FLAGS] =
    g_param_spec_flags ("flags", NULL, NULL, CB_TYPE_CONTEXT_FLAGS, CB_CONTEXT_FLAGS_NONE,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The active profile's enrollment group or credential policy changed. */
  signals[SIGNAL_STATION_CHANGED] =
    g_signal_new ("station-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
cb_context_init (CbContext *self)
{
  self->profiles = g_list_store_new (CB_TYPE_PROFILE);
  self->cancellable = g_cancellable_new ();
  self->state = CB_CONTEXT_STATE_STARTING;
  self->status_text = g_strdup (_("Starting…"));
}

CbContext *
cb_context_new_for_service (CbLocalService          *sandbox,
                            CbLocalServiceStartFunc  start_sandbox,
                            CbSecrets               *secrets,
                            CbPortMonitor           *port_monitor,
                            const char              *data_dir,
                            const char              *profiles_path,
                            const char              *journal_path)
{
  CbContext *self = g_object_new (CB_TYPE_CONTEXT, NULL);
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (sandbox == NULL || CB_IS_LOCAL_SERVICE (sandbox), NULL);
  g_return_val_if_fail (secrets == NULL || CB_IS_SECRETS (secrets), NULL);
  g_return_val_if_fail (port_monitor == NULL || CB_IS_PORT_MONITOR (port_monitor), NULL);

  self->data_dir = data_dir != NULL ? g_strdup (data_dir)
                                    : g_build_filename (g_get_user_data_dir (), "certbench", NULL);
  self->profiles_path = profiles_path != NULL ? g_strdup (profiles_path)
                                              : cb_profile_list_default_path ();
  self->journal_path = journal_path != NULL ? g_strdup (journal_path)
                                            : cb_journal_dup_default_path ();
  self->sandbox = sandbox != NULL ? g_object_ref (sandbox) : NULL;
  self->start_sandbox = start_sandbox;
  self->secrets = secrets != NULL ? g_object_ref (secrets) : cb_secrets_new ();
  self->port_monitor = port_monitor != NULL ? g_object_ref (port_monitor)
                                            : cb_udev_port_monitor_new ();
  g_signal_connect_object (self->secrets, "notify::problem", G_CALLBACK (secrets_problem_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::profile", G_CALLBACK (secrets_problem_cb), NULL);

  self->journal = cb_journal_open (self->journal_path, &error);
  if (self->journal == NULL)
    g_message ("The journal at %s could not be opened: %s", self->journal_path, error->message);

  load_profiles (self);
  return self;
}

CbContext *
cb_context_new_for_profile (CbProfile      *profile,
                            CbLocalService *local_service,
                            CbSecrets      *secrets,
                            CbContextFlags  flags)
{
  CbContext *self;

  g_return_val_if_fail (CB_IS_PROFILE (profile), NULL);
  g_return_val_if_fail (local_service == NULL || CB_IS_LOCAL_SERVICE (local_service), NULL);
  g_return_val_if_fail (CB_IS_SECRETS (secrets), NULL);

  self = g_object_new (CB_TYPE_CONTEXT, "flags", flags, NULL);
  self->fixed_profile = TRUE;
  self->data_dir = g_build_filename (g_get_user_data_dir (), "certbench", NULL);
  self->profiles_path = cb_profile_list_default_path ();
  self->secrets = g_object_ref (secrets);
  if (local_service != NULL)
    {
      self->sandbox = g_object_ref (local_service);
      self->owns_sandbox = TRUE;
    }
  if (!(flags & CB_CONTEXT_FLAGS_NO_PORT_MONITOR))
    self->port_monitor = cb_udev_port_monitor_new ();
  g_signal_connect_object (self->secrets, "notify::problem", G_CALLBACK (secrets_problem_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::profile", G_CALLBACK (secrets_problem_cb), NULL);
  g_list_store_append (self->profiles, profile);
  self->profile = g_object_ref (profile);
  return self;
}

void
cb_context_start (CbContext *self)
{
  g_return_if_fail (CB_IS_CONTEXT (self));

  if (self->started)
    return;

  if (self->port_monitor != NULL)
    cb_port_monitor_start (self->port_monitor);
  cb_context_start_without_ports (self);
}

void
cb_context_start_without_ports (CbContext *self)
{
  g_return_if_fail (CB_IS_CONTEXT (self));

  if (self->started)
    return;
  self->started = TRUE;

  cb_context_activate (self);
}

void
cb_context_shutdown (CbContext *self)
{
  g_return_if_fail (CB_IS_CONTEXT (self));

  self->shut_down = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);

  if (self->sandbox != NULL && self->owns_sandbox)
    {
      cb_local_service_stop (self->sandbox);
      self->owns_sandbox = FALSE;
    }
}

CbContextFlags
cb_context_get_flags (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), CB_CONTEXT_FLAGS_NONE);
  return self->flags;
}

CbLocalService *
cb_context_get_local_service (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);
  return self->sandbox;
}

CbContextState
cb_context_get_state (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), CB_CONTEXT_STATE_ERROR);
  return self->state;
}

const GError *
cb_context_get_error (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);
  return self->error;
}

const char *
cb_context_get_status_text (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);
  return self->status_text;
}

#define DEFINE_GETTER(Type, name)                                  \
  Type *                                                           \
  cb_context_get_##name (CbContext *self)                          \
  {                                                                \
    g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);             \
    return self->name;                                             \
  }

DEFINE_GETTER (CbProfile, profile)
DEFINE_GETTER (CbHttpClient, http)

gint64
cb_context_get_service_now (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), 0);

  if (self->http != NULL)
    return cb_http_client_get_server_now (self->http);
  return g_get_real_time () / G_USEC_PER_SEC;
}
DEFINE_GETTER (CbSecrets, secrets)
DEFINE_GETTER (CbEntraClient, entra)
DEFINE_GETTER (CbAdrClient, adr)
DEFINE_GETTER (CbHubClient, hub)
DEFINE_GETTER (CbDpsClient, dps)
DEFINE_GETTER (CbJournal, journal)
DEFINE_GETTER (CbPortMonitor, port_monitor)
DEFINE_GETTER (GCancellable, cancellable)

#undef DEFINE_GETTER

const char *
cb_context_get_username (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);

  if (self->entra == NULL || !cb_entra_client_get_signed_in (self->entra))
    return NULL;
  return cb_entra_client_get_username (self->entra);
}

/**
 * cb_context_get_secrets_problem:
 *
 * Why the active profile's secrets (its sign-in) cannot be kept after this session: the
 * keyring's problem, for a profile that needs stored secrets. The sandbox does not: it hands
 * them again at every start.
 *
 * Returns: (nullable): the reason, or %NULL when there is nothing to tell
 */
const char *
cb_context_get_secrets_problem (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);

  if (self->profile == NULL || _cb_context_is_sandbox (self->profile))
    return NULL;
  return cb_secrets_get_problem (self->secrets);
}

const char *
cb_context_get_data_dir (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);
  return self->data_dir;
}

GListModel *
cb_context_get_profiles (CbContext *self)
{
  g_return_val_if_fail (CB_IS_CONTEXT (self), NULL);
  return G_LIST_MODEL (self->profiles);
}

gboolean
cb_context_save_profile (CbContext  *self,
                         CbProfile  *profile,
                         GError    **error)
{
  guint position;

  g_return_val_if_fail (CB_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (CB_IS_PROFILE (profile), FALSE);
  g_return_val_if_fail (cb_profile_get_kind (profile) == CB_PROFILE_KIND_AZURE, FALSE);

  if (find_profile (self, cb_profile_get_id (profile), &position) != NULL)
    g_list_store_splice (self->profiles, position, 1, (gpointer *) &profile, 1);
  else
    g_list_store_append (self->profiles, profile);

  return save_profiles (self, error);
}

gboolean
cb_context_remove_profile (CbContext   *self,
                           const char  *profile_id,
                           GError     **error)
{
  guint position;

  g_return_val_if_fail (CB_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (profile_id != NULL, FALSE);

  if (g_strcmp0 (profile_id, SANDBOX_PROFILE_ID) == 0 ||
      find_profile (self, profile_id, &position) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("There is no connection profile “%s” to remove"), profile_id);
      return FALSE;
    }

  if (g_strcmp0 (profile_id, cb_profile_get_id (self->profile)) == 0 &&
      !cb_context_switch_profile (self, SANDBOX_PROFILE_ID, error))
    return FALSE;

  g_list_store_remove (self->profiles, position);
  return save_profiles (self, error);
}

gboolean
cb_context_switch_profile (CbContext   *self,
                           const char  *profile_id,
                           GError     **error)
{
  CbProfile *profile;

  g_return_val_if_fail (CB_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (profile_id != NULL, FALSE);

  profile = find_profile (self, profile_id, NULL);
  if (profile == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("There is no connection profile “%s”"), profile_id);
      return FALSE;
    }

  g_set_object (&self->profile, profile);

  /* Activation notifies "profile" once the new clients are made. */
  if (self->started)
    cb_context_activate (self);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROFILE]);
  return TRUE;
}

void
cb_context_reconnect (CbContext *self)
{
  g_return_if_fail (CB_IS_CONTEXT (self));

  if (self->started)
    cb_context_activate (self);
  else
    cb_context_start (self);
}
