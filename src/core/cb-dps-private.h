/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "cb-dps-registration.h"

G_BEGIN_DECLS

/* Shared by the DPS files (cb-dps-registration.c, cb-dps-client.c, cb-dps-service-client.c). */

/* The DPS API version of the device and service calls. */
#define CB_DPS_API_VERSION "2025-07-01-preview"

/* How long a SAS token the DPS clients make is valid. */
#define CB_DPS_SAS_LIFETIME_SECS 3600

/* The string member of object, or NULL when absent or not a string. */
const char *cb_dps_json_get_string (JsonObject *object,
                                    const char *member);

/* For the client: a registration whose body did not name its id gets the one it asked for. */
void        cb_dps_registration_set_registration_id (CbDpsRegistration *self,
                                                     const char        *registration_id);

G_END_DECLS
