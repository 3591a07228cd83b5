/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "cb-x509.h"

G_BEGIN_DECLS

/* One certificate of a chain: subject, issuer, serial, validity with days left and a lifetime
 * bar with the renewal point, key type and SHA-256 fingerprint. */

#define CB_TYPE_CERTIFICATE_ROW (cb_certificate_row_get_type ())
G_DECLARE_FINAL_TYPE (CbCertificateRow, cb_certificate_row, CB, CERTIFICATE_ROW, GtkListBoxRow)

/* role: "Device certificate", "Issuing CA"... (already translated), may be NULL. */
GtkWidget     *cb_certificate_row_new             (CbCertificate    *certificate,
                                                   const char       *role);
CbCertificate *cb_certificate_row_get_certificate (CbCertificateRow *self);
void           cb_certificate_row_set_certificate (CbCertificateRow *self,
                                                   CbCertificate    *certificate);
/* Shows certificate @index of @chain (CbCertificate elements, leaf first) with the "cert" menu
 * (copy or save it or the chain, copy a fingerprint, details: cb-certificate-actions.h). */
void           cb_certificate_row_set_chain       (CbCertificateRow *self,
                                                   GPtrArray        *chain,
                                                   guint             index);
/* Where the lifetime bar marks the renewal point (default CB_DEFAULT_RENEWAL_FRACTION). */
void           cb_certificate_row_set_renewal_fraction (CbCertificateRow *self,
                                                        double            fraction);
/* Whole days left, as shown (negative once expired). */
int            cb_certificate_row_get_days_left   (CbCertificateRow *self);

G_END_DECLS
