/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers more than one part of certbench-cli uses: the context a command runs in (core's
 * CbContext for the sandbox or profile the options name, ARM when a command asks, the
 * journal), waiting for an async result, notes on stderr, printing JSON, the exit code for an
 * error, reporting an error that stops a command (on stderr, and as JSON with --json), adding
 * nullable strings and times to a JSON reply, and opening the bench device on the serial port
 * given with --port.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cb-bench-client.h"
#include "cb-error.h"
#include "cb-nrf91-driver.h"
#include "cb-nrf91-modem.h"
#include "cb-provisioning-run.h"
#include "cb-sandbox-discovery.h"
#include "cb-sandbox-service.h"
#include "cb-serial-port.h"
#include "cb-smp-transport.h"
#include "cb-util.h"

#include "cb-cli-shared.h"

void
cb_cli_store_result (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

GAsyncResult *
cb_cli_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

void
cb_cli_note (CbCliContext *ctx,
             const char   *format,
             ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (ctx->options->quiet)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "%s\n", text);
}

void
cb_cli_print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, NULL);
  fprintf (stdout, "%s\n", text);
  fflush (stdout);
}

CbCliExit
cb_cli_exit_for_error (const GError *error)
{
  if (error == NULL)
    return CB_CLI_EXIT_OK;

  if (error->domain == CB_RUN_ERROR)
    {
      switch ((CbRunError) error->code)
        {
        case CB_RUN_ERROR_CONFIG: return CB_CLI_EXIT_CONFIG;
        case CB_RUN_ERROR_DEVICE:
        case CB_RUN_ERROR_DEVICE_GONE: return CB_CLI_EXIT_DEVICE;
        case CB_RUN_ERROR_CHECK: return CB_CLI_EXIT_CHECK;
        case CB_RUN_ERROR_SERVICE: return CB_CLI_EXIT_SERVICE;
        case CB_RUN_ERROR_JOURNAL: return CB_CLI_EXIT_JOURNAL;
        case CB_RUN_ERROR_CANCELLED: return CB_CLI_EXIT_CANCELLED;
        case CB_RUN_ERROR_FAILED:
        default: return CB_CLI_EXIT_FAILED;
        }
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return CB_CLI_EXIT_CANCELLED;
  if (error->domain == CB_SMP_ERROR || error->domain == G_IO_ERROR)
    return CB_CLI_EXIT_DEVICE;
  if (error->domain == CB_JOURNAL_ERROR)
    return CB_CLI_EXIT_JOURNAL;
  if (error->domain == CB_API_ERROR || error->domain == G_TLS_ERROR ||
      error->domain == G_RESOLVER_ERROR)
    return CB_CLI_EXIT_SERVICE;
  if (error->domain == CB_X509_ERROR)
    return CB_CLI_EXIT_CHECK;

  return CB_CLI_EXIT_FAILED;
}

/* Reports an error that stops a command before it produced a result. */
int
cb_cli_fail (CbCliContext *ctx,
             CbCliExit     code,
             const char   *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, message);
      json_builder_set_member_name (b, "exitCode");
      json_builder_add_int_value (b, code);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      cb_cli_print_json (root);
    }

  fprintf (stderr, "certbench-cli: %s\n", message);
  return code;
}

