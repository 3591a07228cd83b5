/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-issuance: DPS issuance in the sandbox against its floor, raw GnuTLS issuing the same
 * leaf, in the same run. A certbench-sandbox process (--seed demo --lro-delay-ms 0) takes
 * registrations with a CSR through its DPS over HTTPS, 32 in flight from this process; its CPU
 * (from /proc) per registration and the registrations per second are the sandbox's figures.
 * The reference parses and verifies the same CSRs and signs the same leaf (same key types, the
 * same extensions: key usage, EKU, SKI/AKI, basic constraints, the credential identifier) with
 * plain GnuTLS calls under a CA key of the sandbox's issuing CA's type. Each is measured in
 * ROUNDS rounds; the figures are min/median/max and the ratio of the medians.
 * Run: ./build-opt/benchmarks/bench-issuance/bench-issuance build-opt/src/sandbox/certbench-sandbox [N [ROUNDS]]
 */
#include "config.h"

#include <signal.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"
#include "bench-dps-batch.h"
#include "cb-pki.h"
#include "cb-x509.h"

#define IN_FLIGHT 32
#define OID_CREDENTIAL_IDENTIFIER "1.3.6.1.4.1.32473.1.1"   /* the sandbox's (cb-sb-ca.h) */

typedef struct
{
  guint   failed;
  GBytes *ica_der;   /* the issuing CA the sandbox used, from the first answer */
} Answers;

static void
answered_cb (guint              index,
             CbDpsRegistration *registration,
             const GError      *error,
             gpointer           user_data)
{
  Answers *answers = user_data;
  GPtrArray *chain = registration != NULL ? cb_dps_registration_get_issued_chain (registration)
                                          : NULL;

  if (chain == NULL || chain->len < 2)
    {
      if (answers->failed++ == 0)
        g_printerr ("registration failed: %s\n", error != NULL ? error->message : "no chain");
    }
  else if (answers->ica_der == NULL)
    answers->ica_der = g_bytes_ref (g_ptr_array_index (chain, 1));
  g_clear_object (&registration);
}

/* ---- The reference: raw GnuTLS -------------------------------------------------------- */

typedef struct
{
  gnutls_x509_crt_t  crt;
  gnutls_privkey_t   key;
  gnutls_digest_algorithm_t digest;
} RawCa;

#define CHECK(expr) G_STMT_START { int r_ = (expr); if (r_ < 0) g_error ("%s: %s", #expr, gnutls_strerror (r_)); } G_STMT_END

