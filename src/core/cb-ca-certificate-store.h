/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-context.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* The CA certificates the station has seen, kept for the Registry's CA panes: ADR's
 * certificate-authority resources give a CA's subject, dates and (an External ICA's)
 * thumbprint, never its certificate (docs/DESIGN.md "Where a CA's certificate comes from").
 * Every chain the station checks or is given (an issued chain, a device's read-back, an
 * External CA's activation chain) leaves its CA certificates here, in one PEM file
 * (certificates are public). */
#define CB_TYPE_CA_CERTIFICATE_STORE (cb_ca_certificate_store_get_type ())
G_DECLARE_FINAL_TYPE (CbCaCertificateStore, cb_ca_certificate_store, CB, CA_CERTIFICATE_STORE,
                      GObject)

/* The store in @path (read now when it exists; created on the first addition). A file that
 * does not parse is left as it is and never written over. */
CbCaCertificateStore *cb_ca_certificate_store_new             (const char            *path);
/* The store of @context's station: "ca-certificates.pem" in its data directory, one per
 * context. Returns: (transfer none) */
CbCaCertificateStore *cb_ca_certificate_store_get_for_context (CbContext             *context);

const char           *cb_ca_certificate_store_get_path        (CbCaCertificateStore  *self);
/* Keeps the CA certificates of @chain (CbCertificate; its leaf and other non-CA ones are not
 * kept) that are not there yet, and writes the file when one was new. */
gboolean              cb_ca_certificate_store_add_chain       (CbCaCertificateStore  *self,
                                                               GPtrArray             *chain,
                                                               GError               **error);
/* Returns: (transfer none) (element-type CbCertificate): what is kept, oldest first */
GPtrArray            *cb_ca_certificate_store_get_certificates (CbCaCertificateStore *self);

/* The certificate in @pool (CbCertificate) of the CA ADR describes: with @thumbprint (SHA-1 hex,
 * any case, colons or not) the one whose DER has it; otherwise the one with @subject whose
 * validity is @not_before to @not_after (Unix seconds; 0 matches any). Then its issuers found
 * in @pool, up to a self-signed root, each checked by its signature. NULL when @pool has no
 * such certificate. Returns: (transfer full) (element-type CbCertificate) (nullable) */
GPtrArray            *cb_ca_certificate_find_chain            (GPtrArray             *pool,
                                                               const char            *subject,
                                                               gint64                 not_before,
                                                               gint64                 not_after,
                                                               const char            *thumbprint);

G_END_DECLS
