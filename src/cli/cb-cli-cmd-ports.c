/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The `ports` command: lists the serial ports the station sees and, with --watch, prints them as
 * they come and go.
 */
#define G_LOG_DOMAIN "certbench-cli"

#include "config.h"

#include <stdio.h>

#include "cb-udev-port-monitor.h"
#include "cb-port-monitor.h"
#include "cb-serial-port.h"

#include "cb-cli-cmd-ports.h"
#include "cb-cli-shared.h"

static void
print_port (CbCliContext     *ctx,
            const char       *event,
            CbSerialPortInfo *info)
{
  g_autofree char *name = cb_serial_port_info_dup_display_name (info);

  if (ctx->options->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;
      g_autofree char *vid = g_strdup_printf ("%04x", cb_serial_port_info_get_vendor_id (info));
      g_autofree char *pid = g_strdup_printf ("%04x", cb_serial_port_info_get_product_id (info));

      json_builder_begin_object (b);
      if (event != NULL)
        cb_cli_add_string (b, "event", event);
      cb_cli_add_string (b, "path", cb_serial_port_info_get_path (info));
      cb_cli_add_string (b, "name", name);
      cb_cli_add_string (b, "vendorId", vid);
      cb_cli_add_string (b, "productId", pid);
      cb_cli_add_string (b, "vendor", cb_serial_port_info_get_vendor_name (info));
      cb_cli_add_string (b, "product", cb_serial_port_info_get_product_name (info));
      cb_cli_add_string (b, "serialNumber", cb_serial_port_info_get_serial_number (info));
      json_builder_set_member_name (b, "virtual");
      json_builder_add_boolean_value (b, cb_serial_port_info_get_is_virtual (info));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      /* One object a line, so --watch output can be read line by line. */
      json_generator_set_root (generator, root);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    printf ("%s%-24s %04x:%04x  %-40s %s\n", event != NULL ? event : "",
            cb_serial_port_info_get_path (info), cb_serial_port_info_get_vendor_id (info),
            cb_serial_port_info_get_product_id (info), name,
            cb_serial_port_info_get_serial_number (info) ? cb_serial_port_info_get_serial_number (info)
                                                         : "");
  fflush (stdout);
}

static void
on_port_added (CbPortMonitor    *monitor,
               CbSerialPortInfo *info,
               CbCliContext     *ctx)
{
  print_port (ctx, ctx->options->json ? "added" : "+ ", info);
}

static void
on_port_removed (CbPortMonitor    *monitor,
                 CbSerialPortInfo *info,
                 CbCliContext     *ctx)
{
  print_port (ctx, ctx->options->json ? "removed" : "- ", info);
}

int
cb_cli_cmd_ports (CbCliContext *ctx)
{
  g_autoptr(CbPortMonitor) monitor = cb_udev_port_monitor_new ();
  GListModel *ports;
  guint n;

  cb_port_monitor_start (monitor);
  ports = cb_port_monitor_get_ports (monitor);
  n = g_list_model_get_n_items (ports);

  if (ctx->options->json && !ctx->options->watch)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (ports, i);
          g_autofree char *name = cb_serial_port_info_dup_display_name (info);

          json_builder_begin_object (b);
          cb_cli_add_string (b, "path", cb_serial_port_info_get_path (info));
          cb_cli_add_string (b, "name", name);
          cb_cli_add_string (b, "vendor", cb_serial_port_info_get_vendor_name (info));
          cb_cli_add_string (b, "product", cb_serial_port_info_get_product_name (info));
          cb_cli_add_string (b, "serialNumber", cb_serial_port_info_get_serial_number (info));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      cb_cli_print_json (root);
      return CB_CLI_EXIT_OK;
    }

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbSerialPortInfo) info = g_list_model_get_item (ports, i);
      print_port (ctx, NULL, info);
    }
  if (n == 0 && !ctx->options->json)
    cb_cli_note (ctx, "No USB serial ports. (A simulated device's pty is not listed: pass its "
                 "path to --port.)");

  if (!ctx->options->watch)
    return CB_CLI_EXIT_OK;

  g_signal_connect (monitor, "port-added", G_CALLBACK (on_port_added), ctx);
  g_signal_connect (monitor, "port-removed", G_CALLBACK (on_port_removed), ctx);
  cb_cli_note (ctx, "Watching for ports; Ctrl+C stops.");
  while (!g_cancellable_is_cancelled (ctx->cancellable))
    g_main_context_iteration (NULL, TRUE);

  return CB_CLI_EXIT_OK;
}
