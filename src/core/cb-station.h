/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-context.h"
#include "cb-provisioning-run.h"

G_BEGIN_DECLS

/* What stands between the station and its next run, as the services see it now. */
typedef enum
{
  CB_STATION_OK,
  CB_STATION_NO_ENROLLMENT,        /* the profile names no enrollment group */
  CB_STATION_ENROLLMENT_MISSING,   /* DPS has no such group (deleted) */
  CB_STATION_ENROLLMENT_DISABLED,  /* the group is disabled */
  CB_STATION_NO_POLICY,            /* the group names no credential policy */
  CB_STATION_POLICY_MISSING,       /* the group's policy does not exist (deleted) */
  CB_STATION_POLICY_CANNOT_ISSUE,  /* it exists but issues nothing yet (own root not active) */
} CbStationProblem;

typedef struct
{
  CbStationProblem  problem;
  char             *enrollment_group;   /* the station's group */
  char             *policy;             /* the policy the group uses, as DPS says */
} CbStationHealth;

void             cb_station_health_free           (CbStationHealth *health);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbStationHealth, cb_station_health_free)

/* A sentence for the user about @health (NULL when all is well). */
char            *cb_station_health_describe        (CbStationHealth *health);

/* Whether a policy can sign device certificates now (its CA is there and, for your own root,
 * activated); if not, @reason says why. */
gboolean         cb_station_policy_can_issue      (CbPolicy        *policy,
                                                   const char     **reason);

/* Reads the station's enrollment group from DPS and its policy from ADR. When DPS names a
 * different policy than the profile, the profile follows DPS (cb_context_set_station). */
void             cb_station_check_async            (CbContext           *context,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
CbStationHealth *cb_station_check_finish           (CbContext           *context,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Points the station's enrollment group at @policy (a PUT with the group's etag), then the
 * station's profile. */
void             cb_station_use_policy_async       (CbContext           *context,
                                                    const char          *policy,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         cb_station_use_policy_finish      (CbContext           *context,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* Makes @group_id the station's enrollment group: its key goes to the keyring and its policy
 * to the profile. */
void             cb_station_use_enrollment_group_async  (CbContext           *context,
                                                         const char          *group_id,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
gboolean         cb_station_use_enrollment_group_finish (CbContext           *context,
                                                         GAsyncResult        *result,
                                                         GError             **error);

/* The configuration of the station's runs on the active profile: its clients, the enrollment
 * group key from the secret store, this host and the signed-in user, and the registration id
 * template @template_text. Fails with CB_RUN_ERROR_CONFIG and a sentence for the user. */
void                  cb_station_make_config_async  (CbContext           *context,
                                                     const char          *template_text,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
CbProvisioningConfig *cb_station_make_config_finish (CbContext           *context,
                                                     GAsyncResult        *result,
                                                     GError             **error);

G_END_DECLS
