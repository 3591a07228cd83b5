/* SPDX-License-Identifier: GPL-3.0-or-later */

/* A certificate's fields as the details view shows them, checked against what the real
 * `openssl` prints for certificates it made itself; and hostile DER (truncated, wrong tags,
 * a malformed extension) gives a clear error or the raw bytes, never a crash. */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "cb-x509-details.h"
#include "cb-x509.h"

static char *tmp_dir;

/* Runs `openssl args` in the test's directory and returns its standard output. */
static char *
openssl (const char *args)
{
  g_autofree char *command = g_strdup_printf ("openssl %s", args);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  char *out = NULL;
  int status = 0;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  g_spawn_sync (tmp_dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", command, err);
  return out;
}

/* The value openssl prints after "key=" (the first line that has it). */
static char *
openssl_value (const char *args,
               const char *key)
{
  g_autofree char *out = openssl (args);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], key) && lines[i][strlen (key)] == '=')
      return g_strdup (lines[i] + strlen (key) + 1);
  g_error ("openssl %s printed no %s", args, key);
}

/* An extension's body as `openssl x509 -ext name` prints it, lines joined by "\n", trimmed. */
static char *
openssl_ext (const char *pem,
             const char *name)
{
  g_autofree char *args = g_strdup_printf ("x509 -in %s -noout -ext %s", pem, name);
  g_autofree char *out = openssl (args);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  g_autoptr(GString) body = g_string_new (NULL);

  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_strstrip (lines[i]);
      if (*lines[i] == '\0')
        continue;
      if (body->len > 0)
        g_string_append_c (body, '\n');
      g_string_append (body, lines[i]);
    }
  return g_string_free (g_steal_pointer (&body), FALSE);
}

