/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "cb-pki.h"
#include "cb-sb-adr.h"
#include "cb-sb-topology.h"
#include "cb-test-sandbox.h"
#include "cb-tls-lazy-database.h"

static void
start (CbTestSandbox *ts,
       gboolean       manual)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsDatabase) db = NULL;

  ts->sandbox = cb_sandbox_new (ts->data_dir);
  cb_sandbox_set_port (ts->sandbox, 0);
  cb_sandbox_set_page_size (ts->sandbox, 3);
  cb_sandbox_set_lro_delay_ms (ts->sandbox, 50);
  cb_sandbox_set_device_code_interval (ts->sandbox, 1);
  cb_sandbox_set_auto_approve (ts->sandbox, !manual);

  if (!cb_sandbox_start_in_thread (ts->sandbox, &error))
    g_error ("The sandbox did not start: %s", error->message);

  db = g_tls_file_database_new (cb_sandbox_get_ca_file (ts->sandbox), &error);
  g_assert_no_error (error);

  /* As the app's clients do: a pinned session never reads the system trust store, which
   * under the sanitizer costs seconds per connection. */
  cb_tls_lazy_database_install ();
  g_clear_object (&ts->session);
  ts->session = soup_session_new ();
  soup_session_set_tls_database (ts->session, db);
  soup_session_set_timeout (ts->session, 60);
}

CbTestSandbox *
cb_test_sandbox_new (CbTestSandboxFlags flags)
{
  CbTestSandbox *ts = g_new0 (CbTestSandbox, 1);
  g_autoptr(GError) error = NULL;

  ts->data_dir = g_dir_make_tmp ("certbench-test-XXXXXX", &error);
  g_assert_no_error (error);
  ts->owns_dir = TRUE;

  start (ts, (flags & CB_TEST_SANDBOX_MANUAL_SIGN_IN) != 0);
  return ts;
}

void
cb_test_sandbox_restart (CbTestSandbox *ts)
{
  gboolean manual = !ts->sandbox->auto_approve;

  cb_sandbox_stop (ts->sandbox);
  g_clear_object (&ts->sandbox);
  start (ts, manual);
}

void
cb_test_remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            cb_test_remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

void
cb_test_sandbox_free (CbTestSandbox *ts)
{
  if (ts == NULL)
    return;

  if (ts->sandbox != NULL)
    cb_sandbox_stop (ts->sandbox);
  g_clear_object (&ts->sandbox);
  g_clear_object (&ts->session);
  if (ts->owns_dir && g_getenv ("CB_TEST_KEEP_DATA") == NULL)
    cb_test_remove_tree (ts->data_dir);
  g_free (ts->data_dir);
  g_free (ts);
}

char *
cb_test_sandbox_token (CbTestSandbox *ts,
                       const char    *principal,
                       const char    *role,
                       const char    *scope,
                       const char    *audience)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  cb_sb_lock (ts->sandbox);
  cb_sb_add_principal (ts->sandbox, principal, principal, &error);
  g_assert_no_error (error);
  if (role != NULL)
    {
      cb_sb_assign_role (ts->sandbox, principal, role, scope, &error);
      g_assert_no_error (error);
    }
  cb_sb_unlock (ts->sandbox);

  token = cb_sb_issue_token (ts->sandbox, principal, audience, &error);
  g_assert_no_error (error);

  return g_strconcat ("Bearer ", token, NULL);
}

guint
cb_test_sandbox_request (CbTestSandbox       *ts,
                         const char          *method,
                         const char          *path_or_url,
                         const char          *authorization,
                         const char          *content_type,
                         const char          *body,
                         GBytes             **out_body,
                         SoupMessageHeaders **out_headers)
{
  g_autofree char *url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;

  if (g_str_has_prefix (path_or_url, "https://"))
    url = g_strdup (path_or_url);
  else
    url = g_strconcat (cb_sandbox_get_base_url (ts->sandbox), path_or_url, NULL);

  msg = soup_message_new (method, url);
  g_assert_nonnull (msg);

  if (authorization != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  authorization);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, content_type != NULL ? content_type
                                                                          : "application/json",
                                                bytes);
    }

  response = soup_session_send_and_read (ts->session, msg, NULL, &error);
  g_assert_no_error (error);

  if (out_body != NULL)
    *out_body = g_steal_pointer (&response);
  if (out_headers != NULL)
    *out_headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  return soup_message_get_status (msg);
}

