/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "cb-hub-query-error.h"

G_BEGIN_DECLS

/* The IoT Hub device query language, as far as the sandbox serves it: parsing a query into a
 * tree, evaluating its WHERE clause against a twin (a JsonObject as GET /twins returns it) and
 * projecting or grouping the matches. Pure code: no I/O, no sandbox state.
 *
 *   SELECT [TOP n] * | item [, item ...] FROM devices [WHERE cond] [GROUP BY path [, path ...]]
 *   item: path [AS name] | COUNT() [AS name]
 *   cond: cond OR cond | cond AND cond | NOT cond | ( cond ) | IS_DEFINED(path)
 *       | STARTSWITH(path, 'text') | ENDSWITH(path, 'text')
 *       | operand (= | != | <> | < | > | <= | >=) operand
 *       | operand IN [literal, ...] | operand NIN [literal, ...]
 *   operand: path | 'string' | "string" | number | true | false | null
 *   path: name(.name | ['name'])*
 *
 * Comparisons are defined only between primitives of the same type (strings compare by code
 * point, so ISO-8601 timestamps in one fixed format compare as dates); anything else is
 * undefined, and an undefined condition does not match (NOT undefined is undefined). */

typedef struct _CbHubQuery CbHubQuery;
typedef struct _CbHubQueryGroups CbHubQueryGroups;

/* Syntax errors read "Syntax error at line L, column C near 'TOKEN': <what was expected>". */
CbHubQuery       *cb_hub_query_parse             (const char        *text,
                                                  GError           **error);
void              cb_hub_query_free              (CbHubQuery        *self);

/* SELECT *: results are whole twins (x-ms-item-type: twin); otherwise raw objects. */
gboolean          cb_hub_query_selects_all       (CbHubQuery        *self);
/* COUNT() or GROUP BY: results come from cb_hub_query_groups_*, not from project(). */
gboolean          cb_hub_query_is_aggregate      (CbHubQuery        *self);
/* How many GROUP BY paths. */
guint             cb_hub_query_get_group_by_length (CbHubQuery     *self);
/* The TOP limit, or -1. */
gint64            cb_hub_query_get_top           (CbHubQuery        *self);

gboolean          cb_hub_query_matches           (CbHubQuery        *self,
                                                  JsonObject        *twin);
/* The result row of a matching twin for a non-aggregate query (transfer full; it may share
 * members with twin, so do not change twin while the row is in use). */
JsonNode         *cb_hub_query_project           (CbHubQuery        *self,
                                                  JsonObject        *twin);

/* Aggregates: add every matching twin, then finish. Groups come out in the order their first
 * member was added; TOP applies to the groups. */
CbHubQueryGroups *cb_hub_query_groups_new        (CbHubQuery        *self);
void              cb_hub_query_groups_add        (CbHubQueryGroups  *groups,
                                                  JsonObject        *twin);
/* The same for count twins counted elsewhere (SQL) whose GROUP BY values are values
 * (JsonNode, NULL for undefined, one per GROUP BY path). */
void              cb_hub_query_groups_add_counted (CbHubQueryGroups *groups,
                                                   GPtrArray        *values,
                                                   gint64            count);
JsonArray        *cb_hub_query_groups_finish     (CbHubQueryGroups  *groups);
void              cb_hub_query_groups_free       (CbHubQueryGroups  *groups);

/* Convenience: filter, project or group, and apply TOP over a whole list of twins
 * (JsonObject elements). Returns a new array. */
JsonArray        *cb_hub_query_run               (CbHubQuery        *self,
                                                  GPtrArray         *twins);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbHubQuery, cb_hub_query_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbHubQueryGroups, cb_hub_query_groups_free)

G_END_DECLS
