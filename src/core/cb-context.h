/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-adr-client.h"
#include "cb-dps-client.h"
#include "cb-context-flags.h"
#include "cb-context-state.h"
#include "cb-dps-service-client.h"
#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-hub-client.h"
#include "cb-journal.h"
#include "cb-local-service.h"
#include "cb-port-monitor.h"
#include "cb-profile.h"
#include "cb-secrets.h"

G_BEGIN_DECLS

/**
 * CbContext:
 *
 * The services the window and the pages share: the active profile and its clients, the
 * secret store, the journal, the port monitor and, for the sandbox profile, the local service
 * (cb-local-service.h: the sandbox, run inside this process). Switching profile replaces the
 * clients and the cancellable and notifies "profile", then "state" as the new profile comes
 * up; pages reload on those notifications. No GTK in here.
 */
#define CB_TYPE_CONTEXT (cb_context_get_type ())
G_DECLARE_FINAL_TYPE (CbContext, cb_context, CB, CONTEXT, GObject)

/* Data under @data_dir ($XDG_DATA_HOME/certbench when NULL), profiles in @profiles_path
 * (cb_profile_list_default_path()), the journal at @journal_path, secrets in @secrets (the
 * keyring when NULL), ports from @port_monitor (udev when NULL). The sandbox profile runs on
 * @sandbox when given (already running: used as is, not started, not stopped), else on one
 * that @start_sandbox starts in a worker thread (NULL: the sandbox profile reports an error).
 * The app's and the CLI's constructors with the real sandbox are in cb-sandbox-service.h.
 * Call cb_context_start(). */
CbContext      *cb_context_new_for_service     (CbLocalService          *sandbox,
                                                CbLocalServiceStartFunc  start_sandbox,
                                                CbSecrets               *secrets,
                                                CbPortMonitor           *port_monitor,
                                                const char              *data_dir,
                                                const char              *profiles_path,
                                                const char              *journal_path);

/* A context for one @profile only (the CLI's, which found its sandbox or profile itself): no
 * profile list, no journal; @local_service is the running sandbox @profile reaches when it runs
 * in this process (the context stops it on shutdown), else NULL. The clients are made and
 * signed in as for any profile (a sandbox profile by a device code its sandbox approves), or
 * as @flags say (a command line: CB_CONTEXT_FLAGS_NO_PORT_MONITOR, _ARM_ON_DEMAND or _NO_ARM,
 * _UNATTENDED). Call cb_context_start(). */
CbContext      *cb_context_new_for_profile     (CbProfile               *profile,
                                                CbLocalService          *local_service,
                                                CbSecrets               *secrets,
                                                CbContextFlags           flags);

/* Brings up the active profile without blocking: the sandbox starts in a thread of its own,
 * then the clients are made and the stored or a device-code sign-in happens. */
void            cb_context_start               (CbContext           *self);
/* The same, but the port monitor's first scan is left to the caller (cb_port_monitor_start on
 * the context's monitor): the app scans the ports after its first frame. */
void            cb_context_start_without_ports (CbContext           *self);

CbContextFlags  cb_context_get_flags           (CbContext           *self);
CbContextState  cb_context_get_state           (CbContext           *self);
/* The reason for CB_CONTEXT_STATE_ERROR, else NULL. */
const GError   *cb_context_get_error           (CbContext           *self);
/* A short human description of the state ("Starting the sandbox…", "Signed in as …"). */
const char     *cb_context_get_status_text     (CbContext           *self);

