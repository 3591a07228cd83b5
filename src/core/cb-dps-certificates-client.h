/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-adr-client.h"
#include "cb-hub-certificate.h"

G_BEGIN_DECLS

/* The DPS instance's signing CA certificates through ARM (Microsoft.Devices/
 * provisioningServices/{dps}/certificates, CB_DPS_ARM_API_VERSION): the CAs X.509 enrollment
 * groups name, uploaded and proven with DPS's proof of possession (a verification code, then a
 * certificate with that code as its CN signed by the CA's key). Calls of the ADR client, on its
 * ARM engine and profile (subscription, resource group, DPS name). A certificate is a
 * CbHubCertificate: Microsoft.Devices gives hub and DPS certificates the same shape. Every
 * change of an existing certificate takes its etag (If-Match), which each answer renews. */

#define CB_DPS_ARM_API_VERSION "2026-08-01"

void              cb_adr_client_list_dps_certificates_async   (CbAdrClient         *self,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
/* Returns: (transfer full) (element-type CbHubCertificate) */
GPtrArray        *cb_adr_client_list_dps_certificates_finish  (CbAdrClient   *self,
                                                               GAsyncResult  *result,
                                                               GError       **error);
/* Uploads pem (a certificate, PEM) as name; etag NULL for a new one. It starts unverified. */
void              cb_adr_client_upload_dps_certificate_async  (CbAdrClient         *self,
                                                               const char          *name,
                                                               const char          *pem,
                                                               const char          *etag,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
void              cb_adr_client_get_dps_certificate_async     (CbAdrClient         *self,
                                                               const char          *name,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
/* The proof: verification_pem is a certificate whose CN is the verification code, signed by
 * the CA's key. */
void              cb_adr_client_verify_dps_certificate_async  (CbAdrClient         *self,
                                                               const char          *name,
                                                               const char          *etag,
                                                               const char          *verification_pem,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
/* Finishes upload, get and verify. Returns: (transfer full): the certificate as it is now */
CbHubCertificate *cb_adr_client_dps_certificate_finish        (CbAdrClient   *self,
                                                               GAsyncResult  *result,
                                                               GError       **error);

/* A verification code, and the certificate's etag after it was made. */
typedef struct
{
  char *code;
  char *etag;
} CbDpsVerificationCode;

void              cb_dps_verification_code_free               (CbDpsVerificationCode *code);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbDpsVerificationCode, cb_dps_verification_code_free)

void              cb_adr_client_generate_dps_verification_code_async (CbAdrClient         *self,
                                                                      const char          *name,
                                                                      const char          *etag,
                                                                      GCancellable        *cancellable,
                                                                      GAsyncReadyCallback  callback,
                                                                      gpointer             user_data);
CbDpsVerificationCode *cb_adr_client_generate_dps_verification_code_finish (CbAdrClient   *self,
                                                                            GAsyncResult  *result,
                                                                            GError       **error);

void              cb_adr_client_delete_dps_certificate_async  (CbAdrClient         *self,
                                                               const char          *name,
                                                               const char          *etag,
                                                               GCancellable        *cancellable,
                                                               GAsyncReadyCallback  callback,
                                                               gpointer             user_data);
gboolean          cb_adr_client_delete_dps_certificate_finish (CbAdrClient   *self,
                                                               GAsyncResult  *result,
                                                               GError       **error);

G_END_DECLS
