/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Which of Azure Device Registry's two certificate-management models a namespace uses. The
 * ADR client finds out when it reads the namespace and speaks that model from then on; nothing
 * above core branches on api-versions (docs/DESIGN.md, "Two ADR models"). */

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  CB_ADR_MODEL_UNKNOWN,
  /* api-version 2026-03-01-preview: credentials/default, one policy per credential with its
   * issuing CA inside, revokeIssuer, activateBringYourOwnRoot, device revoke, synchronize. */
  CB_ADR_MODEL_CREDENTIAL,
  /* api-version 2026-11-01: certificateAuthorities (a root, up to three ICAs), a certificate
   * policy under an ICA, activate, revokeAndRotate, hubs and DPS linked as endpoints. */
  CB_ADR_MODEL_CERTIFICATE_AUTHORITIES,
} CbAdrModel;

/* The api-versions of each model. */
#define CB_ADR_API_VERSION_CREDENTIAL              "2026-03-01-preview"
#define CB_ADR_API_VERSION_CERTIFICATE_AUTHORITIES "2026-11-01"
/* Registry devices' authentication profiles (revokeCertificates) are in this preview only. */
#define CB_ADR_API_VERSION_AUTHENTICATION_PROFILES "2026-11-02-preview"

/* At most this many intermediate CAs per namespace [Learn, excerpt]. */
#define CB_ADR_MAX_INTERMEDIATE_CAS 3

G_END_DECLS
