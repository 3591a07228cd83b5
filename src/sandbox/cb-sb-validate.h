/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Codecs: the values IoT Hub and DPS bodies carry, checked the way the services check them
 * (device and registration ids, symmetric keys, thumbprints, members that must be strings). */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A symmetric key: base64 of 16 to 64 bytes. */
gboolean      cb_sb_key_is_valid               (const char *key);
/* Hub device ids: up to 128 ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ' */
gboolean      cb_sb_hub_device_id_is_valid     (const char *id);
/* A certificate thumbprint: 40 or 64 hex digits. */
gboolean      cb_sb_thumbprint_is_valid        (const char *thumbprint);
/* DPS registration and enrollment ids: up to 128 letters, digits and - . _ :, the last one a
 * letter, a digit or '-'. */
gboolean      cb_sb_registration_id_is_valid   (const char *id);
/* The member is present and neither null nor a string. */
gboolean      cb_sb_json_member_not_string     (JsonObject *obj,
                                                const char *name);

G_END_DECLS
