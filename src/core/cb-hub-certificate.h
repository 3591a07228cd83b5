/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CB_TYPE_HUB_CERTIFICATE (cb_hub_certificate_get_type ())
G_DECLARE_FINAL_TYPE (CbHubCertificate, cb_hub_certificate, CB, HUB_CERTIFICATE, GObject)

/* A CA certificate registered on an IoT hub (Microsoft.Devices/IotHubs/certificates); credential
 * sync creates one per policy, with policy-resource-id pointing back at it. */
CbHubCertificate *cb_hub_certificate_new_from_json           (JsonNode          *node,
                                                              GError           **error);

const char       *cb_hub_certificate_get_id                  (CbHubCertificate  *self);
const char       *cb_hub_certificate_get_name                (CbHubCertificate  *self);
const char       *cb_hub_certificate_get_subject             (CbHubCertificate  *self);
const char       *cb_hub_certificate_get_thumbprint          (CbHubCertificate  *self);
/* Unix seconds, 0 when unknown. */
gint64            cb_hub_certificate_get_expiry              (CbHubCertificate  *self);
/* NULL for certificates that did not come from an ADR policy. */
const char       *cb_hub_certificate_get_policy_resource_id  (CbHubCertificate  *self);
const char       *cb_hub_certificate_get_policy_name         (CbHubCertificate  *self);
gboolean          cb_hub_certificate_get_is_verified         (CbHubCertificate  *self);
const char       *cb_hub_certificate_get_etag                (CbHubCertificate  *self);
/* The certificate as the service returns it (PEM or base64 DER). */
const char       *cb_hub_certificate_get_certificate         (CbHubCertificate  *self);

G_END_DECLS
