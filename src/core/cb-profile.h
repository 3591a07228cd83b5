/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-enums.h"

G_BEGIN_DECLS

typedef enum
{
  CB_PROFILE_KIND_SANDBOX,
  CB_PROFILE_KIND_AZURE,
} CbProfileKind;

#define CB_AZURE_LOGIN_ENDPOINT      "https://login.microsoftonline.com"
#define CB_AZURE_ARM_ENDPOINT        "https://management.azure.com"
#define CB_AZURE_DPS_GLOBAL_ENDPOINT "https://global.azure-devices-provisioning.net"

/**
 * CbProfile:
 *
 * Where one environment lives (Azure or the local sandbox): endpoints, names and identifiers.
 * Never holds a secret; those are in CbSecrets, keyed by the profile id.
 */
#define CB_TYPE_PROFILE (cb_profile_get_type ())
G_DECLARE_FINAL_TYPE (CbProfile, cb_profile, CB, PROFILE, GObject)

CbProfile     *cb_profile_new                      (const char    *id,
                                                    const char    *name,
                                                    CbProfileKind  kind);
/* Azure defaults: the public-cloud endpoints, hub/DPS hosts derived from their names. */
CbProfile     *cb_profile_new_azure                (const char    *name,
                                                    const char    *tenant,
                                                    const char    *client_id,
                                                    const char    *subscription_id,
                                                    const char    *resource_group,
                                                    const char    *hub_name,
                                                    const char    *dps_name,
                                                    const char    *dps_id_scope);
CbProfile     *cb_profile_copy                     (CbProfile     *self);

const char    *cb_profile_get_id                   (CbProfile     *self);
const char    *cb_profile_get_name                 (CbProfile     *self);
void           cb_profile_set_name                 (CbProfile     *self,
                                                    const char    *name);
CbProfileKind  cb_profile_get_kind                 (CbProfile     *self);
void           cb_profile_set_kind                 (CbProfile     *self,
                                                    CbProfileKind  kind);

#define CB_PROFILE_DECLARE_STRING(prop)                                      \
  const char *cb_profile_get_##prop (CbProfile *self);                       \
  void        cb_profile_set_##prop (CbProfile *self, const char *value);

CB_PROFILE_DECLARE_STRING (login_endpoint)
CB_PROFILE_DECLARE_STRING (tenant)
CB_PROFILE_DECLARE_STRING (client_id)
CB_PROFILE_DECLARE_STRING (arm_endpoint)
CB_PROFILE_DECLARE_STRING (subscription_id)
CB_PROFILE_DECLARE_STRING (resource_group)
CB_PROFILE_DECLARE_STRING (namespace)
CB_PROFILE_DECLARE_STRING (location)
CB_PROFILE_DECLARE_STRING (hub_name)
CB_PROFILE_DECLARE_STRING (hub_host_name)
CB_PROFILE_DECLARE_STRING (hub_endpoint)
CB_PROFILE_DECLARE_STRING (dps_global_endpoint)
CB_PROFILE_DECLARE_STRING (dps_id_scope)
CB_PROFILE_DECLARE_STRING (dps_name)
CB_PROFILE_DECLARE_STRING (dps_host_name)
CB_PROFILE_DECLARE_STRING (dps_service_endpoint)
CB_PROFILE_DECLARE_STRING (enrollment_group_id)
CB_PROFILE_DECLARE_STRING (credential_policy)
CB_PROFILE_DECLARE_STRING (pinned_ca_file)
/* Sandbox profiles: the sandbox's own base URL (its /sandbox/... endpoints). */
CB_PROFILE_DECLARE_STRING (sandbox_endpoint)
/* The hub's MQTT device endpoint as "host:port" when devices must not use
 * {hub-host-name}:8883 (the sandbox's loopback port); NULL on Azure. */
CB_PROFILE_DECLARE_STRING (hub_device_endpoint)

#undef CB_PROFILE_DECLARE_STRING

/* A list of profiles in a key file, one group per profile ("profile <id>"). */
GPtrArray     *cb_profile_list_load                (const char    *path,
                                                    GError       **error);
gboolean       cb_profile_list_save                (GPtrArray     *profiles,
                                                    const char    *path,
                                                    GError       **error);
/* $XDG_CONFIG_HOME/certbench/profiles.ini */
char          *cb_profile_list_default_path        (void);
/* Single-profile (de)serialisation into an existing key file group. */
void           cb_profile_to_key_file              (CbProfile     *self,
                                                    GKeyFile      *key_file,
                                                    const char    *group);
CbProfile     *cb_profile_new_from_key_file        (GKeyFile      *key_file,
                                                    const char    *group,
                                                    GError       **error);

G_END_DECLS
