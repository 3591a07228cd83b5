/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-adr-client.h"

G_BEGIN_DECLS

/* The steps of a policy's retirement, in their order. */
typedef enum
{
  CB_POLICY_RETIREMENT_STEP_NONE,
  CB_POLICY_RETIREMENT_STEP_REVOKE_DEVICE,  /* get_done + 1 of get_total, get_subject */
  CB_POLICY_RETIREMENT_STEP_DELETE_POLICY,
  CB_POLICY_RETIREMENT_STEP_FIND_HUB_CA,
  CB_POLICY_RETIREMENT_STEP_REMOVE_HUB_CA,  /* get_subject: the hub certificate */
  CB_POLICY_RETIREMENT_STEP_DONE,
} CbPolicyRetirementStep;

/* Retiring a credential policy takes several calls in order: revoke the certificates of the
 * devices that hold one (a bring-your-own-root policy cannot go before), delete the policy,
 * then optionally find its issuing CA on the linked hub and remove it there (its certificates
 * stop working at once). "progress" is emitted at each step; "policy-deleted" once the policy
 * is gone, while the hub's CA may still be removed. On failure the step it stopped at stays
 * readable, to say what was and was not done. */
#define CB_TYPE_POLICY_RETIREMENT (cb_policy_retirement_get_type ())
G_DECLARE_FINAL_TYPE (CbPolicyRetirement, cb_policy_retirement, CB, POLICY_RETIREMENT, GObject)

CbPolicyRetirement     *cb_policy_retirement_new                (CbAdrClient         *adr,
                                                                 const char          *policy);
/* Devices (ADR names) whose certificates are revoked first, one by one; NULL for none. */
void                    cb_policy_retirement_set_devices        (CbPolicyRetirement  *self,
                                                                 const char * const  *devices);
void                    cb_policy_retirement_set_remove_hub_ca  (CbPolicyRetirement  *self,
                                                                 gboolean             remove);
gboolean                cb_policy_retirement_get_remove_hub_ca  (CbPolicyRetirement  *self);
const char             *cb_policy_retirement_get_policy         (CbPolicyRetirement  *self);
CbPolicyRetirementStep  cb_policy_retirement_get_step           (CbPolicyRetirement  *self);
/* The device being revoked or the hub certificate being removed, else NULL. */
const char             *cb_policy_retirement_get_subject        (CbPolicyRetirement  *self);
/* Devices revoked so far, of how many. */
guint                   cb_policy_retirement_get_done           (CbPolicyRetirement  *self);
guint                   cb_policy_retirement_get_total          (CbPolicyRetirement  *self);
gboolean                cb_policy_retirement_get_policy_deleted (CbPolicyRetirement  *self);
/* Hub CA certificates of the policy removed (after a run with remove-hub-ca). */
guint                   cb_policy_retirement_get_n_hub_ca_removed (CbPolicyRetirement *self);

/* Runs the steps once; a second run is refused. */
void                    cb_policy_retirement_run_async          (CbPolicyRetirement  *self,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
gboolean                cb_policy_retirement_run_finish         (CbPolicyRetirement  *self,
                                                                 GAsyncResult        *result,
                                                                 GError             **error);

/* The ADR devices assigned to @policy, every page of them: the devices whose certificates
 * must be revoked before a bring-your-own-root policy can go. Returns a GPtrArray of names. */
void                    cb_policy_retirement_list_devices_async (CbAdrClient         *adr,
                                                                 const char          *policy,
                                                                 GCancellable        *cancellable,
                                                                 GAsyncReadyCallback  callback,
                                                                 gpointer             user_data);
GPtrArray              *cb_policy_retirement_list_devices_finish (GAsyncResult       *result,
                                                                  GError            **error);

G_END_DECLS