static void
write_file (const char *name,
            const char *contents)
{
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static CbCertificate *
load (const char *name)
{
  g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  CbCertificate *cert;

  g_file_get_contents (path, &pem, NULL, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  return cert;
}

/* Every value of the fields in section named name, joined by "\n". */
static char *
values (GPtrArray  *details,
        const char *section,
        const char *name)
{
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < details->len; i++)
    {
      CbCertField *field = g_ptr_array_index (details, i);

      if (g_strcmp0 (field->section, section) != 0 || g_strcmp0 (field->name, name) != 0)
        continue;
      if (out->len > 0)
        g_string_append_c (out, '\n');
      g_string_append (out, field->value);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const CbCertField *
field_of (GPtrArray  *details,
          const char *section,
          const char *name)
{
  for (guint i = 0; i < details->len; i++)
    {
      CbCertField *field = g_ptr_array_index (details, i);

      if (g_strcmp0 (field->section, section) == 0 && g_strcmp0 (field->name, name) == 0)
        return field;
    }
  return NULL;
}

static void
make_certificates (void)
{
  static const char ext[] =
    "basicConstraints=CA:FALSE\n"
    "keyUsage=critical,digitalSignature,keyAgreement\n"
    "extendedKeyUsage=clientAuth,serverAuth\n"
    "subjectAltName=DNS:dev-42.example.net,URI:urn:dev:42,IP:192.0.2.7,email:ops@example.net\n"
    "subjectKeyIdentifier=hash\n"
    "authorityKeyIdentifier=keyid\n"
    "crlDistributionPoints=URI:http://crl.example.net/root.crl\n"
    "authorityInfoAccess=OCSP;URI:http://ocsp.example.net,caIssuers;URI:http://ca.example.net/root.crt\n"
    "certificatePolicies=1.3.6.1.4.1.99999.1.2\n"
    "1.3.6.1.4.1.99999.7=critical,DER:04:03:01:02:03\n";
  /* basicConstraints' SEQUENCE holding a BOOLEAN cut short. */
  static const char bad_ext[] = "2.5.29.19=critical,DER:30:03:01:01\n";

  write_file ("ext.cnf", ext);
  write_file ("bad.cnf", bad_ext);
  g_free (openssl ("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key "
                   "-out ca.pem -subj /CN=Test\\ Root/O=Example -days 30 "
                   "-addext basicConstraints=critical,CA:TRUE,pathlen:1 "
                   "-addext keyUsage=critical,keyCertSign,cRLSign"));
  g_free (openssl ("req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout leaf.key "
                   "-out leaf.csr -subj /CN=dev-42/O=Example"));
  g_free (openssl ("x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x1234abcd "
                   "-days 10 -extfile ext.cnf -out leaf.pem"));
  g_free (openssl ("x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 7 -days 10 "
                   "-extfile bad.cnf -out bad.pem"));
  g_free (openssl ("req -x509 -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.pem "
                   "-subj /CN=rsa-root -days 5"));
}

/* An openssl ISO 8601 date ("2026-12-06 18:04:34Z") as the details write it. */
static char *
openssl_date (const char *pem,
              const char *which)
{
  g_autofree char *args = g_strdup_printf ("x509 -in %s -noout -%s -dateopt iso_8601", pem, which);
  g_autofree char *value = openssl_value (args, g_str_equal (which, "startdate") ? "notBefore"
                                                                                  : "notAfter");

  g_assert_true (g_str_has_suffix (value, "Z"));
  value[strlen (value) - 1] = '\0';
  return g_strdup_printf ("%s UTC", value);
}

static void
test_fields_match_openssl (void)
{
  g_autoptr(CbCertificate) cert = load ("leaf.pem");
  g_autoptr(GPtrArray) details = cb_certificate_dup_details (cert);
  g_autofree char *serial = openssl_value ("x509 -in leaf.pem -noout -serial", "serial");
  g_autofree char *subject = openssl_value ("x509 -in leaf.pem -noout -subject -nameopt RFC2253", "subject");
  g_autofree char *issuer = openssl_value ("x509 -in leaf.pem -noout -issuer -nameopt RFC2253", "issuer");
  g_autofree char *sha256 = openssl_value ("x509 -in leaf.pem -noout -fingerprint -sha256", "sha256 Fingerprint");
  g_autofree char *sha1 = openssl_value ("x509 -in leaf.pem -noout -fingerprint -sha1", "sha1 Fingerprint");
  g_autofree char *not_before = openssl_date ("leaf.pem", "startdate");
  g_autofree char *not_after = openssl_date ("leaf.pem", "enddate");
  g_autofree char *text = openssl ("x509 -in leaf.pem -noout -text");
  g_autofree char *serial_lower = g_ascii_strdown (serial, -1);

  g_assert_cmpstr (cb_cert_details_lookup (details, "Certificate", "Version"), ==, "3");
  g_assert_nonnull (strstr (text, "Version: 3 (0x2)"));
  g_assert_cmpstr (cb_cert_details_lookup (details, "Certificate", "Serial number"), ==, serial_lower);
  g_assert_nonnull (strstr (text, "Signature Algorithm: ecdsa-with-SHA256"));
  g_assert_cmpstr (cb_cert_details_lookup (details, "Certificate", "Signature algorithm"), ==,
                   "ECDSA-SHA256 (1.2.840.10045.4.3.2)");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Subject", "Name"), ==, subject);
  g_assert_cmpstr (cb_cert_details_lookup (details, "Subject", "Common name"), ==, "dev-42");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Issuer", "Name"), ==, issuer);
  g_assert_cmpstr (cb_cert_details_lookup (details, "Validity", "Not before"), ==, not_before);
  g_assert_cmpstr (cb_cert_details_lookup (details, "Validity", "Not after"), ==, not_after);
  g_assert_nonnull (strstr (text, "Public-Key: (384 bit)"));
  g_assert_nonnull (strstr (text, "NIST CURVE: P-384"));
  g_assert_cmpstr (cb_cert_details_lookup (details, "Public key", "Algorithm"), ==, "EC/ECDSA SECP384R1");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Public key", "Size"), ==, "384 bits");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Fingerprints", "SHA-256"), ==, sha256);
  g_assert_cmpstr (cb_cert_details_lookup (details, "Fingerprints", "SHA-1"), ==, sha1);
}

static void
test_extensions_match_openssl (void)
{
  g_autoptr(CbCertificate) cert = load ("leaf.pem");
  g_autoptr(GPtrArray) details = cb_certificate_dup_details (cert);
  g_autofree char *ski = openssl_ext ("leaf.pem", "subjectKeyIdentifier");
  g_autofree char *aki = openssl_ext ("leaf.pem", "authorityKeyIdentifier");
  g_autofree char *san = openssl_ext ("leaf.pem", "subjectAltName");
  g_autofree char *ku = openssl_ext ("leaf.pem", "keyUsage");
  g_autofree char *eku = openssl_ext ("leaf.pem", "extendedKeyUsage");
  g_autofree char *crl = openssl_ext ("leaf.pem", "crlDistributionPoints");
  g_autofree char *aia = openssl_ext ("leaf.pem", "authorityInfoAccess");
  g_autofree char *policies = openssl_ext ("leaf.pem", "certificatePolicies");
  g_autofree char *our_san = values (details, "Subject alternative names", "Name");
  g_autofree char *our_ku = values (details, "Key usage", "Usage");
  g_autofree char *our_eku = values (details, "Extended key usage", "Purpose");
  g_autofree char *joined = NULL;
  g_auto(GStrv) san_parts = g_strsplit (san, ", ", -1);
  g_auto(GStrv) eku_parts = g_strsplit (eku, ", ", -1);
  g_auto(GStrv) our_eku_parts = g_strsplit (our_eku, "\n", -1);
  const CbCertField *field;

  g_assert_cmpstr (cb_cert_details_lookup (details, "Basic constraints", "Certificate authority"), ==, "No");
  g_assert_null (cb_cert_details_lookup (details, "Basic constraints", "Path length"));

  /* openssl writes "IP Address:" where the details, like the rest of Certbench, write "IP:". */
  for (guint i = 0; san_parts[i] != NULL; i++)
    if (g_str_has_prefix (san_parts[i], "IP Address:"))
      {
        char *ip = g_strconcat ("IP:", san_parts[i] + strlen ("IP Address:"), NULL);

        g_free (san_parts[i]);
        san_parts[i] = ip;
      }
  joined = g_strjoinv ("\n", san_parts);
  g_assert_cmpstr (our_san, ==, joined);
  g_clear_pointer (&joined, g_free);

  g_assert_cmpstr (cb_cert_details_lookup (details, "Subject key identifier", "Key identifier"), ==, ski);
  g_assert_cmpstr (cb_cert_details_lookup (details, "Authority key identifier", "Key identifier"), ==, aki);

  g_assert_cmpstr (ku, ==, "Digital Signature, Key Agreement");
  g_assert_cmpstr (our_ku, ==, "Digital signature\nKey agreement");
  field = field_of (details, "Key usage", "Usage");
  g_assert_true (field->critical);
  g_assert_cmpstr (field->oid, ==, "2.5.29.15");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Key usage", "Critical"), ==, "Yes");

  g_assert_cmpuint (g_strv_length (eku_parts), ==, g_strv_length (our_eku_parts));
  g_assert_cmpstr (eku_parts[0], ==, "TLS Web Client Authentication");
  g_assert_cmpstr (our_eku_parts[0], ==, "TLS client authentication (1.3.6.1.5.5.7.3.2)");
  g_assert_cmpstr (our_eku_parts[1], ==, "TLS server authentication (1.3.6.1.5.5.7.3.1)");

  g_assert_cmpstr (crl, ==, "Full Name:\nURI:http://crl.example.net/root.crl");
  g_assert_cmpstr (cb_cert_details_lookup (details, "CRL distribution points", "Distribution point"), ==,
                   "URI:http://crl.example.net/root.crl");
  g_assert_cmpstr (aia, ==, "OCSP - URI:http://ocsp.example.net\nCA Issuers - URI:http://ca.example.net/root.crt");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Authority information access", "OCSP"), ==,
                   "URI:http://ocsp.example.net");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Authority information access", "CA issuers"), ==,
                   "URI:http://ca.example.net/root.crt");
  g_assert_cmpstr (policies, ==, "Policy: 1.3.6.1.4.1.99999.1.2");
  g_assert_cmpstr (cb_cert_details_lookup (details, "Certificate policies", "Policy"), ==,
                   "1.3.6.1.4.1.99999.1.2");

  /* The unknown one: by OID, critical, its value in hex. */
  g_assert_cmpstr (cb_cert_details_lookup (details, "1.3.6.1.4.1.99999.7", "Critical"), ==, "Yes");
  g_assert_cmpstr (cb_cert_details_lookup (details, "1.3.6.1.4.1.99999.7", "Value"), ==, "04:03:01:02:03");
  field = field_of (details, "1.3.6.1.4.1.99999.7", "Value");
  g_assert_true (field->critical);
}

