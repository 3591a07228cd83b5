/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The fleet-wide signals a device list is judged with (cb-device-state.h): a policy's leaf
 * lifetime and issuing CA and 90 days of revocations from the activity log, on the service's
 * clock. Read once per reload and shared, read-only, by every row. */

#define G_LOG_DOMAIN "cb-device-state-info"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-activity-event.h"
#include "cb-activity-log-client.h"
#include "cb-device-state-info.h"
#include "cb-util.h"

/* Activity logs keep 90 days; leaves live at most 90 days: an older revoke leaves nothing. */
#define REVOCATION_DAYS 90

CbDeviceStateInfo *
cb_device_state_info_new (gint64 now,
                          double renewal_fraction)
{
  CbDeviceStateInfo *info = g_rc_box_new0 (CbDeviceStateInfo);

  info->revocations = cb_revocations_new ();
  info->context.now = now;
  info->context.renewal_fraction = renewal_fraction;
  info->context.validity_days = 30;
  info->context.revocations = info->revocations;
  info->context.revocations_known = FALSE;
  return info;
}

CbDeviceStateInfo *
cb_device_state_info_ref (CbDeviceStateInfo *info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return g_rc_box_acquire (info);
}

static void
state_info_clear (CbDeviceStateInfo *info)
{
  cb_revocations_free (info->revocations);
  g_free (info->policy);
  g_clear_error (&info->error);
}

void
cb_device_state_info_unref (CbDeviceStateInfo *info)
{
  if (info != NULL)
    g_rc_box_release_full (info, (GDestroyNotify) state_info_clear);
}

typedef struct
{
  CbContext         *context;
  CbDeviceStateInfo *info;
  char              *wanted;
  char              *namespace_prefix;
  char              *ca_name;        /* the policy's ICA (certificate-authority model) */
  gint64             ca_not_before;
} InfoLoad;

static void
info_load_free (InfoLoad *load)
{
  g_object_unref (load->context);
  cb_device_state_info_unref (load->info);
  g_free (load->wanted);
  g_free (load->namespace_prefix);
  g_free (load->ca_name);
  g_free (load);
}

static void
info_activity_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  InfoLoad *load = g_task_get_task_data (task);
  CbDeviceStateInfo *info = load->info;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  gint64 rotated;

  events = cb_adr_client_list_activity_finish (CB_ADR_CLIENT (object), result, &error);
  if (events == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_debug ("The activity log could not be read: %s", error->message);
      info->error = g_steal_pointer (&error);
      g_task_return_pointer (task, cb_device_state_info_ref (info),
                             (GDestroyNotify) cb_device_state_info_unref);
      return;
    }

  cb_revocations_add_events (info->revocations, events, load->namespace_prefix);
  info->context.revocations_known = TRUE;

  /* After a revokeIssuer (or its ICA's revokeAndRotate) the policy's issuing CA is the
   * replacement: what predates it came from the revoked one. */
  rotated = MAX (cb_revocations_get_issuer (info->revocations, info->policy),
                 cb_revocations_get_certificate_authority (info->revocations, load->ca_name));
  if (rotated > 0)
    info->context.issuer_rotated_at = load->ca_not_before > 0 ? load->ca_not_before : rotated;

  g_task_return_pointer (task, cb_device_state_info_ref (info),
                         (GDestroyNotify) cb_device_state_info_unref);
}

static void
info_read_activity (GTask *task)
{
  InfoLoad *load = g_task_get_task_data (task);
  gint64 now = load->info->context.now;

  cb_adr_client_list_activity_async (cb_context_get_adr (load->context),
                                     now - REVOCATION_DAYS * 86400, now + 3600, NULL,
                                     g_task_get_cancellable (task), info_activity_cb, task);
}

static void
info_policies_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  InfoLoad *load = g_task_get_task_data (task);
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;

  policies = cb_adr_client_list_policies_finish (CB_ADR_CLIENT (object), result, &error);
  if (policies == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  for (guint i = 0; policies != NULL && i < policies->len; i++)
    {
      CbPolicy *policy = g_ptr_array_index (policies, i);
      const char *id = cb_policy_get_id (policy);
      CbCertificateAuthority *ca = cb_policy_get_certificate_authority (policy);
      const char *credentials;

      if (i > 0 && g_strcmp0 (cb_policy_get_name (policy), load->wanted) != 0)
        continue;
      cb_set_str (&load->info->policy, cb_policy_get_name (policy));
      load->info->context.validity_days = cb_policy_get_validity_days (policy);
      load->ca_not_before = cb_policy_get_ca_not_before (policy);
      cb_set_str (&load->ca_name, ca != NULL ? cb_certificate_authority_get_name (ca) : NULL);
      /* The namespace's resource id: what comes before /credentials/ (or in the
       * certificate-authority model /certificateAuthorities/) in the policy's. */
      credentials = id != NULL ? strstr (id, "/credentials/") : NULL;
      if (credentials == NULL && id != NULL)
        credentials = strstr (id, "/certificateAuthorities/");
      if (credentials != NULL)
        {
          g_autofree char *ns = g_strndup (id, credentials - id);

          g_free (load->namespace_prefix);
          load->namespace_prefix = g_strconcat (ns, "/", NULL);
        }
    }

  info_read_activity (task);
}

void
cb_device_state_info_load_async (CbContext           *context,
                                 const char          *policy,
                                 double               renewal_fraction,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  InfoLoad *load;

  g_return_if_fail (CB_IS_CONTEXT (context));

  task = g_task_new (context, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_device_state_info_load_async);
  load = g_new0 (InfoLoad, 1);
  load->context = g_object_ref (context);
  load->wanted = g_strdup (policy);
  load->info = cb_device_state_info_new (cb_context_get_service_now (context), renewal_fraction);
  g_task_set_task_data (task, load, (GDestroyNotify) info_load_free);

  if (cb_context_get_adr (context) == NULL)
    {
      g_set_error_literal (&load->info->error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("The connection has no device registry to read revocations from"));
      g_task_return_pointer (task, cb_device_state_info_ref (load->info),
                             (GDestroyNotify) cb_device_state_info_unref);
      return;
    }

  cb_adr_client_list_policies_async (cb_context_get_adr (context), cancellable, info_policies_cb,
                                     g_steal_pointer (&task));
}

CbDeviceStateInfo *
cb_device_state_info_load_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cb_device_state_info_load_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

