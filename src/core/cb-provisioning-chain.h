/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A device stores its chain as concatenated DER certificates; this cuts it into certificates.
 * Shared by the provisioning run and inspect. */

/* Splits a chain of concatenated DER certificates (as the device stores it) into CbCertificate
 * objects, leaf first. Returns: (element-type CbCertificate) (transfer full) */
GPtrArray   *cb_provisioning_split_chain             (GBytes               *der_chain,
                                                      GError              **error);

G_END_DECLS