static void
test_ca_and_rsa (void)
{
  g_autoptr(CbCertificate) ca = load ("ca.pem");
  g_autoptr(CbCertificate) rsa = load ("rsa.pem");
  g_autoptr(GPtrArray) ca_details = cb_certificate_dup_details (ca);
  g_autoptr(GPtrArray) rsa_details = cb_certificate_dup_details (rsa);
  g_autofree char *bc = openssl_ext ("ca.pem", "basicConstraints");
  g_autofree char *ku = openssl_ext ("ca.pem", "keyUsage");
  g_autofree char *rsa_text = openssl ("x509 -in rsa.pem -noout -text");

  g_assert_cmpstr (bc, ==, "CA:TRUE, pathlen:1");
  g_assert_cmpstr (cb_cert_details_lookup (ca_details, "Basic constraints", "Certificate authority"), ==, "Yes");
  g_assert_cmpstr (cb_cert_details_lookup (ca_details, "Basic constraints", "Path length"), ==, "1");
  g_assert_cmpstr (cb_cert_details_lookup (ca_details, "Basic constraints", "Critical"), ==, "Yes");
  g_assert_cmpstr (ku, ==, "Certificate Sign, CRL Sign");
  g_assert_cmpstr (cb_cert_details_lookup (ca_details, "Public key", "Size"), ==, "256 bits");

  g_assert_nonnull (strstr (rsa_text, "Public-Key: (2048 bit)"));
  g_assert_cmpstr (cb_cert_details_lookup (rsa_details, "Public key", "Algorithm"), ==, "RSA");
  g_assert_cmpstr (cb_cert_details_lookup (rsa_details, "Public key", "Size"), ==, "2048 bits");
}

