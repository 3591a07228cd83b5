/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Infrastructure: the sandbox's TLS identity (its local CA and server certificate). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Makes (first start) or finds <data>/sandbox-ca.pem and <data>/tls/server.{pem,key}; sets
 * self->ca_file and returns the server's certificate chain and key files. */
gboolean      cb_sb_ensure_tls_identity   (CbSandbox   *self,
                                           char       **out_cert_file,
                                           char       **out_key_file,
                                           GError     **error);

G_END_DECLS
