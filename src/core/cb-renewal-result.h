/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The hub's certificate renewal result (`$iothub/credentials/res/200`) in both shapes it is
 * documented in: an object `{"correlationId", "certificates": [...]}` (the C# and Java device
 * SDKs' CertificateSigningResponse, Learn, the service guide) or a bare array of the
 * certificates (older azure-sdk-for-c preview code); each certificate base64 DER or PEM, leaf
 * first. */

#include <glib.h>

G_BEGIN_DECLS

/* Returns: (transfer full) (element-type CbCertificate): the chain, leaf first, or NULL with a
 * CB_X509_ERROR (PARSE: not JSON of either shape, or an element is no certificate, naming
 * which; EMPTY: no certificates) or a CB_JSON_LIMIT_ERROR.
 * correlation_id: (out) (optional) (transfer full): the object's correlationId, NULL for the
 * bare array or when absent. */
GPtrArray *cb_renewal_result_parse (const char  *payload,
                                    gsize        len,
                                    char       **correlation_id,
                                    GError     **error);

G_END_DECLS
