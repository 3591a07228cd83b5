/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The demo seed (cb-sandbox-seed.c; cb_sandbox_seed_demo is in cb-sandbox.h): what the fleet
 * seed shares with it. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The reported-properties patch both seeds write: {"certificate": {"validFrom",
 * "validUntil"}}, issued at the whole minute before issued_at (unix seconds), for lifetime
 * seconds. */
JsonObject *cb_sandbox_seed_certificate_patch (gint64 issued_at,
                                               gint64 lifetime);

G_END_DECLS
