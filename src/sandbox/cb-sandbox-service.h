/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "cb-context.h"
#include "cb-local-service.h"
#include "cb-sandbox.h"

G_BEGIN_DECLS

/* A CbSandbox as the context's local service (cb-local-service.h). */
#define CB_TYPE_SANDBOX_SERVICE (cb_sandbox_service_get_type ())
G_DECLARE_FINAL_TYPE (CbSandboxService, cb_sandbox_service, CB, SANDBOX_SERVICE, GObject)

CbLocalService *cb_sandbox_service_new         (CbSandbox    *sandbox);
CbSandbox      *cb_sandbox_service_get_sandbox (CbSandboxService *self);
/* A CbLocalServiceStartFunc: a sandbox on @dir (any free port, device codes that approve
 * themselves), started in a thread of its own and seeded with the demo. */
CbLocalService *cb_sandbox_service_start       (const char   *dir,
                                                GError      **error);

/* The app's context: data under $XDG_DATA_HOME/certbench, profiles in
 * cb_profile_list_default_path(), secrets in the keyring, the sandbox started on first use.
 * Call cb_context_start(). */
CbContext      *cb_context_new                 (void);
/* For tests and special setups: every argument may be NULL for the default. A @sandbox that
 * is already running is used as is (not started, not stopped); a @journal_path or
 * @profiles_path in a temp dir keeps tests away from the user's files. */
CbContext      *cb_context_new_full            (CbSandbox           *sandbox,
                                                CbSecrets           *secrets,
                                                CbPortMonitor       *port_monitor,
                                                const char          *data_dir,
                                                const char          *profiles_path,
                                                const char          *journal_path);
/* The sandbox the context's sandbox profile runs on, NULL until it runs. */
CbSandbox      *cb_context_get_sandbox         (CbContext           *self);

G_END_DECLS