void
cb_cli_add_string (JsonBuilder *b,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

void
cb_cli_add_time (JsonBuilder *b,
                 const char  *name,
                 gint64       unix_seconds)
{
  g_autofree char *text = unix_seconds != 0 ? cb_time_format_fixed (unix_seconds) : NULL;

  cb_cli_add_string (b, name, text);
}

gboolean
cb_cli_open_device (CbCliContext    *ctx,
                    CbSerialPort   **out_port,
                    CbDeviceDriver **out_driver,
                    GError         **error)
{
  g_autoptr(CbSerialPort) port = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  port = cb_serial_port_open (ctx->options->port, (guint) ctx->options->baud, error);
  if (port == NULL)
    return FALSE;

  cb_device_drivers_open_async (port, ctx->options->driver, 0, ctx->cancellable,
                                cb_cli_store_result, &result);
  *out_driver = cb_device_drivers_open_finish (cb_cli_wait (&result), error);
  if (*out_driver == NULL)
    {
      cb_serial_port_close (port);
      return FALSE;
    }
  if (CB_IS_NRF91_DRIVER (*out_driver))
    cb_nrf91_driver_set_sec_tag (CB_NRF91_DRIVER (*out_driver), cb_cli_get_sec_tag (ctx));
  if (ctx->options->driver == NULL || g_str_equal (ctx->options->driver, CB_DEVICE_DRIVER_AUTO))
    cb_cli_note (ctx, "%s answers as a %s", ctx->options->port,
                 cb_device_drivers_get_title (cb_device_driver_get_name (*out_driver)));
  *out_port = g_steal_pointer (&port);
  return TRUE;
}

guint32
cb_cli_get_sec_tag (CbCliContext *ctx)
{
  guint64 tag = CB_NRF91_DRIVER_DEFAULT_SEC_TAG;

  if (ctx->options->sec_tag != NULL &&
      !g_ascii_string_to_unsigned (ctx->options->sec_tag, 10, 0, CB_NRF91_SEC_TAG_MAX, &tag,
                                   NULL))
    return CB_NRF91_DRIVER_DEFAULT_SEC_TAG;
  return (guint32) tag;
}

char *
cb_cli_check_driver_option (CbCliContext *ctx)
{
  const char *sec_tag = ctx->options->sec_tag;

  /* Nordic's range for a security tag; 2147483648 and above are the modem's own. */
  if (sec_tag != NULL &&
      !g_ascii_string_to_unsigned (sec_tag, 10, 0, CB_NRF91_SEC_TAG_MAX, NULL, NULL))
    return g_strdup_printf ("--sec-tag is a security tag from 0 to %u, not “%s”",
                            CB_NRF91_SEC_TAG_MAX, sec_tag);
  if (ctx->options->driver == NULL || cb_device_drivers_is_known (ctx->options->driver))
    return NULL;
  return g_strdup_printf ("--driver is auto, smp or nrf91, not “%s”", ctx->options->driver);
}

/* ---- The context a command runs in ------------------------------------------------------ */

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

/* A running sandbox (--sandbox-url, $CERTBENCH_SANDBOX_URL, or the standalone one's default
 * URL), else one started in this process on the same data folder as the app's. */
static CbProfile *
find_sandbox (CbCliContext    *ctx,
              CbLocalService **out_service,
              GError         **error)
{
  g_autofree char *dir = sandbox_dir (ctx);
  g_autofree char *base_url = NULL;
  const char *url = ctx->options->sandbox_url;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(CbLocalService) service = NULL;
  CbProfile *profile;

  if (url == NULL)
    url = g_getenv ("CERTBENCH_SANDBOX_URL");

  cb_sandbox_discover_async (url, dir, ctx->cancellable, cb_cli_store_result, &result);
  profile = cb_sandbox_discover_finish (cb_cli_wait (&result), &base_url, &ctx->group_key,
                                        &local_error);
  if (profile != NULL)
    {
      cb_cli_note (ctx, "Using the sandbox at %s", base_url);
      return profile;
    }
  if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* Nothing running: a sandbox of our own, on the same data folder as the app's. */
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Could not create the sandbox folder %s: %s", dir, g_strerror (errsv));
      return NULL;
    }

  service = cb_sandbox_service_start (dir, error);
  if (service == NULL)
    {
      g_prefix_error (error, "The sandbox could not start in %s: ", dir);
      return NULL;
    }

  profile = cb_local_service_create_profile (service);
  ctx->group_key = cb_local_service_dup_enrollment_group_key (service,
                                                              cb_profile_get_dps_name (profile),
                                                              cb_profile_get_enrollment_group_id (
                                                                profile));
  cb_cli_note (ctx, "Started a sandbox in this process (%s)", dir);
  *out_service = g_steal_pointer (&service);
  return profile;
}

