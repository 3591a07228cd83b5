/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "cb-context.h"

G_BEGIN_DECLS

/**
 * CbDpsSigningCas:
 *
 * The "Signing CAs" of the connection's provisioning service, as X.509 enrollment groups name
 * them: each with its state (Unverified or Verified, and when it expires), an Upload button (a
 * PEM or DER certificate file; it is named after its common name) and, for an unverified one,
 * Verify, which opens the proof-of-possession dialog (CbDpsCaVerifyDialog). Errors say what
 * went wrong in words; nothing is lost. "changed" is emitted after an upload or a verification.
 */
#define CB_TYPE_DPS_SIGNING_CAS (cb_dps_signing_cas_get_type ())
G_DECLARE_FINAL_TYPE (CbDpsSigningCas, cb_dps_signing_cas, CB, DPS_SIGNING_CAS, AdwBin)

CbDpsSigningCas *cb_dps_signing_cas_new          (CbContext       *context);
void             cb_dps_signing_cas_reload       (CbDpsSigningCas *self);

/* For tests and the enrollment group dialog: the certificates as last read (element-type
 * CbHubCertificate; NULL until read), the error shown, whether it runs, the upload of a file
 * (in place of the file chooser) and the verify dialog of a CA (NULL when there is none). */
GPtrArray       *cb_dps_signing_cas_get_certificates (CbDpsSigningCas *self);
const char      *cb_dps_signing_cas_get_error    (CbDpsSigningCas *self);
gboolean         cb_dps_signing_cas_get_busy     (CbDpsSigningCas *self);
void             cb_dps_signing_cas_upload_file  (CbDpsSigningCas *self,
                                                  GFile           *file);
GtkWindow       *cb_dps_signing_cas_open_verify  (CbDpsSigningCas *self,
                                                  const char      *name);

G_END_DECLS
