/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-actions"

/* One device's destructive actions as people read them, once for the Registry page and the
 * device page: the revoke and delete questions with their impact, and the revoke's outcome. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-adr-client-ca.h"
#include "cb-device-actions.h"

static const char *
keep (GPtrArray *strings,
      char      *text)
{
  g_ptr_array_add (strings, text);
  return text;
}

void
cb_device_actions_ask_revoke (CbConfirmRun *run,
                              CbContext    *context,
                              const char   *device_id,
                              GPtrArray    *strings)
{
  /* ADR's certificate-authority model cannot disable a registry device: no such option. */
  gboolean can_disable = cb_adr_client_peek_model (cb_context_get_adr (context)) !=
                         CB_ADR_MODEL_CERTIFICATE_AUTHORITIES;

  run->heading = keep (strings, g_strdup_printf (_("Revoke the Certificates of %s?"), device_id));
  if (can_disable)
    run->body = keep (strings,
                      g_strdup_printf (_("1 device loses every certificate it was ever issued: "
                                         "the hub refuses them from now on. %s can register "
                                         "again for a new certificate unless you also disable "
                                         "it."), device_id));
  else
    run->body = keep (strings,
                      g_strdup_printf (_("1 device loses every certificate it was ever issued: "
                                         "the hub refuses them from now on. %s can register "
                                         "again for a new certificate."), device_id));
  run->running = keep (strings, g_strdup_printf (_("Revoking the certificates of %s…"), device_id));
  run->confirm_label = _("_Revoke");
  run->option_label = can_disable ? _("Also _disable the device") : NULL;
  run->subject = device_id;
  run->failure = _("Certificates not revoked");
}

void
cb_device_actions_ask_delete (CbConfirmRun *run,
                              const char   *device_id,
                              GPtrArray    *strings)
{
  run->heading = keep (strings, g_strdup_printf (_("Delete %s?"), device_id));
  run->body = keep (strings,
                    g_strdup_printf (_("1 device is removed from the registry and its hub "
                                       "identity goes with it: its certificate stops working "
                                       "and %s must be provisioned again to connect."),
                                     device_id));
  run->running = keep (strings, g_strdup_printf (_("Deleting %s…"), device_id));
  run->confirm_label = _("_Delete");
  run->subject = device_id;
  run->failure = _("Device not deleted");
}

char *
cb_device_actions_revoked_text (const char *device_id,
                                gboolean    disabled)
{
  if (disabled)
    return g_strdup_printf (_("Revoked the certificates of %s and disabled it"), device_id);
  return g_strdup_printf (_("Revoked the certificates of %s"), device_id);
}