CbProfile      *cb_context_get_profile         (CbContext           *self);
/* The sandbox profile's local service once it runs, else NULL. */
CbLocalService *cb_context_get_local_service   (CbContext           *self);
CbHttpClient   *cb_context_get_http            (CbContext           *self);
/* The service's time (unix seconds): certificate dates are judged on it. */
gint64          cb_context_get_service_now     (CbContext           *self);
CbSecrets      *cb_context_get_secrets         (CbContext           *self);
CbEntraClient  *cb_context_get_entra           (CbContext           *self);
CbAdrClient    *cb_context_get_adr             (CbContext           *self);
CbHubClient    *cb_context_get_hub             (CbContext           *self);
CbDpsClient    *cb_context_get_dps             (CbContext           *self);
/* The DPS service API (enrollment groups), signed in like the other clients. */
CbDpsServiceClient *cb_context_get_dps_service (CbContext           *self);
CbJournal      *cb_context_get_journal         (CbContext           *self);
CbPortMonitor  *cb_context_get_port_monitor    (CbContext           *self);
/* Cancelled and replaced when the profile changes and on shutdown: pass it to every call. */
GCancellable   *cb_context_get_cancellable     (CbContext           *self);
/* The signed-in user's name, or NULL. */
const char     *cb_context_get_username        (CbContext           *self);
/* Why an Azure profile's sign-in cannot be kept past this session (no keyring, locked...);
 * NULL when it can, and always for the sandbox. */
const char     *cb_context_get_secrets_problem (CbContext           *self);
/* Where the app keeps its data ($XDG_DATA_HOME/certbench unless given). */
const char     *cb_context_get_data_dir        (CbContext           *self);

/* Every known profile: the sandbox first, then the saved Azure profiles (GListModel of
 * CbProfile). */
GListModel     *cb_context_get_profiles        (CbContext           *self);
/* Adds or (same id) replaces an Azure profile and saves the list. */
gboolean        cb_context_save_profile        (CbContext           *self,
                                                CbProfile           *profile,
                                                GError             **error);
gboolean        cb_context_remove_profile      (CbContext           *self,
                                                const char          *profile_id,
                                                GError             **error);
/* The station's enrollment group and credential policy (on the active profile): saved with
 * the profile (Azure) or next to the app's data (sandbox); emits "station-changed". */
gboolean        cb_context_set_station         (CbContext           *self,
                                                const char          *enrollment_group_id,
                                                const char          *credential_policy,
                                                GError             **error);
/* Makes the profile with this id the active one (cancels everything in flight). */
gboolean        cb_context_switch_profile      (CbContext           *self,
                                                const char          *profile_id,
                                                GError             **error);

/* Brings the active profile up again (after an error): new clients, a fresh cancellable. */
void            cb_context_reconnect           (CbContext           *self);

/* Device-code sign-in for the active profile: begin gives the code to show; complete
 * polls until approval, then the state becomes READY. */
void               cb_context_begin_sign_in_async     (CbContext           *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
CbEntraDeviceCode *cb_context_begin_sign_in_finish    (CbContext           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void               cb_context_complete_sign_in_async  (CbContext           *self,
                                                       CbEntraDeviceCode   *code,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean           cb_context_complete_sign_in_finish (CbContext           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
void               cb_context_sign_out_async          (CbContext           *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean           cb_context_sign_out_finish         (CbContext           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* ARM for a context made with CB_CONTEXT_FLAGS_ARM_ON_DEMAND (or _NO_ARM), once it started:
 * signs in (the sandbox by a device code it approves, an Azure profile with its stored token),
 * then makes the ADR, hub (when the profile names one) and DPS service clients, and the state
 * becomes READY; once signed in, later calls succeed at once. Fails with G_IO_ERROR_PERMISSION_DENIED
 * (_NO_ARM), G_IO_ERROR_NOT_SUPPORTED ("the profile has no ARM subscription") or the sign-in's
 * error ("not signed in to ARM (…)"); the other clients keep working without ARM. */
void            cb_context_sign_in_arm_async   (CbContext           *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        cb_context_sign_in_arm_finish  (CbContext           *self,
                                                GAsyncResult        *result,
                                                GError             **error);

/* Stops the in-process sandbox (if this context started it) and cancels everything. */
void            cb_context_shutdown            (CbContext           *self);

G_END_DECLS
