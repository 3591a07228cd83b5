/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "cb-x509.h"

G_BEGIN_DECLS

/* Private to the certificate's files (cb-x509.c, cb-x509-chain.c): the certificate's fields
 * the chain check reads. */

typedef struct
{
  char   *sha1_fingerprint;
  char  **ext_key_usage;
  char  **subject_alt_names;
} CbCertificateExtras;

struct _CbCertificate
{
  GObject                  parent_instance;

  gnutls_x509_crt_t        crt;
  GBytes                  *der;
  GBytes                  *spki;
  /* The key, parsed once: the chain check verifies what it signed with it, the proof of
   * possession what the device signed. Only read after parsing (safe across threads). */
  gnutls_pubkey_t          pub;
  gnutls_sign_algorithm_t  sign_algorithm;
  char                    *subject;
  char                    *issuer;
  char                    *common_name;
  char                    *serial;
  char                    *signature_algorithm;
  char                    *sha256_fingerprint;
  char                    *subject_key_id;
  char                    *authority_key_id;
  /* What few callers read (a station's run reads none of it for a device's leaf), made on
   * first use, once, whichever thread asks first: cb_certificate_get_extras(). */
  CbCertificateExtras     *extras;
  gint64                   not_before;
  gint64                   not_after;
  CbKeyType                key_type;
  int                      version;
  int                      path_len;
  guint                    key_usage;
  guint                    is_ca : 1;
  guint                    has_key_usage : 1;
};

CbCertificateExtras *cb_certificate_get_extras (CbCertificate *self);

G_END_DECLS
