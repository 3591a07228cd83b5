/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers more than one part of certbench-cli uses: waiting for an async result, notes on
 * stderr, printing JSON, the exit code for an error, reporting an error that stops a command
 * (on stderr, and as JSON with --json), adding nullable strings and times to a JSON reply, and
 * opening the bench device on the serial port given with --port.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>

#include "cb-bench-client.h"
#include "cb-error.h"
#include "cb-provisioning-run.h"
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
                    CbSmpTransport **out_transport,
                    CbBenchClient  **out_bench,
                    GError         **error)
{
  g_autoptr(CbSerialPort) port = NULL;

  port = cb_serial_port_open (ctx->options->port, (guint) ctx->options->baud, error);
  if (port == NULL)
    return FALSE;

  *out_transport = cb_smp_transport_new (port);
  *out_bench = cb_bench_client_new (*out_transport);
  *out_port = g_steal_pointer (&port);
  return TRUE;
}
