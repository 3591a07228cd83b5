/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The environment a certbench-cli command runs in (CbCliContext): the sandbox it finds or
 * starts, or the app's profile it names, the HTTP, DPS, Entra, ARM and hub clients on it (ARM
 * signed in only when a command asks), and the journal.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <errno.h>
#include <string.h>

#include "cb-error.h"
#include "cb-http.h"
#include "cb-sandbox-client.h"
#include "cb-sandbox-profile.h"

#include "cb-cli-context.h"
#include "cb-cli-shared.h"

#define SIGN_IN_TIMEOUT_S   30

/* ---- The sandbox ------------------------------------------------------------------------ */

static char *
sandbox_dir (CbCliContext *ctx)
{
  if (ctx->options->sandbox_dir != NULL)
    return g_strdup (ctx->options->sandbox_dir);
  if (g_getenv ("CERTBENCH_SANDBOX_DIR") != NULL)
    return g_strdup (g_getenv ("CERTBENCH_SANDBOX_DIR"));
  /* The app's sandbox lives here too, so the CLI and the app see the same devices. */
  return g_build_filename (g_get_user_data_dir (), "certbench", "sandbox", NULL);
}


/* GET url/sandbox/info pinning ca_file. NULL when nothing answers (quietly: then the CLI
 * starts its own). */
static JsonNode *
fetch_sandbox_info (const char  *url,
                    const char  *ca_file,
                    guint        timeout_s,
                    GError     **error)
{
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *info_url = g_strconcat (url, "/sandbox/info", NULL);
  g_autofree char *absolute = g_canonicalize_filename (ca_file, NULL);

  db = g_tls_file_database_new (absolute, error);
  if (db == NULL)
    return NULL;

  session = soup_session_new ();
  soup_session_set_tls_database (session, db);
  soup_session_set_timeout (session, timeout_s);

  msg = soup_message_new ("GET", info_url);
  if (msg == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "“%s” is not a URL", url);
      return NULL;
    }

  body = soup_session_send_and_read (session, msg, NULL, error);
  if (body == NULL)
    return NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_FAILED,
                   "%s answered HTTP %u", info_url, soup_message_get_status (msg));
      return NULL;
    }
  /* The one limited reader (size and nesting checked before json-glib). */
  root = cb_http_parse_json (body, &parse_error);
  if (parse_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&parse_error));
      return NULL;
    }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE, "%s is not a sandbox", info_url);
      return NULL;
    }

  return g_steal_pointer (&root);
}

