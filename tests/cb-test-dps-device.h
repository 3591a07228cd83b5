/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* A device registered the way the sandbox's stable model makes registry devices: an individual
 * enrollment at DPS service api-version 2026-11-01 that names the namespace, the issuing CA
 * and its policy, then a DPS registration with a CSR. */

#include "cb-test-sandbox.h"

G_BEGIN_DECLS

/* dps must exist in the sandbox's topology with id_scope and owner_key, linked to the
 * namespace. Appends what went wrong to report; TRUE when the device is assigned. */
gboolean cb_test_dps_register_stable (CbTestSandbox *ts,
                                      const char    *dps,
                                      const char    *id_scope,
                                      const char    *owner_key,
                                      const char    *registration_id,
                                      const char    *namespace_name,
                                      const char    *ca_name,
                                      const char    *policy_name,
                                      GString       *report);

G_END_DECLS
