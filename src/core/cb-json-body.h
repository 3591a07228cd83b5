/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Request bodies for the JSON APIs, written member by member as paths. A path names nested
 * objects separated by '/' ("properties/certificate/validityPeriodInDays"); the objects on the
 * way are made when missing, so one body gathers several paths:
 *
 *   g_autoptr(JsonNode) body = cb_json_body_new ();
 *   cb_json_body_set_string (body, "location", location);
 *   cb_json_body_set_int (body, "properties/certificate/validityPeriodInDays", days);
 *
 * ARM names cannot hold '/', so a path built from a resource name stays one member. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Returns: (transfer full): an empty object */
JsonNode *cb_json_body_new         (void);

/* value: (transfer full) (nullable): NULL sets JSON null */
void      cb_json_body_set_node    (JsonNode   *body,
                                    const char *path,
                                    JsonNode   *value);
/* value: (nullable): NULL sets JSON null */
void      cb_json_body_set_string  (JsonNode   *body,
                                    const char *path,
                                    const char *value);
void      cb_json_body_set_int     (JsonNode   *body,
                                    const char *path,
                                    gint64      value);
void      cb_json_body_set_boolean (JsonNode   *body,
                                    const char *path,
                                    gboolean    value);
/* An empty object at path, kept when later paths add members below it. */
void      cb_json_body_set_object  (JsonNode   *body,
                                    const char *path);

/* Returns: (transfer full): a body holding one member, for the common one-path request */
JsonNode *cb_json_body_new_string  (const char *path,
                                    const char *value);
JsonNode *cb_json_body_new_int     (const char *path,
                                    gint64      value);
JsonNode *cb_json_body_new_boolean (const char *path,
                                    gboolean    value);

G_END_DECLS
