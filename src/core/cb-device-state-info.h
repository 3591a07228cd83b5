/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-context.h"
#include "cb-device-state.h"

G_BEGIN_DECLS

/* What the effective state of the rows is judged with (see cb-device-state.h): the fleet-wide
 * signals for one policy, read from the service. Reference counted; read-only once loaded. */
typedef struct
{
  CbDeviceStateContext  context;      /* context.revocations points at revocations */
  CbRevocations        *revocations;
  char                 *policy;       /* the policy the rules apply for, NULL: none */
  GError               *error;        /* why revocations are unknown, NULL when known */
} CbDeviceStateInfo;

/* Fresh signals: no revocation known, and revocations_known FALSE (so nothing is healthy). */
CbDeviceStateInfo *cb_device_state_info_new      (gint64              now,
                                                  double              renewal_fraction);
CbDeviceStateInfo *cb_device_state_info_ref      (CbDeviceStateInfo  *info);
void               cb_device_state_info_unref    (CbDeviceStateInfo  *info);
/* Reads the policies (the named one, else the first: its leaf lifetime and issuing CA) and
 * 90 days of the activity log (revokes), on the service's clock. Never fails: what could not
 * be read is left unknown. */
void               cb_device_state_info_load_async  (CbContext           *context,
                                                     const char          *policy,
                                                     double               renewal_fraction,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
CbDeviceStateInfo *cb_device_state_info_load_finish (GAsyncResult        *result,
                                                     GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbDeviceStateInfo, cb_device_state_info_unref)

G_END_DECLS
