/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Enrollment groups attested by X.509, as the DPS service API shapes them (next to
 * cb_dps_enrollment_new_symmetric_key() of cb-dps-service-client.h): a group whose devices
 * present certificates issued by a signing CA the provisioning service holds, named by
 * x509.caReferences (the CA verified by proof of possession, cb-dps-certificates-client.h). */

/* A group body naming the DPS certificate ca_name (and secondary_ca_name, nullable) as its
 * signing CA, issuing under credential_policy (nullable). */
JsonObject  *cb_dps_enrollment_new_x509_group        (const char *id,
                                                      const char *credential_policy,
                                                      const char *ca_name,
                                                      const char *secondary_ca_name);
/* Whether an enrollment is attested by X.509. */
gboolean     cb_dps_enrollment_is_x509               (JsonObject *enrollment);
/* The primary CA reference of an X.509 group, or NULL. */
const char  *cb_dps_enrollment_get_x509_ca_reference (JsonObject *enrollment);

G_END_DECLS
