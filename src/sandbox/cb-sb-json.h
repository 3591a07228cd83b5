/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Codecs: the JSON helpers every sandbox surface and table uses (json-glib only). */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* name: value, or name: null when value is NULL. */
void          cb_sb_json_add_string       (JsonBuilder *builder,
                                           const char  *name,
                                           const char  *value);
/* name: value, left out when value is NULL. */
void          cb_sb_json_add_string_opt   (JsonBuilder *builder,
                                           const char  *name,
                                           const char  *value);
/* The member's string, or NULL when obj is NULL, the member is missing or not a string. */
const char   *cb_sb_json_member_string    (JsonObject  *obj,
                                           const char  *name);
/* The member's object, or NULL when obj is NULL, the member is missing or not an object. */
JsonObject   *cb_sb_json_member_object    (JsonObject  *obj,
                                           const char  *name);
/* A stored JSON text as an object (a new empty one when text is NULL or not an object). */
JsonObject   *cb_sb_json_object_from_text (const char  *text);
/* An object as compact JSON text, to store. */
char         *cb_sb_json_object_to_text   (JsonObject  *obj);

G_END_DECLS
