/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * CbMqttClient:
 *
 * A small MQTT 3.1.1 client over TLS for the station's short request/response exchanges with
 * Azure's device endpoints (DPS registration): connect with a user name and password,
 * subscribe, publish at QoS 0 and receive what the server publishes ("message"). One
 * connection per object; "closed" says when and why it ended. Runs on the thread-default main
 * context of the caller of cb_mqtt_client_connect_async().
 */
#define CB_TYPE_MQTT_CLIENT (cb_mqtt_client_get_type ())
G_DECLARE_FINAL_TYPE (CbMqttClient, cb_mqtt_client, CB, MQTT_CLIENT, GObject)

/* database: the trust anchors (NULL: the system's). */
CbMqttClient *cb_mqtt_client_new             (GTlsDatabase        *database);
/* The certificate (with its private key, issuers linked) to present in the TLS handshake:
 * X.509 client authentication; NULL: none. Before cb_mqtt_client_connect_async(). */
void          cb_mqtt_client_set_certificate (CbMqttClient        *self,
                                              GTlsCertificate     *certificate);
/* Connects to host:port over TLS (the server certificate must name host and chain to the
 * trust anchors), sends CONNECT and waits for CONNACK. A refusal is G_IO_ERROR_PERMISSION_DENIED
 * naming the CONNACK code. */
void          cb_mqtt_client_connect_async   (CbMqttClient        *self,
                                              const char          *host,
                                              guint16              port,
                                              const char          *client_id,
                                              const char          *username,
                                              const char          *password,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean      cb_mqtt_client_connect_finish  (CbMqttClient        *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* Queues SUBSCRIBE (QoS 1). A refused subscription closes the connection ("closed"). */
void          cb_mqtt_client_subscribe       (CbMqttClient        *self,
                                              const char          *filter);
/* Queues PUBLISH at QoS 0. */
void          cb_mqtt_client_publish         (CbMqttClient        *self,
                                              const char          *topic,
                                              const void          *payload,
                                              gsize                len);
/* Sends DISCONNECT (when connected) and closes; no "closed" follows. */
void          cb_mqtt_client_close           (CbMqttClient        *self);

G_END_DECLS