guint
cb_test_sandbox_request_json (CbTestSandbox       *ts,
                              const char          *method,
                              const char          *path_or_url,
                              const char          *authorization,
                              const char          *body,
                              JsonNode           **out_json,
                              SoupMessageHeaders **out_headers)
{
  g_autoptr(GBytes) response = NULL;
  guint status;

  status = cb_test_sandbox_request (ts, method, path_or_url, authorization, NULL, body,
                                    &response, out_headers);

  if (out_json != NULL)
    {
      gsize len = 0;
      const char *data = g_bytes_get_data (response, &len);

      *out_json = NULL;
      if (len > 0)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(GError) error = NULL;

          if (!json_parser_load_from_data (parser, data, len, &error))
            g_error ("Response to %s %s is not JSON (%s): %.*s", method, path_or_url,
                     error->message, (int) MIN (len, 400), data);
          *out_json = json_parser_steal_root (parser);
        }
    }

  return status;
}

void
cb_test_store_result_cb (GObject      *object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

GAsyncResult *
cb_test_wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

GBytes *
cb_test_issue_chain (CbKey      *root_key,
                     GBytes     *root_der,
                     GBytes     *pub,
                     const char *cn,
                     gint64      not_before,
                     gint64      not_after)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autofree char *dn = g_strconcat ("CN=", cn, NULL);
  static const char * const eku[] = { CB_OID_EKU_CLIENT_AUTH, NULL };
  CbCertProfile profile = { 0 };
  GByteArray *chain = g_byte_array_new ();

  profile.subject_dn = dn;
  profile.not_before = not_before;
  profile.not_after = not_after;
  profile.path_len = -1;
  profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE;
  profile.ext_key_usage = eku;
  leaf = cb_cert_issue (&profile, pub, root_key, root_der, &error);
  g_assert_no_error (error);
  g_byte_array_append (chain, g_bytes_get_data (leaf, NULL), (guint) g_bytes_get_size (leaf));
  g_byte_array_append (chain, g_bytes_get_data (root_der, NULL), (guint) g_bytes_get_size (root_der));
  return g_byte_array_free_to_bytes (chain);
}

guint
cb_test_count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

void
cb_test_sandbox_add_dps_topology (CbTestSandbox *ts,
                                  const char    *sub,
                                  const char    *rg,
                                  const char    *ns,
                                  const char    *hub,
                                  const char    *dps,
                                  const char    *id_scope,
                                  const char    *owner_key,
                                  const char    *policy)
{
  CbSandbox *sb = ts->sandbox;
  g_autoptr(GError) error = NULL;
  g_autofree char *namespace_id = cb_sb_namespace_id (sub, rg, ns);

  cb_sb_lock (sb);
  cb_sb_create_hub (sb, sub, rg, hub, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_create_dps (sb, sub, rg, dps, id_scope, namespace_id, hub, &error);
  g_assert_no_error (error);
  g_assert_true (cb_sb_set_dps_owner_key (sb, dps, owner_key));
  cb_sb_adr_create_namespace (sb, sub, rg, ns, "westeurope", &error);
  g_assert_no_error (error);
  cb_sb_adr_create_credential (sb, namespace_id, &error);
  g_assert_no_error (error);
  cb_sb_adr_create_policy (sb, namespace_id, policy, 30, FALSE, &error);
  g_assert_no_error (error);
  cb_sb_unlock (sb);
}

gboolean
cb_test_skip_under_sanitizer (const char *why)
{
#ifdef __SANITIZE_ADDRESS__
  g_autofree char *message = g_strdup_printf ("under the sanitizer: %s", why);

  g_test_skip (message);
  return TRUE;
#else
  return FALSE;
#endif
}