/* One of the app's profiles, by id or name, with the enrollment group key the app stored. */
static CbProfile *
find_profile (CbCliContext  *ctx,
              CbSecrets     *secrets,
              GError       **error)
{
  g_autofree char *path = cb_profile_list_default_path ();
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) secret_error = NULL;
  const char *wanted = ctx->options->profile;
  CbProfile *found = NULL;

  profiles = cb_profile_list_load (path, error);
  if (profiles == NULL)
    {
      g_prefix_error (error, "The profiles in %s could not be read: ", path);
      return NULL;
    }

  for (guint i = 0; i < profiles->len && found == NULL; i++)
    {
      CbProfile *profile = g_ptr_array_index (profiles, i);

      if (g_strcmp0 (cb_profile_get_id (profile), wanted) == 0 ||
          g_strcmp0 (cb_profile_get_name (profile), wanted) == 0)
        found = g_object_ref (profile);
    }

  if (found == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "There is no profile “%s” in %s", wanted, path);
      return NULL;
    }

  /* The enrollment group key lives in the secret service, where the app put it. */
  cb_secrets_lookup_async (secrets, cb_profile_get_id (found), CB_SECRET_ENROLLMENT_GROUP_KEY,
                           ctx->cancellable, cb_cli_store_result, &result);
  ctx->group_key = cb_secrets_lookup_finish (secrets, cb_cli_wait (&result), &secret_error);
  if (secret_error != NULL)
    g_debug ("The enrollment group key could not be read: %s", secret_error->message);

  return found;
}

gboolean
cb_cli_context_connect (CbCliContext  *ctx,
                        GError       **error)
{
  gboolean sandbox = ctx->options->profile == NULL ||
                     g_strcmp0 (ctx->options->profile, "sandbox") == 0;
  /* A command line: ports by path, ARM only when a command asks (never with --no-arm), and
   * nobody to wait for. */
  CbContextFlags flags = CB_CONTEXT_FLAGS_NO_PORT_MONITOR | CB_CONTEXT_FLAGS_ARM_ON_DEMAND |
                         CB_CONTEXT_FLAGS_UNATTENDED;
  g_autoptr(CbProfile) profile = NULL;
  g_autoptr(CbLocalService) service = NULL;
  g_autoptr(CbSecrets) secrets = NULL;

  if (ctx->context != NULL)
    return TRUE;

  if (sandbox)
    {
      profile = find_sandbox (ctx, &service, error);
      secrets = cb_secrets_new_memory ();
    }
  else
    {
      secrets = cb_secrets_new ();
      profile = find_profile (ctx, secrets, error);
    }
  if (profile == NULL)
    return FALSE;
  /* One of the app's profiles may point at a sandbox too: its hub's judge is the sandbox's. */
  ctx->is_sandbox = cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX;

  if (ctx->options->no_arm)
    flags |= CB_CONTEXT_FLAGS_NO_ARM;
  ctx->context = cb_context_new_for_profile (profile, service, secrets, flags);
  cb_context_start (ctx->context);
  if (cb_context_get_state (ctx->context) == CB_CONTEXT_STATE_ERROR)
    {
      g_propagate_error (error, g_error_copy (cb_context_get_error (ctx->context)));
      return FALSE;
    }

  return TRUE;
}

void
cb_cli_context_connect_arm (CbCliContext *ctx)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (cb_context_get_adr (ctx->context) != NULL || ctx->arm_note != NULL)
    return;

  if (ctx->options->no_arm)
    {
      ctx->arm_note = g_strdup ("ARM was turned off with --no-arm");
      return;
    }

  cb_context_sign_in_arm_async (ctx->context, ctx->cancellable, cb_cli_store_result, &result);
  if (!cb_context_sign_in_arm_finish (ctx->context, cb_cli_wait (&result), &error))
    ctx->arm_note = g_strdup (error->message);
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
  /* Stops the sandbox this process started, if it did. */
  if (ctx->context != NULL)
    cb_context_shutdown (ctx->context);
  g_clear_object (&ctx->context);
  g_clear_pointer (&ctx->arm_note, g_free);
  if (ctx->group_key != NULL)
    {
      memset (ctx->group_key, 0, strlen (ctx->group_key));
      g_clear_pointer (&ctx->group_key, g_free);
    }
  g_clear_object (&ctx->cancellable);
}