/* A certificate whose basic constraints do not decode: shown in hex with the reason, or
 * refused whole with a parse error; never a crash. */
static void
test_malformed_extension (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "bad.pem", NULL);
  g_autofree char *pem = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCertificate) cert = NULL;

  g_file_get_contents (path, &pem, NULL, &error);
  g_assert_no_error (error);
  cert = cb_certificate_new_from_pem (pem, -1, &error);
  if (cert == NULL)
    {
      g_test_message ("refused whole: %s", error->message);
      g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
      return;
    }
  else
    {
      g_autoptr(GPtrArray) details = cb_certificate_dup_details (cert);

      g_test_message ("loaded, its basic constraints shown in hex");
      g_assert_cmpstr (cb_cert_details_lookup (details, "Basic constraints", "Error"), ==,
                       "The extension could not be decoded");
      g_assert_cmpstr (cb_cert_details_lookup (details, "Basic constraints", "Value"), ==,
                       "30:03:01:01");
      g_assert_null (cb_cert_details_lookup (details, "Basic constraints", "Certificate authority"));
    }
}

static void
test_hostile_der (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "leaf.pem", NULL);
  g_autofree char *pem = NULL;
  g_autoptr(CbCertificate) good = NULL;
  g_autoptr(GBytes) der = NULL;
  const guint8 *data;
  gsize size;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &pem, NULL, &error);
  g_assert_no_error (error);
  good = cb_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  der = cb_certificate_get_der (good);
  data = g_bytes_get_data (der, &size);

  /* Every truncation, every single wrong outer tag, and a few inner tag swaps. */
  for (gsize cut = 0; cut < size; cut += (cut < 64 ? 1 : 37))
    {
      g_autoptr(GBytes) truncated = g_bytes_new (data, cut);
      g_autoptr(GError) local = NULL;
      g_autoptr(CbCertificate) cert = cb_certificate_new_from_der (truncated, &local);

      g_assert_null (cert);
      g_assert_true (local->domain == CB_X509_ERROR);
      g_assert_cmpstr (local->message, !=, "");
    }
  for (gsize pos = 0; pos < 16; pos++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, size);
      g_autoptr(GBytes) mangled = NULL;
      g_autoptr(GError) local = NULL;
      g_autoptr(CbCertificate) cert = NULL;

      copy[pos] ^= 0x5a;
      mangled = g_bytes_new (copy, size);
      cert = cb_certificate_new_from_der (mangled, &local);
      /* A flipped byte may leave a certificate that still parses: then it decodes. */
      if (cert != NULL)
        {
          g_autoptr(GPtrArray) details = cb_certificate_dup_details (cert);

          g_assert_cmpuint (details->len, >, 0);
        }
      else
        g_assert_true (local->domain == CB_X509_ERROR);
    }
  {
    g_autofree guint8 *copy = g_memdup2 (data, size);
    g_autoptr(GBytes) wrong_tag = NULL;
    g_autoptr(CbCertificate) cert = NULL;

    copy[0] = 0x31; /* a SET where the SEQUENCE belongs */
    wrong_tag = g_bytes_new (copy, size);
    cert = cb_certificate_new_from_der (wrong_tag, &error);
    g_assert_null (cert);
    g_assert_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE);
  }
}

int
main (int argc, char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  tmp_dir = g_dir_make_tmp ("cb-x509-details-XXXXXX", &error);
  g_assert_no_error (error);
  make_certificates ();

  g_test_add_func ("/cb/x509-details/fields-match-openssl", test_fields_match_openssl);
  g_test_add_func ("/cb/x509-details/extensions-match-openssl", test_extensions_match_openssl);
  g_test_add_func ("/cb/x509-details/ca-and-rsa", test_ca_and_rsa);
  g_test_add_func ("/cb/x509-details/malformed-extension", test_malformed_extension);
  g_test_add_func ("/cb/x509-details/hostile-der", test_hostile_der);

  ret = g_test_run ();
  {
    g_autoptr(GDir) dir = g_dir_open (tmp_dir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmp_dir, name, NULL);

        g_unlink (path);
      }
    g_rmdir (tmp_dir);
  }
  g_free (tmp_dir);
  return ret;
}
