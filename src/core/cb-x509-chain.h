/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-x509.h"

G_BEGIN_DECLS

/* Verifies chain (leaf first, CbCertificate elements; it may or may not include the anchor)
 * against anchors at time now: each certificate issued and signed by the next, issuers are
 * CAs with keyCertSign, path lengths respected, everything within its validity at now, no
 * SHA-1 signatures, and the last one issued by (or equal to) one of the anchors. On failure
 * the error says which certificate (by position and subject) and why. */
gboolean        cb_x509_verify_chain             (GPtrArray      *chain,
                                                  GPtrArray      *anchors,
                                                  gint64          now,
                                                  GError        **error);

G_END_DECLS