static gboolean
connect_sandbox (CbCliContext  *ctx,
                 GError       **error)
{
  g_autofree char *dir = sandbox_dir (ctx);
  g_autofree char *ca_file = g_build_filename (dir, "sandbox-ca.pem", NULL);
  const char *url = ctx->options->sandbox_url;
  g_autoptr(JsonNode) info = NULL;
  g_autoptr(GError) local_error = NULL;

  if (url == NULL)
    url = g_getenv ("CERTBENCH_SANDBOX_URL");

  if (url != NULL || g_file_test (ca_file, G_FILE_TEST_EXISTS))
    {
      const char *try_url = url != NULL ? url : CB_CLI_SANDBOX_DEFAULT_URL;

      info = fetch_sandbox_info (try_url, ca_file, url != NULL ? 15 : 3, &local_error);
      if (info == NULL && url != NULL)
        {
          g_set_error (error, CB_API_ERROR, CB_API_ERROR_FAILED,
                       "The sandbox at %s (CA %s) does not answer: %s", url, ca_file,
                       local_error->message);
          return FALSE;
        }
      if (info != NULL)
        {
          ctx->profile = cb_profile_new_from_sandbox_info (json_node_get_object (info), &ctx->group_key);
          ctx->sandbox_base = g_strdup (try_url);
          cb_cli_note (ctx, "Using the sandbox at %s", try_url);
          return TRUE;
        }
      g_debug ("No sandbox at %s: %s", try_url, local_error->message);
    }

  /* Nothing running: a sandbox of our own, on the same data folder as the app's. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not create the sandbox folder %s: %s", dir, g_strerror (errsv));
      return FALSE;
    }

  ctx->sandbox = cb_sandbox_new (dir);
  cb_sandbox_set_port (ctx->sandbox, 0);
  cb_sandbox_set_device_code_interval (ctx->sandbox, 1);
  cb_sandbox_set_auto_approve (ctx->sandbox, TRUE);
  if (!cb_sandbox_start_in_thread (ctx->sandbox, error) ||
      !cb_sandbox_seed_demo (ctx->sandbox, error))
    {
      g_prefix_error (error, "The sandbox could not start in %s: ", dir);
      return FALSE;
    }

  ctx->profile = cb_sandbox_create_profile (ctx->sandbox);
  ctx->sandbox_base = g_strdup (cb_sandbox_get_base_url (ctx->sandbox));
  ctx->group_key = cb_sandbox_dup_enrollment_group_key (ctx->sandbox,
                                                        cb_profile_get_dps_name (ctx->profile),
                                                        cb_profile_get_enrollment_group_id (
                                                          ctx->profile));
  cb_cli_note (ctx, "Started a sandbox in this process (%s)", dir);
  return TRUE;
}

/* ---- Azure profiles --------------------------------------------------------------------- */

static gboolean
connect_profile (CbCliContext  *ctx,
                 GError       **error)
{
  g_autofree char *path = cb_profile_list_default_path ();
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) secret_error = NULL;
  const char *wanted = ctx->options->profile;

  profiles = cb_profile_list_load (path, error);
  if (profiles == NULL)
    {
      g_prefix_error (error, "The profiles in %s could not be read: ", path);
      return FALSE;
    }

  for (guint i = 0; i < profiles->len && ctx->profile == NULL; i++)
    {
      CbProfile *profile = g_ptr_array_index (profiles, i);

      if (g_strcmp0 (cb_profile_get_id (profile), wanted) == 0 ||
          g_strcmp0 (cb_profile_get_name (profile), wanted) == 0)
        ctx->profile = g_object_ref (profile);
    }

  if (ctx->profile == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "There is no profile “%s” in %s", wanted, path);
      return FALSE;
    }

  /* The enrollment group key lives in the secret service, where the app put it. */
  ctx->secrets = cb_secrets_new ();
  cb_secrets_lookup_async (ctx->secrets, cb_profile_get_id (ctx->profile),
                           CB_SECRET_ENROLLMENT_GROUP_KEY, ctx->cancellable,
                           cb_cli_store_result, &result);
  ctx->group_key = cb_secrets_lookup_finish (ctx->secrets, cb_cli_wait (&result), &secret_error);
  if (secret_error != NULL)
    g_debug ("The enrollment group key could not be read: %s", secret_error->message);

  return TRUE;
}

gboolean
cb_cli_context_connect (CbCliContext  *ctx,
                        GError       **error)
{
  gboolean sandbox = ctx->options->profile == NULL ||
                     g_strcmp0 (ctx->options->profile, "sandbox") == 0;

  if (ctx->profile != NULL)
    return TRUE;

  ctx->is_sandbox = sandbox;
  if (sandbox ? !connect_sandbox (ctx, error) : !connect_profile (ctx, error))
    return FALSE;

  if (ctx->secrets == NULL)
    ctx->secrets = cb_secrets_new_memory ();

  ctx->http = cb_http_client_new (ctx->profile, error);
  if (ctx->http == NULL)
    return FALSE;
  cb_http_client_set_max_delay (ctx->http, 10);
  ctx->dps = cb_dps_client_new (ctx->profile, ctx->http);
  cb_dps_client_set_timeout (ctx->dps, 120);

  return TRUE;
}

static gboolean
cancel_source_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

/* The sandbox signs in by device code and approves at once; an Azure profile uses the refresh
 * token the app stored. Either way, without ARM the commands still work with what they have. */
