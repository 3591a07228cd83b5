/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: the refusal both DPS APIs (service and device) give a caller (cb-sb-routes-dps-reply.c). */

#include "cb-sb-exchange.h"

G_BEGIN_DECLS

/* 401 401002 "Unauthorized: <reason>", as both APIs refuse a caller. Returns FALSE. */
gboolean      cb_sb_dps_reply_unauthorized     (CbSbRequest *req,
                                                const char  *reason);

G_END_DECLS
