/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-x509.h"

G_BEGIN_DECLS

/* Every field of one certificate, extensions decoded (cb-x509-details.h), grouped as XCA or
 * GNOME's certificate viewer show them. */
#define CB_TYPE_CERTIFICATE_DETAILS_WINDOW (cb_certificate_details_window_get_type ())
G_DECLARE_FINAL_TYPE (CbCertificateDetailsWindow, cb_certificate_details_window, CB,
                      CERTIFICATE_DETAILS_WINDOW, AdwWindow)

/* Shows certificate @index of @chain (CbCertificate elements, leaf first). */
GtkWidget     *cb_certificate_details_window_new             (GPtrArray                  *chain,
                                                              guint                       index);
/* Packs @widget (the "cert" menu) at the end of the header bar. */
void           cb_certificate_details_window_add_header_widget (CbCertificateDetailsWindow *self,
                                                                GtkWidget                  *widget);
CbCertificate *cb_certificate_details_window_get_certificate (CbCertificateDetailsWindow *self);

G_END_DECLS
