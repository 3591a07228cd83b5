/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * CbDpsRegistration:
 *
 * The terminal state of a DPS registration that was assigned.
 */
#define CB_TYPE_DPS_REGISTRATION (cb_dps_registration_get_type ())
G_DECLARE_FINAL_TYPE (CbDpsRegistration, cb_dps_registration, CB, DPS_REGISTRATION, GObject)

const char *cb_dps_registration_get_registration_id (CbDpsRegistration *self);
const char *cb_dps_registration_get_operation_id    (CbDpsRegistration *self);
/* "assigned" (the only status a successful register returns) */
const char *cb_dps_registration_get_status          (CbDpsRegistration *self);
const char *cb_dps_registration_get_substatus       (CbDpsRegistration *self);
/* The hub host name, for example "myhub.azure-devices.net". */
const char *cb_dps_registration_get_assigned_hub    (CbDpsRegistration *self);
const char *cb_dps_registration_get_device_id       (CbDpsRegistration *self);
/* DER certificates, leaf first, each the issuer of the previous one. Returns: (transfer none)
 * (element-type GBytes) */
GPtrArray  *cb_dps_registration_get_issued_chain    (CbDpsRegistration *self);
/* The whole "registrationState" object. Returns: (transfer none) */
JsonObject *cb_dps_registration_get_state           (CbDpsRegistration *self);

/* Pure: parses a RegistrationOperationStatus body. Returns the registration when the status
 * is "assigned"; CB_API_ERROR_OPERATION_FAILED (remote code = DPS errorCode) when "failed" or
 * "disabled"; CB_API_ERROR_AUTHORIZATION_PENDING when still "assigning"/"unassigned";
 * CB_API_ERROR_PARSE for a malformed body or certificate chain. */
CbDpsRegistration *cb_dps_registration_new_from_json (JsonNode  *json,
                                                      GError   **error);

typedef enum
{
  CB_DPS_KEY_DEVICE,            /* the device's own symmetric key */
  CB_DPS_KEY_ENROLLMENT_GROUP,  /* the group key; the device key is derived from it */
} CbDpsKeyKind;

G_END_DECLS
