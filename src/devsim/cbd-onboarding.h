/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The device's factory onboarding identity (cbd-onboarding.c): the X.509 certificate and key
 * it authenticates to DPS with (X.509 attestation), and the test "factory CA" that makes
 * them. Part of the GLib host, not of the portable device. */
#pragma once

#include <gio/gio.h>

#include "cbd-host.h"

G_BEGIN_DECLS

typedef struct _CbdOnboarding CbdOnboarding;

/* The identity given as files: the certificate (PEM, leaf first, issuers may follow) and its
 * private key (PEM). Errors say which file and why; nothing is written. */
CbdOnboarding   *cbd_onboarding_load_files      (const char     *cert_file,
                                                 const char     *key_file,
                                                 GError        **error);
/* The identity a factory gave the device: its own key, made here, and CN=registration_id
 * signed by the factory CA (cert and key, PEM files). Both are kept in storage like the
 * device's other keys ("onboarding-key", "onboarding-cert", 0600) and taken from there on the
 * next start when they are still for registration_id and the same factory CA. */
CbdOnboarding   *cbd_onboarding_mint            (CbdStorage     *storage,
                                                 const char     *registration_id,
                                                 const char     *ca_cert_file,
                                                 const char     *ca_key_file,
                                                 GError        **error);
/* The identity the devsim's options give: --onboarding-cert/--onboarding-key files, or minted
 * by --factory-ca for --onboarding-id (else the serial); NULL with the reason. */
CbdOnboarding   *cbd_onboarding_new_for_options (CbdStorage       *storage,
                                                 const CbdOptions *options,
                                                 GError          **error);
/* certbench-devsim --print-onboarding-cert: prints the identity's certificate (minting and
 * keeping it in the state directory first when a factory CA is given). Exit status. */
int              cbd_onboarding_print           (const CbdOptions *options);
void             cbd_onboarding_free            (CbdOnboarding  *self);
/* The certificate with its key, as the TLS handshake presents it. (transfer none) */
GTlsCertificate *cbd_onboarding_get_certificate (CbdOnboarding  *self);
/* Its CN: the registration id it onboards as. */
const char      *cbd_onboarding_get_common_name (CbdOnboarding  *self);
/* The certificate as PEM (the leaf), for its enrollment. */
char            *cbd_onboarding_dup_pem         (CbdOnboarding  *self);
/* Its SHA-256 fingerprint, "AB:CD:…". */
const char      *cbd_onboarding_get_fingerprint (CbdOnboarding  *self);

/* Writes a test factory CA: a self-signed EC P-256 CA certificate named common_name (NULL:
 * "Certbench test factory CA") to cert_file and its key to key_file (0600), valid 20 years.
 * Refuses to overwrite an existing file. */
gboolean         cbd_onboarding_write_factory_ca (const char    *cert_file,
                                                  const char    *key_file,
                                                  const char    *common_name,
                                                  GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbdOnboarding, cbd_onboarding_free)

G_END_DECLS
