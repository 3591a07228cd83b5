/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Codecs: twin property documents as IoT Hub keeps them: deep copies, $metadata with
 * $lastUpdated (and $lastUpdatedVersion), merge patches, and the rules for property names. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* json_node_copy() shares objects and arrays; stored twin state must not. strip_nulls drops
 * nulls inside a new object, as the hub does when a patch adds one. */
JsonNode     *cb_sb_twin_deep_copy                (JsonNode   *node,
                                                   gboolean    strip_nulls);
JsonObject   *cb_sb_twin_copy_object              (JsonObject *obj);
/* {"$lastUpdated": stamp, "$lastUpdatedVersion": version (left out when version < 0)} */
JsonObject   *cb_sb_twin_leaf_metadata            (const char *stamp,
                                                   gint64      version);
/* $metadata for a value just written: every object level and every leaf. */
JsonObject   *cb_sb_twin_metadata_for             (JsonNode   *value,
                                                   const char *stamp,
                                                   gint64      version);
/* Merges patch into target (null deletes, objects merge, anything else replaces); meta (may
 * be NULL, for tags) follows the changes. */
void          cb_sb_twin_merge_patch              (JsonObject *target,
                                                   JsonObject *meta,
                                                   JsonObject *patch,
                                                   const char *stamp,
                                                   gint64      version);
/* Property names: no '$' at the start, no '.', no space, no control characters; at most 10
 * levels. where names the document in the error. */
gboolean      cb_sb_twin_validate_properties      (JsonObject  *obj,
                                                   const char  *where,
                                                   guint        depth,
                                                   GError     **error);
/* A copy of props with "$metadata" and "$version", as a twin shows them. */
JsonObject   *cb_sb_twin_properties_with_metadata (JsonObject *props,
                                                   JsonObject *meta,
                                                   gint64      version);

G_END_DECLS
