/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-activity-log-client"

/* The Azure activity log through ARM (cb-activity-log-client.h): its $filter and the listing of
 * its events across pages, on the ADR client's ARM engine. */

#include "config.h"

#include "cb-activity-log-client.h"
#include "cb-adr-client-private.h"
#include "cb-util.h"

/**
 * cb_adr_build_activity_filter:
 * @resource_uri: (nullable): limit to this resource
 *
 * Returns: (transfer full): the OData $filter value, not yet URL-encoded
 */
char *
cb_adr_build_activity_filter (gint64      from_unix,
                              gint64      to_unix,
                              const char *resource_uri)
{
  g_autofree char *from = cb_time_format_fixed (from_unix);
  g_autofree char *to = cb_time_format_fixed (to_unix);
  GString *filter = g_string_new (NULL);

  g_string_append_printf (filter, "eventTimestamp ge '%s' and eventTimestamp le '%s'", from, to);
  if (resource_uri != NULL && *resource_uri != '\0')
    {
      g_autoptr(GString) quoted = g_string_new (resource_uri);

      /* OData string literals escape a quote by doubling it. */
      g_string_replace (quoted, "'", "''", 0);
      g_string_append_printf (filter, " and resourceUri eq '%s'", quoted->str);
    }

  return g_string_free (filter, FALSE);
}

void
cb_adr_client_list_activity_async (CbAdrClient         *self,
                                   gint64               from_unix,
                                   gint64               to_unix,
                                   const char          *resource_uri,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GError *error = NULL;
  char *url = NULL;
  const char *arm;
  const char *sub;

  g_return_if_fail (CB_IS_ADR_CLIENT (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  arm = cb_profile_get_arm_endpoint (cb_adr_client_get_profile (self));
  sub = cb_profile_get_subscription_id (cb_adr_client_get_profile (self));
  if (cb_arm_require_setting (arm, "ARM endpoint", &error) &&
      cb_arm_require_setting (sub, "subscription id", &error))
    {
      const char *segments[] = {
        "subscriptions", sub, "providers", "Microsoft.Insights", "eventtypes", "management",
        "values", NULL
      };
      g_autofree char *base = cb_arm_build_url (arm, segments, CB_ADR_ACTIVITY_API_VERSION);
      g_autofree char *filter = cb_adr_build_activity_filter (from_unix, to_unix, resource_uri);
      g_autofree char *escaped = g_uri_escape_string (filter, NULL, FALSE);

      url = g_strconcat (base, "&$filter=", escaped, NULL);
    }

  cb_arm_engine_list (cb_adr_client_get_arm_engine (self), self, cb_adr_client_list_activity_async, url, error,
              (CbAdrParseFunc) cb_activity_event_new_from_json, FALSE,
              cancellable, callback, user_data);
}

/**
 * cb_adr_client_list_activity_finish:
 *
 * Returns: (transfer full) (element-type CbActivityEvent): the events
 */
GPtrArray *
cb_adr_client_list_activity_finish (CbAdrClient   *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  return cb_arm_finish_pointer (self, result, cb_adr_client_list_activity_async, error);
}