static void
raw_ca_init (RawCa    *ca,
             CbKeyType type)
{
  gnutls_ecc_curve_t curve = type == CB_KEY_TYPE_EC_P384 ? GNUTLS_ECC_CURVE_SECP384R1
                                                         : GNUTLS_ECC_CURVE_SECP256R1;
  guint8 serial[] = { 0x01 };
  time_t now = time (NULL);

  ca->digest = type == CB_KEY_TYPE_EC_P384 ? GNUTLS_DIG_SHA384 : GNUTLS_DIG_SHA256;
  CHECK (gnutls_privkey_init (&ca->key));
  CHECK (gnutls_privkey_generate (ca->key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS (curve), 0));
  CHECK (gnutls_x509_crt_init (&ca->crt));
  CHECK (gnutls_x509_crt_set_version (ca->crt, 3));
  CHECK (gnutls_x509_crt_set_serial (ca->crt, serial, sizeof serial));
  CHECK (gnutls_x509_crt_set_activation_time (ca->crt, now - 60));
  CHECK (gnutls_x509_crt_set_expiration_time (ca->crt, now + 365 * 86400));
  CHECK (gnutls_x509_crt_set_dn (ca->crt, "CN=bench issuing CA", NULL));
  CHECK (gnutls_x509_crt_set_basic_constraints (ca->crt, 1, 0));
  CHECK (gnutls_x509_crt_set_key_usage (ca->crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
  {
    gnutls_pubkey_t pub;
    guint8 id[64];
    size_t id_len = sizeof id;

    CHECK (gnutls_pubkey_init (&pub));
    CHECK (gnutls_pubkey_import_privkey (pub, ca->key, 0, 0));
    CHECK (gnutls_x509_crt_set_pubkey (ca->crt, pub));
    CHECK (gnutls_pubkey_get_key_id (pub, GNUTLS_KEYID_USE_SHA1, id, &id_len));
    CHECK (gnutls_x509_crt_set_subject_key_id (ca->crt, id, id_len));
    gnutls_pubkey_deinit (pub);
  }
  CHECK (gnutls_x509_crt_privkey_sign (ca->crt, ca->crt, ca->key, ca->digest, 0));
}

/* What an issuing CA does for one CSR, with nothing around it: parse and verify the request,
 * build the leaf and sign it. */
static void
raw_issue (RawCa  *ca,
           GBytes *csr_der)
{
  gnutls_x509_crq_t crq;
  gnutls_x509_crt_t crt;
  gnutls_datum_t in, out = { NULL, 0 };
  guint8 serial[16], key_id[64], ca_id[64];
  size_t key_id_len = sizeof key_id, ca_id_len = sizeof ca_id;
  unsigned int critical = 0;
  static const guint8 identifier[] = { 0x0c, 0x24, 'b', 'e', 'n', 'c', 'h', '-', 'c', 'r', 'e',
                                       'd', 'e', 'n', 't', 'i', 'a', 'l', '-', 'i', 'd', 'e',
                                       'n', 't', 'i', 'f', 'i', 'e', 'r', '-', '0', '0', '0',
                                       '0', '0', '0', '0', '1' };
  gsize len;
  time_t now = time (NULL);

  in.data = (unsigned char *) g_bytes_get_data (csr_der, &len);
  in.size = len;
  CHECK (gnutls_x509_crq_init (&crq));
  CHECK (gnutls_x509_crq_import (crq, &in, GNUTLS_X509_FMT_DER));
  CHECK (gnutls_x509_crq_verify (crq, 0));

  CHECK (gnutls_x509_crt_init (&crt));
  CHECK (gnutls_x509_crt_set_crq (crt, crq));
  CHECK (gnutls_x509_crt_set_version (crt, 3));
  CHECK (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial));
  serial[0] = (serial[0] & 0x7f) | 0x40;
  CHECK (gnutls_x509_crt_set_serial (crt, serial, sizeof serial));
  CHECK (gnutls_x509_crt_set_activation_time (crt, now - 300));
  CHECK (gnutls_x509_crt_set_expiration_time (crt, now + 30 * 86400));
  CHECK (gnutls_x509_crt_set_basic_constraints (crt, 0, -1));
  CHECK (gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
  CHECK (gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_CLIENT, 0));
  CHECK (gnutls_x509_crq_get_key_id (crq, GNUTLS_KEYID_USE_SHA1, key_id, &key_id_len));
  CHECK (gnutls_x509_crt_set_subject_key_id (crt, key_id, key_id_len));
  CHECK (gnutls_x509_crt_get_subject_key_id (ca->crt, ca_id, &ca_id_len, &critical));
  CHECK (gnutls_x509_crt_set_authority_key_id (crt, ca_id, ca_id_len));
  CHECK (gnutls_x509_crt_set_extension_by_oid (crt, OID_CREDENTIAL_IDENTIFIER, identifier,
                                               sizeof identifier, 0));
  CHECK (gnutls_x509_crt_privkey_sign (crt, ca->crt, ca->key, ca->digest, 0));
  CHECK (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_DER, &out));

  gnutls_free (out.data);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_crq_deinit (crq);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GSubprocess) sandbox = NULL;
  g_autoptr(BenchDpsClients) clients = NULL;
  g_autoptr(CbCertificate) ica = NULL;
  guint n = 400, rounds = 5;
  double *sb_rate, *sb_cpu, *raw_rate, *raw_cpu, *cl_cpu, *sb_share;
  double sb_rate_med, sb_cpu_med, raw_rate_med, raw_cpu_med;
  GPid pid;
  RawCa ca = { 0 };

  if (argc < 2)
    {
      g_printerr ("usage: %s CERTBENCH-SANDBOX [REGISTRATIONS-PER-ROUND [ROUNDS]]\n", argv[0]);
      return 2;
    }
  if (argc > 2)
    n = MAX ((guint) g_ascii_strtoull (argv[2], NULL, 10), IN_FLIGHT);
  if (argc > 3)
    rounds = MAX ((guint) g_ascii_strtoull (argv[3], NULL, 10), 1);

  dir = g_dir_make_tmp ("certbench-bench-issuance-XXXXXX", &error);
  g_assert_no_error (error);
  out_path = g_build_filename (dir, "sandbox.out", NULL);
  {
    g_autofree char *data_dir = g_build_filename (dir, "data", NULL);

    sandbox = bench_spawn_sandbox (argv[1], data_dir, out_path, &url, &pid);
    clients = bench_dps_clients_new (url, data_dir);
  }

  sb_rate = g_new0 (double, rounds);
  sb_cpu = g_new0 (double, rounds);
  raw_rate = g_new0 (double, rounds);
  raw_cpu = g_new0 (double, rounds);
  cl_cpu = g_new0 (double, rounds);
  sb_share = g_new0 (double, rounds);

  printf ("DPS issuance: %u registrations with a CSR (EC P-256 device keys) per round, %d in "
          "flight over HTTPS from %u clients, %u rounds, after a warm-up round of %d\n", n,
          IN_FLIGHT, clients->n_clients, rounds, IN_FLIGHT);

  for (guint r = 0; r <= rounds; r++)
    {
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GPtrArray) csrs = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      g_autofree char *prefix = g_strdup_printf ("bench-iss-%u", r);
      Answers answers = { 0 };
      guint count = r == 0 ? IN_FLIGHT : n;
      double t0, cpu0, self0, wall, cpu, self_cpu;

      bench_dps_make_csrs (prefix, count, ids, csrs);

      /* The sandbox; this process's CPU meanwhile is its clients'. */
      cpu0 = bench_process_cpu_ms (pid);
      self0 = bench_process_cpu_ms (getpid ());
      t0 = bench_now_ms ();
      bench_dps_register_all (clients, ids, csrs, IN_FLIGHT, answered_cb, &answers);
      wall = bench_now_ms () - t0;
      cpu = bench_process_cpu_ms (pid) - cpu0;
      self_cpu = bench_process_cpu_ms (getpid ()) - self0;
      if (answers.failed > 0)
        g_error ("%u of %u registrations failed", answers.failed, count);
      if (ca.crt == NULL)
        {
          ica = cb_certificate_new_from_der (answers.ica_der, &error);
          g_assert_no_error (error);
          raw_ca_init (&ca, cb_certificate_get_key_type (ica));
          printf ("issuing CA key: %s (the reference signs with the same type)\n",
                  cb_key_type_to_string (cb_certificate_get_key_type (ica)));
        }
      g_clear_pointer (&answers.ica_der, g_bytes_unref);
      if (r == 0)
        continue;
      sb_rate[r - 1] = count * 1000.0 / wall;
      sb_cpu[r - 1] = cpu / count;
      cl_cpu[r - 1] = self_cpu / count;
      sb_share[r - 1] = cpu / wall;

      /* The reference: the same CSRs, the same leaf, in this thread. */
      cpu0 = bench_thread_cpu_ms ();
      t0 = bench_now_ms ();
      for (guint i = 0; i < count; i++)
        raw_issue (&ca, g_ptr_array_index (csrs, i));
      wall = bench_now_ms () - t0;
      cpu = bench_thread_cpu_ms () - cpu0;
      raw_rate[r - 1] = count * 1000.0 / wall;
      raw_cpu[r - 1] = cpu / count;

      printf ("round %u: sandbox %7.1f /s, %.3f ms CPU each; raw GnuTLS %7.1f /s, %.3f ms CPU each\n",
              r, sb_rate[r - 1], sb_cpu[r - 1], raw_rate[r - 1], raw_cpu[r - 1]);
    }

  printf ("\n%-52s %10s  %10s  %10s\n", "figure", "min", "median", "max");
  bench_print_stats ("sandbox DPS registrations/s (32 in flight)", "%10.1f", sb_rate, rounds,
                     &sb_rate_med);
  bench_print_stats ("sandbox CPU per registration, ms", "%10.3f", sb_cpu, rounds, &sb_cpu_med);
  bench_print_stats ("raw GnuTLS leaves/s (one thread)", "%10.1f", raw_rate, rounds,
                     &raw_rate_med);
  bench_print_stats ("raw GnuTLS CPU per leaf, ms", "%10.3f", raw_cpu, rounds, &raw_cpu_med);
  /* What sets the sandbox's rate: the sandbox serves on one thread, and the clients share the
   * machine's cores with it. A share of 1 is a core all its own. */
  bench_print_stats ("clients' CPU per registration (this process), ms", "%10.3f", cl_cpu,
                     rounds, NULL);
  bench_print_stats ("sandbox CPU / wall while registering (cores)", "%10.2f", sb_share,
                     rounds, NULL);
  printf ("\nratio, raw CPU per leaf / sandbox CPU per registration: %.2f (target >= 0.50)\n",
          raw_cpu_med / sb_cpu_med);
  printf ("ratio, sandbox registrations/s / raw leaves/s:           %.2f\n",
          sb_rate_med / raw_rate_med);

  g_subprocess_send_signal (sandbox, SIGTERM);
  g_subprocess_wait (sandbox, NULL, NULL);
  g_clear_pointer (&clients, bench_dps_clients_free);
  gnutls_x509_crt_deinit (ca.crt);
  gnutls_privkey_deinit (ca.key);
  g_free (sb_rate);
  g_free (sb_cpu);
  g_free (raw_rate);
  g_free (raw_cpu);
  g_free (cl_cpu);
  g_free (sb_share);
  bench_remove_tree (dir);
  return 0;
}
