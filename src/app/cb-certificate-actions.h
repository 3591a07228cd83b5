/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-toasts.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* Certificates to take away: wherever a certificate or a chain is shown, the "cert" actions on
 * its widget copy or save it (one certificate or the whole chain, PEM or DER), copy its
 * fingerprints and open its details. */

typedef enum
{
  CB_CERTIFICATE_FORMAT_PEM,
  /* One certificate: its DER. The chain: its certificates' DER one after the other, leaf
   * first, as a device holds it. */
  CB_CERTIFICATE_FORMAT_DER,
} CbCertificateFormat;

/* The cb_toast_overlay_add_kind() kind of the actions' toasts: a newer one replaces the last,
 * and on an overlay of one toast at a time (the window's, Diagnostics') the one up, whatever
 * it said: a copy is the outcome of what the user did last. */
#define CB_CERTIFICATE_TOAST_KIND CB_TOAST_KIND_OUTCOME

/* The bytes of certificate @index of @chain, or of the whole chain when @index is -1. */
GBytes     *cb_certificate_export                  (GPtrArray            *chain,
                                                    int                   index,
                                                    CbCertificateFormat   format);
gboolean    cb_certificate_export_to_file          (GPtrArray            *chain,
                                                    int                   index,
                                                    CbCertificateFormat   format,
                                                    GFile                *file,
                                                    GError              **error);

/* Installs the "cert" action group on @widget for certificate @index of @chain (CbCertificate
 * elements, leaf first): cert.copy-pem, cert.copy-der, cert.copy-chain-pem, cert.copy-sha256,
 * cert.copy-sha1, cert.save-pem, cert.save-der, cert.save-chain-pem, cert.save-chain-der and
 * cert.details. A NULL or empty chain disables them. Feedback goes to the nearest
 * AdwToastOverlay above @widget. */
void        cb_certificate_actions_install         (GtkWidget            *widget,
                                                    GPtrArray            *chain,
                                                    guint                 index);
/* The "cert" menu (the chain items only when @with_chain). */
GMenuModel *cb_certificate_actions_menu_new        (gboolean              with_chain);
/* A menu button with that menu, named @accessible_name for assistive technologies. */
GtkWidget  *cb_certificate_actions_menu_button_new (gboolean              with_chain,
                                                    const char           *accessible_name);

/* A row for a certificate that may not be known (a CA whose service gives only its name and
 * dates): with @chain (CbCertificate, the certificate first; NULL or empty when not known) the
 * "cert" actions on @row, a menu button named @accessible_name and @subtitle saying where it
 * came from, the row itself opening the details; without it @subtitle says why, and the row
 * has no button. Can be called again on the same row. */
void        cb_certificate_actions_set_row         (AdwActionRow         *row,
                                                    GPtrArray            *chain,
                                                    const char           *subtitle,
                                                    const char           *accessible_name);

G_END_DECLS
