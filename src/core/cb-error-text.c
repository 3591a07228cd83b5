/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-error-text"

/* The text for people of a service's error, as the registry, fleet and diagnostics show it: a
 * refused permission (403, ARM's AuthorizationFailed) names the missing role and the scope;
 * other errors keep their own message. */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-error.h"
#include "cb-error-text.h"

static char *
match_quoted (const char *message,
              const char *pattern)
{
  g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_CASELESS, 0, NULL);
  g_autoptr(GMatchInfo) info = NULL;

  if (regex == NULL || !g_regex_match (regex, message, 0, &info))
    return NULL;
  return g_match_info_fetch (info, 1);
}

char *
cb_error_text (const GError *error)
{
  g_autofree char *role = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *action = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_FORBIDDEN))
    return g_strdup (error->message);

  /* ARM: "… perform action 'A' over scope 'S' … Required role: 'R' …" */
  role = match_quoted (error->message, "role:? '([^']+)'");
  scope = match_quoted (error->message, "scope '([^']+)'");
  action = match_quoted (error->message, "action '([^']+)'");
  if (scope == NULL)
    scope = g_strdup (cb_api_error_get_target (error));

  if (role != NULL && scope != NULL)
    return g_strdup_printf (_("Permission denied: this needs the “%s” role on %s"), role, scope);
  if (action != NULL && scope != NULL)
    return g_strdup_printf (_("Permission denied: your account may not perform %s on %s"),
                            action, scope);
  return g_strdup_printf (_("Permission denied: %s"), error->message);
}
