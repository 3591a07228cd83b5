/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the signing CA certificates uploaded to a DPS instance (the ARM sub-resource
 * Microsoft.Devices/provisioningServices/{dps}/certificates/{name}, table dps_certificates):
 * the certificate as base64 DER, whether its key's possession was proven, and the verification
 * code handed out for that proof. X.509 enrollment groups name them in caReferences. */

#include "cb-sb-world.h"
#include "cb-x509.h"

G_BEGIN_DECLS

typedef struct
{
  char     *dps;
  char     *name;
  char     *certificate;        /* base64 DER */
  gboolean  verified;
  char     *verification_code;  /* the last one generated, or NULL */
  char     *etag;
  gint64    created;            /* µs since the epoch */
  gint64    updated;
} CbSbDpsCaCert;

void           cb_sb_dps_ca_cert_free   (CbSbDpsCaCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSbDpsCaCert, cb_sb_dps_ca_cert_free)

/* Creates the table. */
gboolean       cb_sb_dps_ca_store_init  (CbSandbox   *self,
                                         GError     **error);
/* An ARM etag as DPS writes them: base64 of 8 bytes, "AAAAAAExpNs=". */
char          *cb_sb_dps_ca_new_etag    (void);

CbSbDpsCaCert *cb_sb_dps_ca_cert_load   (CbSandbox   *self,
                                         const char  *dps,
                                         const char  *name);
/* Every certificate of dps, by name. */
GPtrArray     *cb_sb_dps_ca_cert_list   (CbSandbox   *self,
                                         const char  *dps);
gboolean       cb_sb_dps_ca_cert_save   (CbSandbox     *self,
                                         CbSbDpsCaCert *cert,
                                         GError       **error);
gboolean       cb_sb_dps_ca_cert_delete (CbSandbox   *self,
                                         const char  *dps,
                                         const char  *name,
                                         GError     **error);
/* The certificate itself (transfer full), or NULL when the stored text is not one. */
CbCertificate *cb_sb_dps_ca_cert_parse  (CbSbDpsCaCert *cert);

G_END_DECLS
