/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A message for people: a 403 names the missing role and the scope (from ARM's
 * AuthorizationFailed message), other service errors keep their own message.
 * Returns: (transfer full) */
char *cb_error_text (const GError *error);

G_END_DECLS
