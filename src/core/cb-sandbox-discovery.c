/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Finding a certbench-sandbox that already runs (the standalone one, or another process's):
 * the URL to ask, its CA in its data folder as the only trust, GET /sandbox/info, and the
 * profile and demo enrollment group key that document gives. */
#define G_LOG_DOMAIN "cb-sandbox-discovery"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "cb-error.h"
#include "cb-http.h"
#include "cb-sandbox-client.h"
#include "cb-sandbox-discovery.h"
#include "cb-tls-lazy-database.h"

/* A sandbox named by its URL gets time to answer; the default one is only tried. */
#define NAMED_TIMEOUT_S    15
#define DEFAULT_TIMEOUT_S  3

typedef struct
{
  SoupSession *session;
  SoupMessage *message;
  char        *url;        /* the one asked */
  char        *ca_file;
  gboolean     named;      /* the caller gave the URL */
} Discovery;

typedef struct
{
  CbProfile *profile;
  char      *base_url;
  char      *group_key;    /* secret */
} Found;

static void
discovery_free (Discovery *d)
{
  g_clear_object (&d->message);
  g_clear_object (&d->session);
  g_free (d->url);
  g_free (d->ca_file);
  g_free (d);
}

static void
found_free (Found *found)
{
  g_clear_object (&found->profile);
  g_free (found->base_url);
  if (found->group_key != NULL)
    memset (found->group_key, 0, strlen (found->group_key));
  g_free (found->group_key);
  g_free (found);
}

/* Nothing at the default URL is no error of the caller's: it starts a sandbox instead. */
static void
return_unanswered (GTask  *task,
                   GError *error)
{
  Discovery *d = g_task_get_task_data (task);

  if (d->named)
    {
      g_task_return_new_error (task, CB_API_ERROR, CB_API_ERROR_FAILED,
                               _("The sandbox at %s (CA %s) does not answer: %s"), d->url,
                               d->ca_file, error->message);
      return;
    }

  g_debug ("No sandbox at %s: %s", d->url, error->message);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No sandbox answers at %s"),
                           d->url);
}

static void
info_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Discovery *d = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *info_url = g_strconcat (d->url, "/sandbox/info", NULL);
  guint status;
  Found *found;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL)
    {
      return_unanswered (task, error);
      return;
    }
  status = soup_message_get_status (d->message);
  if (status != SOUP_STATUS_OK)
    {
      g_autoptr(GError) http_error = g_error_new (CB_API_ERROR, CB_API_ERROR_FAILED,
                                                  _("%s answered HTTP %u"), info_url, status);

      return_unanswered (task, http_error);
      return;
    }
  /* The one limited reader (size and nesting checked before json-glib). */
  root = cb_http_parse_json (body, &error);
  if (error != NULL)
    {
      return_unanswered (task, error);
      return;
    }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autoptr(GError) parse_error = g_error_new (CB_API_ERROR, CB_API_ERROR_PARSE,
                                                   _("%s is not a sandbox"), info_url);

      return_unanswered (task, parse_error);
      return;
    }

  found = g_new0 (Found, 1);
  found->profile = cb_profile_new_from_sandbox_info (json_node_get_object (root),
                                                     &found->group_key);
  found->base_url = g_strdup (d->url);
  g_task_return_pointer (task, found, (GDestroyNotify) found_free);
}

void
cb_sandbox_discover_async (const char          *url,
                           const char          *dir,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTlsDatabase) db = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ca_path = NULL;
  g_autofree char *info_url = NULL;
  Discovery *d;

  g_return_if_fail (dir != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cb_sandbox_discover_async);

  d = g_new0 (Discovery, 1);
  d->named = url != NULL;
  d->url = g_strdup (url != NULL ? url : CB_SANDBOX_DEFAULT_URL);
  d->ca_file = g_build_filename (dir, "sandbox-ca.pem", NULL);
  g_task_set_task_data (task, d, (GDestroyNotify) discovery_free);

  if (!d->named && !g_file_test (d->ca_file, G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               _("No sandbox has run in %s"), dir);
      return;
    }

  ca_path = g_canonicalize_filename (d->ca_file, NULL);
  db = g_tls_file_database_new (ca_path, &error);
  if (db == NULL)
    {
      return_unanswered (task, error);
      return;
    }

  info_url = g_strconcat (d->url, "/sandbox/info", NULL);
  d->message = soup_message_new ("GET", info_url);
  if (d->message == NULL)
    {
      g_autoptr(GError) url_error = g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                                 _("“%s” is not a URL"), d->url);

      return_unanswered (task, url_error);
      return;
    }

  /* Often the process's first connection: it must not read the system store either. */
  cb_tls_lazy_database_install ();
  d->session = soup_session_new ();
  soup_session_set_tls_database (d->session, db);
  /* Like every session to the sandbox (cb_http_client_new): no proxy. Asking the system's
   * resolver would load GIO's proxy modules (GNOME settings through dconf, libproxy) and start
   * libproxy's lookup thread before the process's first connection, for a URL no proxy serves. */
  soup_session_set_proxy_resolver (d->session, NULL);
  soup_session_set_timeout (d->session, d->named ? NAMED_TIMEOUT_S : DEFAULT_TIMEOUT_S);
  soup_session_send_and_read_async (d->session, d->message, G_PRIORITY_DEFAULT, cancellable,
                                    info_cb, g_steal_pointer (&task));
}

CbProfile *
cb_sandbox_discover_finish (GAsyncResult  *result,
                            char         **out_base_url,
                            char         **out_group_key,
                            GError       **error)
{
  Found *found;
  CbProfile *profile;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  if (out_base_url != NULL)
    *out_base_url = NULL;
  if (out_group_key != NULL)
    *out_group_key = NULL;

  found = g_task_propagate_pointer (G_TASK (result), error);
  if (found == NULL)
    return NULL;

  profile = g_steal_pointer (&found->profile);
  if (out_base_url != NULL)
    *out_base_url = g_steal_pointer (&found->base_url);
  if (out_group_key != NULL)
    *out_group_key = g_steal_pointer (&found->group_key);
  found_free (found);
  return profile;
}
