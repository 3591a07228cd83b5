/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the /sandbox/info document (cb-sb-info.c). */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* The /sandbox/info document: endpoints, tenant, hubs, DPS instances, principals, demo. Call
 * with the lock held. */
JsonNode     *cb_sb_build_info       (CbSandbox   *self);

G_END_DECLS
