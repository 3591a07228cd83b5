/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The hub's renewal result in both documented shapes (object with correlationId and
 * certificates; bare array), with base64 DER or PEM elements, and what is refused. */

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "cb-json-limits.h"
#include "cb-pki.h"
#include "cb-renewal-result.h"
#include "cb-x509.h"

static CbCertificate *
make_cert (const char *dn,
           CbKey      *key)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = cb_key_get_public_key_der (key);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CbCertProfile profile = {
    .subject_dn = dn,
    .not_before = now - 60,
    .not_after = now + 3600,
    .is_ca = TRUE,
    .path_len = -1,
    .key_usage = CB_KEY_USAGE_KEY_CERT_SIGN,
  };
  g_autoptr(GBytes) der = cb_cert_issue (&profile, spki, key, NULL, &error);
  CbCertificate *cert;

  g_assert_no_error (error);
  cert = cb_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  return cert;
}

typedef struct
{
  CbCertificate *leaf;
  CbCertificate *ca;
  char          *leaf_b64;
  char          *ca_b64;
  char          *ca_pem;
} Fixture;

static char *
to_b64 (CbCertificate *cert)
{
  g_autoptr(GBytes) der = cb_certificate_get_der (cert);

  return g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);

  g_assert_no_error (error);
  f->leaf = make_cert ("CN=renew-leaf", key);
  f->ca = make_cert ("CN=renew-ca", key);
  f->leaf_b64 = to_b64 (f->leaf);
  f->ca_b64 = to_b64 (f->ca);
  f->ca_pem = cb_certificate_to_pem (f->ca);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->leaf);
  g_clear_object (&f->ca);
  g_free (f->leaf_b64);
  g_free (f->ca_b64);
  g_free (f->ca_pem);
}

static void
assert_chain (Fixture   *f,
              GPtrArray *chain)
{
  g_assert_nonnull (chain);
  g_assert_cmpuint (chain->len, ==, 2);
  g_assert_true (cb_certificate_equal (g_ptr_array_index (chain, 0), f->leaf));
  g_assert_true (cb_certificate_equal (g_ptr_array_index (chain, 1), f->ca));
}

/* {"correlationId", "certificates"}: the C# and Java SDKs' CertificateSigningResponse. */
static void
test_object (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *corr = NULL;
  g_autofree char *json = g_strdup_printf ("{\"correlationId\": \"c-17\", \"certificates\": "
                                           "[\"%s\", \"%s\"]}", f->leaf_b64, f->ca_b64);
  g_autoptr(GPtrArray) chain = cb_renewal_result_parse (json, strlen (json), &corr, &error);

  g_assert_no_error (error);
  assert_chain (f, chain);
  g_assert_cmpstr (corr, ==, "c-17");
}

/* The bare array (older azure-sdk-for-c preview code), here with a PEM element as Learn
 * writes them. */
static void
test_bare_array (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  char *corr = (char *) "stale";   /* an out parameter: set to NULL, never freed */
  g_autoptr(JsonNode) pem_node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *pem_json = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GPtrArray) chain = NULL;

  json_node_set_string (pem_node, f->ca_pem);
  pem_json = json_to_string (pem_node, FALSE);
  json = g_strdup_printf ("[\"%s\", %s]", f->leaf_b64, pem_json);
  chain = cb_renewal_result_parse (json, strlen (json), &corr, &error);
  g_assert_no_error (error);
  assert_chain (f, chain);
  g_assert_null (corr);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *bad_element = g_strdup_printf ("[\"%s\", \"bm90IGEgY2VydA==\"]", f->leaf_b64);
  g_autofree char *number_element = g_strdup_printf ("{\"certificates\": [\"%s\", 3]}",
                                                     f->leaf_b64);
  const struct { const char *json; int code; const char *says; } cases[] = {
    { "", CB_X509_ERROR_PARSE, "not JSON" },
    { "{not json", CB_X509_ERROR_PARSE, "not JSON" },
    { "\"MIIB\"", CB_X509_ERROR_PARSE, "neither an array" },
    { "{\"correlationId\": \"x\"}", CB_X509_ERROR_PARSE, "neither an array" },
    { "{\"certificates\": \"MIIB\"}", CB_X509_ERROR_PARSE, "neither an array" },
    { "[]", CB_X509_ERROR_EMPTY, "no certificates" },
    { "{\"certificates\": []}", CB_X509_ERROR_EMPTY, "no certificates" },
    { bad_element, CB_X509_ERROR_PARSE, "Certificate 2 " },
    { number_element, CB_X509_ERROR_PARSE, "Certificate 2 " },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *corr = NULL;
      g_autoptr(GPtrArray) chain = cb_renewal_result_parse (cases[i].json, strlen (cases[i].json),
                                                            &corr, &error);

      g_assert_null (chain);
      g_assert_null (corr);
      g_assert_error (error, CB_X509_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }

  /* Deeper than the limit: refused before json-glib sees it. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) deep = g_string_new (NULL);
    g_autoptr(GPtrArray) chain = NULL;

    for (guint i = 0; i < 1000; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 1000; i++)
      g_string_append_c (deep, ']');
    chain = cb_renewal_result_parse (deep->str, deep->len, NULL, &error);
    g_assert_null (chain);
    g_assert_error (error, CB_JSON_LIMIT_ERROR, CB_JSON_LIMIT_ERROR_TOO_DEEP);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cb/renewal-result/object", Fixture, NULL, fixture_setup, test_object,
              fixture_teardown);
  g_test_add ("/cb/renewal-result/bare-array", Fixture, NULL, fixture_setup, test_bare_array,
              fixture_teardown);
  g_test_add ("/cb/renewal-result/refused", Fixture, NULL, fixture_setup, test_refused,
              fixture_teardown);

  return g_test_run ();
}
