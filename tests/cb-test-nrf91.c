/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The Done-when check of issue 15 for the CLI tests: what `AT%CMNG=1` on the simulated modem
 * lists after a run, against the digests of the text the nRF91 driver writes for the chain. */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "cb-at-channel.h"
#include "cb-nrf91-driver.h"
#include "cb-nrf91-modem.h"
#include "cb-serial-port.h"
#include "cb-test-nrf91.h"
#include "cb-x509.h"

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

void
cb_test_nrf91_assert_cmng (const char *pty,
                           guint32     sec_tag,
                           const char *chain_pem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbSerialPort) port = cb_serial_port_open (pty, CB_SERIAL_PORT_DEFAULT_BAUD, &error);
  g_autoptr(CbAtChannel) channel = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *client_pem = NULL;
  g_autofree char *root_pem = NULL;
  g_autofree char *want_client = NULL;
  g_autofree char *want_root = NULL;
  g_autofree char *line_client = NULL;
  g_autofree char *line_root = NULL;
  gint64 end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  gboolean seen_client = FALSE, seen_root = FALSE;

  g_assert_no_error (error);
  chain = cb_certificate_list_new_from_data ((const guint8 *) chain_pem, strlen (chain_pem),
                                             &error);
  g_assert_no_error (error);
  cb_nrf91_driver_chain_texts (chain, &client_pem, &root_pem);
  want_client = cb_nrf91_content_digest (client_pem);
  line_client = g_strdup_printf ("%%CMNG: %u,1,\"%s\"", sec_tag, want_client);
  if (root_pem != NULL)
    {
      want_root = cb_nrf91_content_digest (root_pem);
      line_root = g_strdup_printf ("%%CMNG: %u,0,\"%s\"", sec_tag, want_root);
    }

  channel = cb_at_channel_new (port);
  cb_at_channel_command_async (channel, "AT%CMNG=1", 0, NULL, on_done, &result);
  while (result == NULL)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  lines = cb_at_channel_command_finish (channel, result, &error);
  g_assert_no_error (error);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_test_message ("AT%%CMNG=1: %s", lines[i]);
      seen_client |= g_strcmp0 (lines[i], line_client) == 0;
      seen_root |= line_root != NULL && g_strcmp0 (lines[i], line_root) == 0;
    }
  g_assert_true (seen_client);
  g_assert_true (line_root == NULL || seen_root);
  g_clear_object (&channel);
  cb_serial_port_close (port);
}
