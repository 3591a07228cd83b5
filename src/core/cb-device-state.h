/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A device's effective state: one answer from every signal the service gives, used by the
 * device list and its filters, the fleet groups and counts, Diagnostics and the dialogs.
 * The order is the precedence: the first state whose rule matches wins. */
typedef enum
{
  CB_DEVICE_STATE_REVOKED,          /* the device's certificates were revoked */
  CB_DEVICE_STATE_ISSUER_REVOKED,   /* its certificate predates its policy's issuer revoke */
  CB_DEVICE_STATE_DISABLED,
  CB_DEVICE_STATE_EXPIRED,
  CB_DEVICE_STATE_REFUSED,          /* the hub refused its last attempt (sandbox report) */
  CB_DEVICE_STATE_RENEWAL_DUE,
  CB_DEVICE_STATE_HEALTHY,
  CB_DEVICE_STATE_NOT_REPORTING,    /* the twin reports no certificate dates */
  CB_DEVICE_STATE_UNKNOWN,          /* valid dates, but revocations could not be read */
  CB_DEVICE_N_STATES
} CbDeviceState;

/* The issuing CA of the certificate the device holds, where the chain is at hand. */
typedef enum
{
  CB_DEVICE_ISSUER_UNKNOWN,
  CB_DEVICE_ISSUER_CURRENT,
  CB_DEVICE_ISSUER_REPLACED,        /* no policy uses it now: rotated or deleted */
} CbDeviceIssuer;

/* What the service says about revocations, from the activity log (real Azure: Azure Monitor,
 * Succeeded ".../devices/revoke/action" and ".../policies/revokeIssuer/action" events). */
typedef struct _CbRevocations CbRevocations;

CbRevocations *cb_revocations_new              (void);
void           cb_revocations_free             (CbRevocations *self);
/* Keeps the latest time per device. */
void           cb_revocations_add_device       (CbRevocations *self,
                                                const char    *device_id,
                                                gint64         when);
/* 0 when the device was never revoked. */
gint64         cb_revocations_get_device       (const CbRevocations *self,
                                                const char          *device_id);
/* Sorted device ids, for stable queries. Returns: (transfer container) */
GPtrArray     *cb_revocations_list_devices     (const CbRevocations *self);
void           cb_revocations_add_issuer       (CbRevocations *self,
                                                const char    *policy_name,
                                                gint64         when);
gint64         cb_revocations_get_issuer       (const CbRevocations *self,
                                                const char          *policy_name);
/* The certificate-authority model: an ICA's revokeAndRotate revokes the issuer of every policy
 * under it. */
void           cb_revocations_add_certificate_authority (CbRevocations       *self,
                                                         const char          *ca_name,
                                                         gint64               when);
gint64         cb_revocations_get_certificate_authority (const CbRevocations *self,
                                                         const char          *ca_name);
/* Collects the Succeeded revoke events (CbActivityEvent) on resources under namespace_id
 * (NULL: any namespace). */
void           cb_revocations_add_events       (CbRevocations *self,
                                                GPtrArray     *events,
                                                const char    *namespace_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbRevocations, cb_revocations_free)

/* What is known about the fleet as a whole. */
typedef struct
{
  gint64   now;                 /* the service's clock */
  double   renewal_fraction;
  guint    validity_days;       /* the policy's leaf lifetime (query cut-off only) */
  gboolean revocations_known;   /* FALSE: the activity log could not be read */
  const CbRevocations *revocations;
  /* The point before which the policy's certificates come from a revoked issuer: the current
   * issuing CA's validityNotBefore once the activity log shows a revokeIssuer; 0: none. */
  gint64   issuer_rotated_at;
} CbDeviceStateContext;

/* What is known about one device. */
typedef struct
{
  gboolean        has_dates;    /* properties.reported.certificate.validFrom/validUntil */
  gint64          valid_from;
  gint64          valid_until;
  gboolean        disabled;     /* hub identity status (or ADR enabled = false) */
  gint64          last_activity;        /* twin lastActivityTime, 0 unknown */
  gint64          revoked_at;           /* 0 none: the device's last revoke */
  CbDeviceIssuer  issuer;               /* from the chain, where it is at hand */
  /* The chain at hand stops short of a root (a device certificate alone, say): the leaf's
   * dates cannot make it healthy. FALSE where no chain is at hand (a twin). */
  gboolean        chain_incomplete;
  /* Sandbox-only refinement: the hub's last refusal, after its last acceptance. */
  gboolean        refused;
  const char     *refused_verdict;
  const char     *refused_reason;
} CbDeviceSignals;

const char    *cb_device_state_to_label        (CbDeviceState state);
/* The state name in reports and logs: "revoked", "issuer-revoked", ... */
const char    *cb_device_state_to_string       (CbDeviceState state);

/* Fills the per-device signals the context knows (revoked_at from its revocations). */
void           cb_device_signals_init_from_twin (CbDeviceSignals            *signals,
                                                 const CbDeviceStateContext *context,
                                                 const char                 *device_id,
                                                 const char                 *status,
                                                 const char                 *valid_from,
                                                 const char                 *valid_until,
                                                 const char                 *last_activity);

/* reason: (out) (optional): a sentence saying why, translated. */
CbDeviceState  cb_device_state_evaluate        (const CbDeviceStateContext *context,
                                                const CbDeviceSignals      *signals,
                                                char                      **reason);

/* Whether a revoke would still take something from the device. */
gboolean       cb_device_state_can_revoke      (CbDeviceState state);

/* The hub-query WHERE condition (without the keyword) of the twins evaluate() puts in state
 * when no sandbox refinement applies. REFUSED matches nothing; HEALTHY matches nothing while
 * revocations are not known, UNKNOWN nothing once they are. Returns: (transfer full) */
char          *cb_device_state_build_condition (CbDeviceState               state,
                                                const CbDeviceStateContext *context);
/* Twins holding a certificate that works now (or would, were the device enabled): what an
 * issuer revoke or a CA removal takes away. Returns: (transfer full) */
char          *cb_device_state_build_live_condition (const CbDeviceStateContext *context);

G_END_DECLS
