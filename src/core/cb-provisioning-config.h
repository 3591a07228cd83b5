/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "cb-adr-client.h"
#include "cb-dps-client.h"
#include "cb-dps-service-client.h"
#include "cb-http.h"
#include "cb-hub-client.h"
#include "cb-journal.h"
#include "cb-profile.h"
#include "cb-x509.h"

G_BEGIN_DECLS

typedef enum
{
  CB_REGISTRATION_MODE_STATION,   /* the station registers with DPS on the device's behalf */
  CB_REGISTRATION_MODE_DEVICE,    /* the device registers itself (dps_config + dps_register) */
} CbRegistrationMode;

/* What every run of a station shares: the profile and its clients, the enrollment-group key,
 * the template, the journal. Set it up, then start runs; runs read it at their start. */
#define CB_TYPE_PROVISIONING_CONFIG (cb_provisioning_config_get_type ())
G_DECLARE_FINAL_TYPE (CbProvisioningConfig, cb_provisioning_config, CB, PROVISIONING_CONFIG, GObject)

CbProvisioningConfig *cb_provisioning_config_new        (CbProfile            *profile);
CbProfile   *cb_provisioning_config_get_profile         (CbProvisioningConfig *self);
/* Required for CB_REGISTRATION_MODE_STATION. */
void         cb_provisioning_config_set_dps_client      (CbProvisioningConfig *self,
                                                         CbDpsClient          *dps);
/* Optional: with it a device that registers itself is checked for X.509 onboarding: when the
 * individual enrollment of its registration id, or the profile's enrollment group, is attested
 * by X.509, the device gets no key and registers with its own onboarding certificate, and the
 * run checks the certificate DPS reports against the enrollment. Without it every device
 * onboards with the group's symmetric key. */
void         cb_provisioning_config_set_dps_service_client (CbProvisioningConfig *self,
                                                            CbDpsServiceClient   *dps_service);
/* Optional: with it the policy's validity and the hub's CA certificates come from ARM. */
void         cb_provisioning_config_set_adr_client      (CbProvisioningConfig *self,
                                                         CbAdrClient          *adr);
/* The enrollment group's primary key (base64). A secret: kept in memory only, wiped when the
 * config goes, never logged, never journaled; the device key is derived per registration id. */
void         cb_provisioning_config_set_enrollment_group_key (CbProvisioningConfig *self,
                                                         const char           *key_base64);
/* Default CB_REGISTRATION_TEMPLATE_DEFAULT ("{serial}"). FALSE with error for a bad template. */
gboolean     cb_provisioning_config_set_registration_template (CbProvisioningConfig *self,
                                                         const char           *template_text,
                                                         GError              **error);
const char  *cb_provisioning_config_get_registration_template (CbProvisioningConfig *self);
void         cb_provisioning_config_set_registration_mode (CbProvisioningConfig *self,
                                                         CbRegistrationMode    mode);
/* "p256" (default) or "p384". */
void         cb_provisioning_config_set_key_type        (CbProvisioningConfig *self,
                                                         const char           *key_type);
/* The policy whose validity the chain must match; NULL: the profile's credential-policy. */
void         cb_provisioning_config_set_policy_name     (CbProvisioningConfig *self,
                                                         const char           *policy);
const char  *cb_provisioning_config_get_policy_name     (CbProvisioningConfig *self);
/* The policy's validityPeriodInDays when ARM cannot tell (no ADR client, or it failed). When
 * ARM answers, ARM wins. 0: unknown, and then the chain check fails (it will not guess). */
void         cb_provisioning_config_set_validity_days   (CbProvisioningConfig *self,
                                                         guint                 days);
/* A namespace root to pin: the root DPS returns must be this one. NULL: trust the root that
 * DPS returned over its (pinned or system-verified) TLS connection. */
void         cb_provisioning_config_set_trusted_root    (CbProvisioningConfig *self,
                                                         CbCertificate        *root);
void         cb_provisioning_config_set_journal         (CbProvisioningConfig *self,
                                                         CbJournal            *journal);
CbJournal   *cb_provisioning_config_get_journal         (CbProvisioningConfig *self);
void         cb_provisioning_config_set_station         (CbProvisioningConfig *self,
                                                         const char           *station);
void         cb_provisioning_config_set_operator        (CbProvisioningConfig *self,
                                                         const char           *operator_name);
/* Tries per step for transient failures (timeouts, garbled frames, a busy device, throttling),
 * default 3. Checks that fail are never retried. */
void         cb_provisioning_config_set_max_attempts    (CbProvisioningConfig *self,
                                                         guint                 attempts);
/* Device self-registration: how long to wait for the device's DPS result (default 120 s) and
 * how often to ask (default 500 ms). */
void         cb_provisioning_config_set_device_dps_timeout (CbProvisioningConfig *self,
                                                         guint                 seconds,
                                                         guint                 poll_ms);

/* The hub-connect step (default on): the device gets the hub to connect to (hub_config; in
 * station mode also dps_config with its derived key, so it can re-register by itself once its
 * certificate has expired), connects with the new certificate and reports its dates in the
 * twin. Off for benches without network: the step is SKIPPED. */
void         cb_provisioning_config_set_hub_check       (CbProvisioningConfig *self,
                                                         gboolean              check);
gboolean     cb_provisioning_config_get_hub_check       (CbProvisioningConfig *self);
/* The security tag an nRF91 modem keeps the device's key and certificates in (default
 * CB_NRF91_DRIVER_DEFAULT_SEC_TAG, at most CB_NRF91_SEC_TAG_MAX); drivers without security
 * tags ignore it. */
void         cb_provisioning_config_set_modem_sec_tag   (CbProvisioningConfig *self,
                                                         guint32               sec_tag);
guint32      cb_provisioning_config_get_modem_sec_tag   (CbProvisioningConfig *self);
/* Reads the device's twin in the hub-connect step; without one the step goes by the device's
 * own diag and says the twin was not checked. */
void         cb_provisioning_config_set_hub_client      (CbProvisioningConfig *self,
                                                         CbHubClient          *hub);
/* Sandbox profiles: with it a refused connection also gives the sandbox's verdict and reason
 * (GET /sandbox/hubs/{hub}/devices/{id}/connection). */
void         cb_provisioning_config_set_http_client     (CbProvisioningConfig *self,
                                                         CbHttpClient         *http);
/* How long the hub-connect step waits for the connection and the twin (default 30 s) and how
 * often it asks the device (default 250 ms). */
void         cb_provisioning_config_set_hub_timeout     (CbProvisioningConfig *self,
                                                         guint                 seconds,
                                                         guint                 poll_ms);

G_END_DECLS
