/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the hub device endpoint's record of connection attempts (mqtt_attempts): the
 * newest ten per device, accepted or refused, with the verdict and its reason. */

#include <json-glib/json-glib.h>
#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Creates the table. */
gboolean      cb_sb_mqtt_attempts_init         (CbSandbox   *self,
                                                GError     **error);
void          cb_sb_mqtt_attempts_record       (CbSandbox   *self,
                                                const char  *hub,
                                                const char  *device_id,
                                                gboolean     accepted,
                                                const char  *verdict,
                                                const char  *reason);
/* Adds "lastAttempt" (the newest attempt, or null) and "attempts" (newest first) to the
 * object b is building. */
void          cb_sb_mqtt_attempts_add_json     (CbSandbox   *self,
                                                const char  *hub,
                                                const char  *device_id,
                                                JsonBuilder *b);

G_END_DECLS
