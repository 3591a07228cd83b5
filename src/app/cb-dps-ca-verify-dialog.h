/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"
#include "cb-hub-certificate.h"

G_BEGIN_DECLS

/**
 * CbDpsCaVerifyDialog:
 *
 * Proves possession of a signing CA's key to the provisioning service: asks the service for a
 * verification code (shown, with a copy button), then takes either a verification certificate
 * file the user made (its common name the code, signed by the CA) or the CA's private key file,
 * with which it signs such a certificate here; the key is read for that one signature and never
 * kept. A refusal keeps the dialog open with the reason in words. "verified" is emitted with
 * the certificate as it is now, before the dialog closes.
 */
#define CB_TYPE_DPS_CA_VERIFY_DIALOG (cb_dps_ca_verify_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CbDpsCaVerifyDialog, cb_dps_ca_verify_dialog, CB, DPS_CA_VERIFY_DIALOG,
                      AdwWindow)

CbDpsCaVerifyDialog *cb_dps_ca_verify_dialog_new       (CbContext           *context,
                                                        CbHubCertificate    *certificate);

/* For tests, in place of the file choosers: the code shown (NULL until it came), the error
 * shown, whether it runs, and the two ways to give the proof. */
const char          *cb_dps_ca_verify_dialog_get_code  (CbDpsCaVerifyDialog *self);
const char          *cb_dps_ca_verify_dialog_get_error (CbDpsCaVerifyDialog *self);
gboolean             cb_dps_ca_verify_dialog_get_busy  (CbDpsCaVerifyDialog *self);
void                 cb_dps_ca_verify_dialog_use_certificate_file (CbDpsCaVerifyDialog *self,
                                                                   GFile               *file);
void                 cb_dps_ca_verify_dialog_use_key_file         (CbDpsCaVerifyDialog *self,
                                                                   GFile               *file);

G_END_DECLS
