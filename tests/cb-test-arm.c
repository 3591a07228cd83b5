/* SPDX-License-Identifier: GPL-3.0-or-later */

/* What the sandbox's ARM tests share: JSON by path, polling long-running operations, a test
 * CA for service-made CSRs, and the hub's verdict through /sandbox/hubs/{hub}/devices/{d}/
 * check-chain. Real requests to the real sandbox, nothing stands in for it. */

#include "config.h"

#include <string.h>

#include "cb-csr.h"
#include "cb-pki.h"
#include "cb-test-arm.h"
#include "cb-x509.h"

JsonNode *
cb_test_jget (JsonNode   *root,
              const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);
  JsonNode *node = root;

  for (guint i = 0; parts[i] != NULL; i++)
    {
      JsonObject *obj;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        return NULL;
      obj = json_node_get_object (node);
      if (!json_object_has_member (obj, parts[i]))
        return NULL;
      node = json_object_get_member (obj, parts[i]);
    }

  return node;
}

const char *
cb_test_jstr (JsonNode   *root,
              const char *path)
{
  JsonNode *node = cb_test_jget (root, path);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

JsonNode *
cb_test_arm_wait_async (CbTestSandbox *ts,
                        const char    *token,
                        const char    *url)
{
  for (guint i = 0; i < 400; i++)
    {
      g_autoptr(JsonNode) json = NULL;
      const char *status;

      g_assert_cmpuint (cb_test_sandbox_request_json (ts, "GET", url, token, NULL, &json, NULL),
                        ==, 200);
      status = cb_test_jstr (json, "status");
      g_assert_nonnull (status);
      if (g_str_equal (status, "Succeeded") || g_str_equal (status, "Failed") ||
          g_str_equal (status, "Canceled"))
        return g_steal_pointer (&json);

      g_assert_cmpstr (status, ==, "InProgress");
      g_usleep (10 * 1000);
    }

  g_assert_not_reached ();
  return NULL;
}

guint
cb_test_arm_wait_location (CbTestSandbox *ts,
                           const char    *token,
                           const char    *url,
                           JsonNode     **final)
{
  for (guint i = 0; i < 400; i++)
    {
      g_autoptr(JsonNode) json = NULL;
      g_autoptr(SoupMessageHeaders) headers = NULL;
      guint status = cb_test_sandbox_request_json (ts, "GET", url, token, NULL, &json, &headers);

      if (status != 202)
        {
          if (final != NULL)
            *final = g_steal_pointer (&json);
          return status;
        }

      g_assert_nonnull (soup_message_headers_get_one (headers, "Location"));
      g_assert_nonnull (soup_message_headers_get_one (headers, "Retry-After"));
      g_usleep (10 * 1000);
    }

  g_assert_not_reached ();
  return 0;
}

char *
cb_test_sign_csr (const char     *csr_pem,
                  gint64          now,
                  gint64          days,
                  CbTestSignFlags flags,
                  GBytes        **root_out)
{
  g_autoptr(CbKey) root_key = NULL;
  g_autoptr(CbKey) other = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GBytes) root_pub = NULL;
  g_autoptr(GBytes) root_der = NULL;
  g_autoptr(GBytes) ica_der = NULL;
  g_autoptr(GBytes) ica_pub = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ica_pem = NULL;
  g_autofree char *root_pem = NULL;
  CbCertProfile root_profile = { 0 };
  CbCertProfile ica_profile = { 0 };

  csr = cb_csr_new_from_pem (csr_pem, -1, &error);
  g_assert_no_error (error);
  g_assert_true (cb_csr_verify_signature (csr, &error));

  root_key = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
  g_assert_no_error (error);
  root_pub = cb_key_get_public_key_der (root_key);
  root_profile.subject_dn = "CN=Contoso Device Root,O=Contoso";
  root_profile.not_before = now - 3600;
  root_profile.not_after = now + 20 * 365 * 24 * 3600;
  root_profile.is_ca = TRUE;
  root_profile.path_len = 1;
  root_profile.key_usage = CB_KEY_USAGE_KEY_CERT_SIGN | CB_KEY_USAGE_CRL_SIGN |
                           CB_KEY_USAGE_DIGITAL_SIGNATURE;
  root_der = cb_cert_issue (&root_profile, root_pub, root_key, NULL, &error);
  g_assert_no_error (error);

  if (flags & CB_TEST_SIGN_WRONG_KEY)
    {
      other = cb_key_generate (CB_KEY_TYPE_EC_P384, &error);
      g_assert_no_error (error);
      ica_pub = cb_key_get_public_key_der (other);
    }
  else
    {
      ica_pub = cb_csr_get_public_key_der (csr);
    }

  ica_profile.subject_dn = (flags & CB_TEST_SIGN_WRONG_SUBJECT) ? "CN=somebody-else"
                                                                : cb_csr_get_subject (csr);
  ica_profile.not_before = now - 3600;
  ica_profile.not_after = now + days * 24 * 3600;
  ica_profile.is_ca = TRUE;
  ica_profile.path_len = 0;
  ica_profile.key_usage = CB_KEY_USAGE_DIGITAL_SIGNATURE | CB_KEY_USAGE_KEY_CERT_SIGN |
                          CB_KEY_USAGE_CRL_SIGN;
  ica_der = cb_cert_issue (&ica_profile, ica_pub, root_key, root_der, &error);
  g_assert_no_error (error);

  ica_pem = cb_sb_der_to_pem ("CERTIFICATE", ica_der);
  root_pem = cb_sb_der_to_pem ("CERTIFICATE", root_der);
  if (root_out != NULL)
    *root_out = g_bytes_ref (root_der);

  return (flags & CB_TEST_SIGN_REVERSED) ? g_strconcat (root_pem, ica_pem, NULL)
                                         : g_strconcat (ica_pem, root_pem, NULL);
}

char *
cb_test_chain_body (const char *chain)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "certificateChain");
  json_builder_add_string_value (b, chain);
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  return json_to_string (node, FALSE);
}

char *
cb_test_check_chain (CbTestSandbox *ts,
                     const char    *hub,
                     const char    *device,
                     const char    *pem)
{
  g_autofree char *path = g_strdup_printf ("/sandbox/hubs/%s/devices/%s/check-chain", hub,
                                           device);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  const char *verdict;
  guint status;

  status = cb_test_sandbox_request (ts, "POST", path, NULL, "text/plain", pem, &body, NULL);
  g_assert_cmpuint (status, ==, 200);
  json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                              &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  verdict = cb_test_jstr (root, "verdict");
  g_assert_nonnull (verdict);
  g_assert_nonnull (cb_test_jstr (root, "reason"));
  g_assert_cmpint (json_node_get_boolean (cb_test_jget (root, "accepted")), ==,
                   g_str_equal (verdict, "accepted"));
  g_test_message ("%s: %s (%s)", device, verdict, cb_test_jstr (root, "reason"));

  return g_strdup (verdict);
}
