/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-x509.h"

G_BEGIN_DECLS

/* One field of a certificate as a viewer shows it: the section it belongs to ("Subject",
 * "Basic constraints"...), its name and its value, all readable text. */
typedef struct
{
  char     *section;
  char     *name;
  char     *value;
  /* For an extension's fields: its OID and whether it is critical; NULL otherwise. */
  char     *oid;
  gboolean  critical;
} CbCertField;

void cb_cert_field_free (CbCertField *field);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbCertField, cb_cert_field_free)

/* Every field of @self, in the order a viewer shows them: version, serial, signature
 * algorithm, issuer and subject, validity, public key, fingerprints, then each extension in
 * the certificate's order, decoded (basic constraints, key usage, extended key usage, subject
 * alternative names, key identifiers, CRL distribution points, authority information access,
 * certificate policies); another extension, or one that does not decode, by its OID with its
 * value in hex. Element type CbCertField. */
GPtrArray  *cb_certificate_dup_details (CbCertificate *self);
/* The value of the first field in @section named @name, or NULL. */
const char *cb_cert_details_lookup     (GPtrArray     *details,
                                        const char    *section,
                                        const char    *name);

G_END_DECLS