void
cb_cli_context_connect_arm (CbCliContext *ctx)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  if (ctx->adr != NULL || ctx->arm_note != NULL)
    return;

  if (ctx->options->no_arm)
    {
      ctx->arm_note = g_strdup ("ARM was turned off with --no-arm");
      return;
    }
  if (cb_profile_get_arm_endpoint (ctx->profile) == NULL ||
      cb_profile_get_subscription_id (ctx->profile) == NULL)
    {
      ctx->arm_note = g_strdup ("the profile has no ARM subscription");
      return;
    }

  ctx->entra = cb_entra_client_new (ctx->profile, ctx->http, ctx->secrets);

  if (ctx->is_sandbox)
    {
      g_autoptr(GAsyncResult) begun = NULL;
      g_autoptr(GAsyncResult) completed = NULL;
      g_autoptr(CbEntraDeviceCode) code = NULL;
      g_autoptr(GCancellable) timeout = g_cancellable_new ();
      guint timeout_id;

      cb_entra_client_begin_sign_in_async (ctx->entra, ctx->cancellable, cb_cli_store_result,
                                           &begun);
      code = cb_entra_client_begin_sign_in_finish (ctx->entra, cb_cli_wait (&begun), &error);
      if (code != NULL)
        {
          timeout_id = g_timeout_add_seconds (SIGN_IN_TIMEOUT_S, cancel_source_cb, timeout);
          cb_entra_client_complete_sign_in_async (ctx->entra, code, timeout, cb_cli_store_result,
                                                  &completed);
          cb_entra_client_complete_sign_in_finish (ctx->entra, cb_cli_wait (&completed), &error);
          g_source_remove (timeout_id);
        }
    }
  else
    {
      g_autoptr(GAsyncResult) result = NULL;

      cb_entra_client_get_access_token_async (ctx->entra, CB_ENTRA_SCOPE_ARM, ctx->cancellable,
                                              cb_cli_store_result, &result);
      token = cb_entra_client_get_access_token_finish (ctx->entra, cb_cli_wait (&result), &error);
      if (token != NULL)
        memset (token, 0, strlen (token));
    }

  if (error != NULL)
    {
      ctx->arm_note = g_strdup_printf ("not signed in to ARM (%s)", error->message);
      return;
    }

  ctx->adr = cb_adr_client_new (ctx->profile, ctx->http);
  cb_adr_client_set_entra_client (ctx->adr, ctx->entra);
  /* The same sign-in reads twins (provision's hub step). */
  if (cb_profile_get_hub_host_name (ctx->profile) != NULL)
    ctx->hub = cb_hub_client_new (ctx->profile, ctx->http, ctx->entra);
}

gboolean
cb_cli_context_open_journal (CbCliContext  *ctx,
                             GError       **error)
{
  g_autofree char *path = NULL;

  if (ctx->journal != NULL)
    return TRUE;

  if (ctx->options->journal_path != NULL)
    path = g_strdup (ctx->options->journal_path);
  else if (g_getenv ("CERTBENCH_JOURNAL") != NULL)
    path = g_strdup (g_getenv ("CERTBENCH_JOURNAL"));
  else
    path = cb_journal_dup_default_path ();

  ctx->journal = cb_journal_open (path, error);
  if (ctx->journal == NULL)
    return FALSE;

  if (cb_journal_get_n_recovered (ctx->journal) > 0)
    cb_cli_note (ctx, "The journal marked %u run(s) as interrupted: their station process ended "
                 "before they did", cb_journal_get_n_recovered (ctx->journal));
  return TRUE;
}

void
cb_cli_context_clear (CbCliContext *ctx)
{
  g_clear_object (&ctx->journal);
  g_clear_object (&ctx->hub);
  g_clear_object (&ctx->adr);
  g_clear_object (&ctx->entra);
  g_clear_object (&ctx->dps);
  g_clear_object (&ctx->http);
  g_clear_object (&ctx->secrets);
  g_clear_object (&ctx->profile);
  if (ctx->sandbox != NULL)
    cb_sandbox_stop (ctx->sandbox);
  g_clear_object (&ctx->sandbox);
  g_clear_pointer (&ctx->sandbox_base, g_free);
  g_clear_pointer (&ctx->arm_note, g_free);
  if (ctx->group_key != NULL)
    {
      memset (ctx->group_key, 0, strlen (ctx->group_key));
      g_clear_pointer (&ctx->group_key, g_free);
    }
  g_clear_object (&ctx->cancellable);
}
