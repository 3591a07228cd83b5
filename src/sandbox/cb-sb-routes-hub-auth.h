/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Surfaces: what the route files of IoT Hub's service REST surface share
 * (cb-sb-routes-hub-auth.c): the hub a request names and its authorization by shared access
 * policy or bearer token. Below the route files, so they all call down to it. */

#include "cb-sb-request.h"
#include "cb-sb-sas.h"

G_BEGIN_DECLS

#define CB_SB_HUB_MAX_PAGE_SIZE 1000

/* The hub a request addresses. */
typedef struct
{
  char *hub;
  char *host_name;
} CbSbHubContext;

void          cb_sb_hub_context_clear          (CbSbHubContext *ctx);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CbSbHubContext, cb_sb_hub_context_clear)

/* The common start of every hub request: the hub exists, the caller may do this (one of the
 * accepted rights; right_name is what a refusal names), the api-version is one the hub
 * serves. Replies and returns FALSE otherwise. */
gboolean      cb_sb_hub_begin_request          (CbSbRequest    *req,
                                                CbSbHubContext *ctx,
                                                guint           accepted,
                                                const char     *right_name);
void          cb_sb_hub_reply_device_not_found (CbSbRequest    *req,
                                                CbSbHubContext *ctx,
                                                const char     *device_id);

G_END_DECLS
