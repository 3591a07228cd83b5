/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-adr-client.h"
#include "cb-arm-engine.h"

G_BEGIN_DECLS

/* For the ARM clients that share the ADR client's engine and profile (hub certificates, activity
 * log). Returns: (transfer none) */
CbArmEngine *cb_adr_client_get_arm_engine (CbAdrClient *self);

G_END_DECLS
