/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Compares an ARM response body with the body an example file expects, member for member:
 * the same members and JSON types everywhere, equal values except where an ignore rule
 * names the member's path. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* One member whose value is not compared (its presence and JSON type still are). path is
 * dotted; "*" matches one member name (a map key such as an endpoint's name) and "[]" after
 * a name stands for any element of that array ("value[].id"). scope, when not NULL, limits
 * the rule to one of the scopes the comparison is given: an operationId
 * ("AsyncOperationStatus_Get"), a status ("201") or an example file's name. */
typedef struct
{
  const char *scope;
  const char *path;
  const char *why;
  gboolean    presence;   /* also whether the member is there at all, on either side */
} CbExampleIgnore;

/* Appends one line per difference to report ("properties.subject: expected \"CN=a\", got
 * \"CN=b\""). scopes (NULL-terminated) select the scoped rules. Returns TRUE when equal. */
gboolean cb_test_example_compare (JsonNode              *expected,
                                  JsonNode              *actual,
                                  const CbExampleIgnore *rules,
                                  guint                  n_rules,
                                  const char * const    *scopes,
                                  GString               *report);

/* Whether a rule for scopes names path ("header:location" for a response header); with
 * presence, only the rules that also excuse a missing or extra member count. */
gboolean cb_test_example_ignored (const CbExampleIgnore *rules,
                                  guint                  n_rules,
                                  const char * const    *scopes,
                                  const char            *path,
                                  gboolean               presence);

G_END_DECLS
