/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* CbTlsLazyDatabase: the system trust store, loaded once per process on first use, as the
 * process's default GTlsDatabase. See cb-tls-lazy-database.c for why. */

#include <gio/gio.h>

G_BEGIN_DECLS

#define CB_TYPE_TLS_LAZY_DATABASE (cb_tls_lazy_database_get_type ())
G_DECLARE_FINAL_TYPE (CbTlsLazyDatabase, cb_tls_lazy_database, CB, TLS_LAZY_DATABASE, GTlsDatabase)

/* Makes a CbTlsLazyDatabase the default database of the TLS backend, once per process (later
 * calls do nothing). Verification against the system store is unchanged; only when the store
 * is read changes. */
void          cb_tls_lazy_database_install            (void);
/* Whether this process has read the system trust store yet (for tests and benchmarks). */
gboolean      cb_tls_lazy_database_system_loaded      (void);

G_END_DECLS
