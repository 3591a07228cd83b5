/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "cb-http.h"
#include "cb-profile.h"
#include "cb-x509.h"

G_BEGIN_DECLS

/* The local sandbox's own endpoints (/sandbox/...), which Azure has no equivalent of. Core
 * owns them like every other service call, so the app and the CLI never build sandbox URLs. */

/* A sandbox profile from the sandbox's /sandbox/info document. With the demo seed in place the
 * enrollment group key is returned through out_group_key (for the secret store: it is never
 * put into the profile). */
CbProfile    *cb_profile_new_from_sandbox_info     (JsonObject          *info,
                                                    char               **out_group_key);

typedef struct
{
  gboolean  accepted;
  char     *verdict;   /* "accepted", "revoked-identifier", ... (see docs/sandbox.md) */
  char     *reason;    /* a sentence for people */
} CbChainVerdict;

void          cb_chain_verdict_free                (CbChainVerdict      *verdict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbChainVerdict, cb_chain_verdict_free)

/* "Would the hub accept this chain (CbCertificate, leaf first) for this device now?" asked of
 * the sandbox that profile points at. G_IO_ERROR_NOT_SUPPORTED for a profile that is not a
 * sandbox. */
void            cb_sandbox_client_check_chain_async   (CbHttpClient        *http,
                                                       CbProfile           *profile,
                                                       const char          *device_id,
                                                       GPtrArray           *chain,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
CbChainVerdict *cb_sandbox_client_check_chain_finish  (GAsyncResult        *result,
                                                       GError             **error);

/* The namespace's root CA, served by the sandbox (Azure hands it out only in DPS chains). */
void            cb_sandbox_client_get_root_async      (CbHttpClient        *http,
                                                       CbProfile           *profile,
                                                       const char          *namespace_name,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
CbCertificate  *cb_sandbox_client_get_root_finish     (GAsyncResult        *result,
                                                       GError             **error);

/* What the sandbox hub's device endpoint saw of a device (GET
 * /sandbox/hubs/{hub}/devices/{id}/connection): its connection state and its last connection
 * attempt with the hub's verdict. Azure has no such endpoint; on Azure the device's own diag
 * and the twin's connectionState are all there is. */
/* One connection attempt the hub's device endpoint recorded. */
typedef struct
{
  gint64    time;
  gboolean  accepted;
  char     *verdict;            /* "accepted", "revoked-identifier", "expired", ... */
  char     *reason;             /* a sentence for people, NULL when accepted */
} CbHubConnectionAttempt;

void          cb_hub_connection_attempt_free       (CbHubConnectionAttempt *attempt);

typedef struct
{
  char     *connection_state;   /* "Connected" / "Disconnected" */
  gint64    last_activity;      /* unix seconds, 0: never */
  gboolean  has_attempt;        /* FALSE: the device never tried to connect */
  gint64    attempt_time;
  gboolean  accepted;
  char     *verdict;            /* "accepted", "revoked-identifier", "expired", ... */
  char     *reason;             /* a sentence for people */
  GPtrArray *attempts;          /* CbHubConnectionAttempt, newest first (the hub keeps ten) */
} CbHubConnectionReport;

void          cb_hub_connection_report_free        (CbHubConnectionReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbHubConnectionReport, cb_hub_connection_report_free)

void                   cb_sandbox_client_get_connection_async  (CbHttpClient        *http,
                                                                CbProfile           *profile,
                                                                const char          *device_id,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
CbHubConnectionReport *cb_sandbox_client_get_connection_finish (GAsyncResult        *result,
                                                                GError             **error);

G_END_DECLS
