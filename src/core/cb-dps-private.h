/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cb-dps-registration.h"

G_BEGIN_DECLS

/* Shared by the DPS files (cb-dps-registration.c, cb-dps-client.c, cb-dps-service-client.c). */

/* The DPS API version of the device and service calls. */
#define CB_DPS_API_VERSION "2025-07-01-preview"

/* How long a SAS token the DPS clients make is valid. */
#define CB_DPS_SAS_LIFETIME_SECS 3600

/* cb-dps-client-mqtt.c: registers over MQTT (TLS to host:port, trusting database or the
 * system), sending body (the DeviceRegistration JSON) with the SAS sas, or with none and
 * certificate presented in the TLS handshake (X.509 attestation), and returns task
 * (a CbDpsRegistration, or the error the HTTPS path gives). deadline is monotonic usec;
 * 429 and 5xx answers are retried up to max_attempts. */
void        cb_dps_mqtt_register (GTask        *task,
                                  GTlsDatabase *database,
                                  const char   *host,
                                  guint16       port,
                                  const char   *id_scope,
                                  const char   *registration_id,
                                  const char   *sas,
                                  GTlsCertificate *certificate,
                                  const char   *body,
                                  gint64        deadline,
                                  guint         max_attempts);

/* What an answer (status, body json) to the register request or to a poll says, whichever
 * transport brought it: the assigned registration (with its chain, and registration_id when
 * the body names none), or CB_API_ERROR_AUTHORIZATION_PENDING while DPS is assigning (poll
 * *operation_id, updated from the body), or the error. */
CbDpsRegistration *cb_dps_registration_from_operation (JsonNode    *json,
                                                       guint        status,
                                                       const char  *registration_id,
                                                       char       **operation_id,
                                                       GError     **error);

/* How long to wait before poll number polls (0 for the first) when DPS said "Retry-After:
 * retry_after_secs": what it says, and for 0 at once the first time, then 10, 20, 40… ms up
 * to a second, so a service that keeps saying 0 is not polled in a busy loop. */
guint       cb_dps_poll_delay_ms (guint retry_after_secs,
                                  guint polls);

/* The string member of object, or NULL when absent or not a string. */
const char *cb_dps_json_get_string (JsonObject *object,
                                    const char *member);

/* For the client: a registration whose body did not name its id gets the one it asked for. */
void        cb_dps_registration_set_registration_id (CbDpsRegistration *self,
                                                     const char        *registration_id);

G_END_DECLS
