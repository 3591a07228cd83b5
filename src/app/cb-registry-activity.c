/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-page"

/* The registry page's Activity view: the last 30 days of the namespace's activity log, one row
 * per outcome. A part of CbRegistryPage (cb-registry-page-private.h). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-activity-log-client.h"
#include "cb-error-text.h"
#include "cb-registry-page-private.h"

#define ACTIVITY_DAYS 30

/* ---- activity --------------------------------------------------------------------------- */

static const char *
describe_operation (const char *operation)
{
  /* operationName.value ends with the verb: …/devices/revoke/action, …/policies/delete */
  if (operation == NULL)
    return _("Changed");
  if (g_str_has_suffix (operation, "/revoke/action"))
    return _("Revoked device");
  if (g_str_has_suffix (operation, "/revokeIssuer/action"))
    return _("Revoked issuer (rotated the issuing CA)");
  if (g_str_has_suffix (operation, "/activateBringYourOwnRoot/action"))
    return _("Activated own root");
  if (g_str_has_suffix (operation, "/synchronize/action"))
    return _("Synced to hubs");
  if (g_str_has_suffix (operation, "/delete"))
    return _("Deleted");
  if (g_str_has_suffix (operation, "/write"))
    return _("Created or changed");
  return operation;
}

static const char *
last_segment (const char *resource_id)
{
  const char *slash;

  if (resource_id == NULL)
    return "";
  slash = strrchr (resource_id, '/');
  return slash != NULL ? slash + 1 : resource_id;
}

static void
list_activity_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbRegistryPage) self = user_data;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = NULL;

  events = cb_adr_client_list_activity_finish (CB_ADR_CLIENT (object), result, &error);
  if (events == NULL)
    {
      g_autofree char *reason = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      reason = cb_error_text (error);
      adw_status_page_set_title (self->activity_status, _("The Activity Log Could Not Be Read"));
      adw_status_page_set_description (self->activity_status, reason);
      gtk_stack_set_visible_child_name (self->activity_stack, "empty");
      return;
    }

  _cb_registry_page_clear_list_box (self->activity_list);
  self->n_activity = 0;
  prefix = g_ascii_strdown (self->namespace_id != NULL ? self->namespace_id : "", -1);

  for (guint i = 0; i < events->len; i++)
    {
      CbActivityEvent *event = g_ptr_array_index (events, i);
      const char *resource = cb_activity_event_get_resource_id (event);
      const char *status = cb_activity_event_get_status (event);
      g_autofree char *lower = g_ascii_strdown (resource != NULL ? resource : "", -1);
      g_autofree char *when = _cb_registry_page_format_date (cb_activity_event_get_time (event));
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;
      GtkWidget *row;

      /* Only this namespace, and only the outcome of each operation. */
      if (!g_str_has_prefix (lower, prefix))
        continue;
      if (g_strcmp0 (status, "Started") == 0 || g_strcmp0 (status, "Accepted") == 0)
        continue;

      title = g_strdup_printf ("%s %s",
                               describe_operation (cb_activity_event_get_operation_name (event)),
                               last_segment (resource));
      subtitle = g_strdup_printf (_("%s · %s · %s"),
                                  cb_activity_event_get_caller (event) != NULL
                                    ? cb_activity_event_get_caller (event) : _("unknown caller"),
                                  when, status != NULL ? status : "");
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      gtk_list_box_append (self->activity_list, row);
      self->n_activity++;
    }

  if (self->n_activity == 0)
    {
      adw_status_page_set_title (self->activity_status, _("No Activity"));
      adw_status_page_set_description (self->activity_status,
                                       _("Nobody revoked, rotated or deleted anything in this "
                                         "namespace in the last 30 days"));
    }
  gtk_stack_set_visible_child_name (self->activity_stack, self->n_activity > 0 ? "list" : "empty");
}

void
_cb_registry_activity_load (CbRegistryPage *self)
{
  gint64 now;

  if (!_cb_registry_page_is_ready (self))
    return;
  now = cb_context_get_service_now (self->context);
  /* A minute of slack: the sandbox's clock and ours may differ slightly. */
  cb_adr_client_list_activity_async (cb_context_get_adr (self->context),
                                     now - ACTIVITY_DAYS * 86400, now + 3600, NULL,
                                     _cb_registry_page_get_cancellable (self), list_activity_cb,
                                     g_object_ref (self));
}
