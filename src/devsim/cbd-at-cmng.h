/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated modem's credential storage and its %CMNG command (cbd-at-cmng.c). */
#pragma once

#include <glib.h>

#include "cbd-at-context.h"

G_BEGIN_DECLS

#define CBD_AT_CRED_ROOT_CA      0
#define CBD_AT_CRED_CLIENT_CERT  1
#define CBD_AT_CRED_PRIVATE_KEY  2
#define CBD_AT_CRED_PSK          3
#define CBD_AT_CRED_PSK_ID       4
#define CBD_AT_CRED_PUBLIC_KEY   5

/* +CME ERROR codes of the credential commands, as the reference numbers them. */
#define CBD_AT_CME_NOT_FOUND        513
#define CBD_AT_CME_NO_ACCESS        514
#define CBD_AT_CME_MEMORY_FULL      515
#define CBD_AT_CME_ACTIVE_STATE     518
#define CBD_AT_CME_ALREADY_EXISTS   519
#define CBD_AT_CME_KEYGEN_FAILED    523

/* A file of the state directory, NULL when absent. */
GBytes   *cbd_at_storage_load (CbdStorage   *storage,
                               const char   *name);
gboolean  cbd_at_cred_exists  (CbdStorage   *storage,
                               guint32       sec_tag,
                               int           type);
/* Stores content as given (0 or a +CME ERROR code). */
int       cbd_at_cred_store   (CbdStorage   *storage,
                               guint32       sec_tag,
                               int           type,
                               const guint8 *content,
                               gsize         len);

int       cbd_at_cmng_handle  (CbdAtContext       *ctx,
                               const CbdAtCommand *cmd);

G_END_DECLS
