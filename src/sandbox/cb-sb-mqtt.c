/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub's device endpoint: MQTT 3.1.1 over TLS with client certificates or SAS passwords
 * (azure-api-reference.md §3.1-3.3, §5, §6 items 19-21).
 *
 * TLS takes any client certificate; the decision is made after CONNECT, by
 * cb_sb_check_device_chain(), so a refusal can say why (CONNACK 5 and a recorded attempt)
 * instead of a bare handshake failure. Everything runs on the sandbox's main context; the
 * transport's one source takes the sandbox lock as request handlers do. Per connection the
 * state is small (a TLS session, buffers only while a packet is partial or output waits), and
 * nothing per packet walks all devices: live connections are found by
 * "hub/device" in a hash table, lastActivityTime reaches SQLite at most every few seconds. */

/* This file connects the endpoint's parts (as mosquitto's): the transport
 * (cb-sb-mqtt-transport.c) hands each packet to handle_packet() here, which passes it to the
 * per-packet handlers (cb-sb-mqtt-handle-*.c); those use the twin topics (cb-sb-mqtt-twin.c),
 * renewal (cb-sb-mqtt-renewal.c), direct methods (cb-sb-mqtt-methods.c) and cloud-to-device
 * messages (cb-sb-mqtt-c2d.c). It starts the endpoint and listens to the sandbox's
 * events: a device dropped, every connection to recheck, desired properties patched. */

#include "config.h"

#include "cb-sb-adr.h"
#include "cb-sb-events.h"
#include "cb-sb-hub.h"
#include "cb-sb-modules.h"
#include "cb-sb-mqtt.h"
#include "cb-sb-mqtt-attempts.h"
#include "cb-sb-mqtt-handle.h"
#include "cb-sb-mqtt-renewal.h"
#include "cb-sb-mqtt-transport.h"
#include "cb-sb-mqtt-twin.h"
#include "cb-sb-routes-mqtt-connection.h"
#include "cb-sb-store.h"

#define CONNECT_TIMEOUT_MS   10000
#define DEFAULT_RENEWAL_MS   200

/* ---- Packets ----------------------------------------------------------------------------- */

static void
handle_packet (CbSbMqttConn *c,
               CbMqttPacket *p)
{
  if (c->state == CB_SB_MQTT_CONN_WAIT_CONNECT)
    {
      if (p->type != CB_MQTT_CONNECT)
        {
          g_autofree char *why = g_strdup_printf ("the first packet was %s, not CONNECT",
                                                  cb_mqtt_type_to_string (p->type));
          cb_sb_mqtt_conn_close (c, why, FALSE);
          return;
        }
      cb_sb_mqtt_handle_connect (c, p);
      return;
    }

  c->last_packet = g_get_monotonic_time ();
  c->activity = cb_sb_now_usec (c->sandbox);
  c->activity_dirty = TRUE;

  switch (p->type)
    {
    case CB_MQTT_PUBLISH:
      cb_sb_mqtt_handle_publish (c, p);
      break;
    case CB_MQTT_PUBACK:
      break;                                   /* we publish QoS 0 only */
    case CB_MQTT_SUBSCRIBE:
      cb_sb_mqtt_handle_subscribe (c, p);
      break;
    case CB_MQTT_UNSUBSCRIBE:
      cb_sb_mqtt_handle_unsubscribe (c, p);
      break;
    case CB_MQTT_PINGREQ:
      cb_sb_mqtt_conn_send (c, cb_mqtt_encode_empty (CB_MQTT_PINGRESP));
      break;
    case CB_MQTT_DISCONNECT:
      cb_sb_mqtt_conn_close (c, "the device disconnected", FALSE);
      break;
    default:
      {
        g_autofree char *why = g_strdup_printf ("a client may not send %s here",
                                                cb_mqtt_type_to_string (p->type));
        cb_sb_mqtt_conn_close (c, why, FALSE);
      }
      break;
    }
}

/* ---- Housekeeping ------------------------------------------------------------------------ */

static gboolean
sweep_cb (gpointer data)
{
  CbSbMqtt *m = data;
  gint64 now = g_get_monotonic_time ();

  g_assert (m != NULL);

  cb_sb_lock (m->sandbox);
  cb_sb_mqtt_transport_sweep (m, now);
  cb_sb_mqtt_renewal_expire (m, now);
  cb_sb_unlock (m->sandbox);

  return G_SOURCE_CONTINUE;
}

static void
mqtt_free (gpointer data)
{
  CbSbMqtt *m = data;

  g_signal_handlers_disconnect_by_data (m->sandbox->events, m);

  if (m->sweep != NULL)
    {
      g_source_destroy (m->sweep);
      g_source_unref (m->sweep);
    }

  /* Pending direct methods answer their callers (the endpoint is gone) before it stops. */
  g_clear_pointer (&m->methods, g_hash_table_destroy);
  cb_sb_mqtt_transport_stop (m);

  g_clear_pointer (&m->c2d, g_hash_table_destroy);
  g_clear_pointer (&m->refused_subscriptions, g_hash_table_destroy);
  g_hash_table_destroy (m->ops);
  g_hash_table_destroy (m->devices);
  g_hash_table_destroy (m->conns);
  g_main_context_unref (m->context);
  g_free (m);
}

/* ---- The sandbox's events ---------------------------------------------------------------- */

static void
drop_device (CbSandbox  *self,
             const char *hub,
             const char *device_id,
             const char *reason)
{
  CbSbMqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));
  g_return_if_fail (device_id != NULL);

  cb_sb_lock (self);
  m = cb_sb_mqtt_get (self);
  if (m == NULL)
    {
      cb_sb_unlock (self);
      return;
    }

  if (hub != NULL)
    {
      g_autofree char *key = cb_sb_mqtt_device_key (hub, device_id);
      CbSbMqttConn *c = g_hash_table_lookup (m->devices, key);

      if (c != NULL)
        {
          g_message ("Dropping the hub connection of %s: %s", device_id, reason);
          cb_sb_mqtt_conn_close (c, reason, FALSE);
        }
    }
  else
    {
      g_autoptr(GPtrArray) list = g_ptr_array_new ();
      GHashTableIter iter;
      gpointer value;

      /* Admin actions only: a walk over the live connections is fine here. */
      g_hash_table_iter_init (&iter, m->devices);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        if (g_str_equal (((CbSbMqttConn *) value)->device_id, device_id))
          g_ptr_array_add (list, value);
      for (guint i = 0; i < list->len; i++)
        {
          g_message ("Dropping the hub connection of %s: %s", device_id, reason);
          cb_sb_mqtt_conn_close (g_ptr_array_index (list, i), reason, FALSE);
        }
    }

  cb_sb_unlock (self);
}

static void
recheck_all (CbSandbox  *self,
             const char *reason)
{
  g_autoptr(GPtrArray) list = NULL;
  CbSbMqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sb_lock (self);
  m = cb_sb_mqtt_get (self);
  if (m == NULL)
    {
      cb_sb_unlock (self);
      return;
    }

  list = cb_sb_mqtt_snapshot (m->devices, TRUE);
  for (guint i = 0; i < list->len; i++)
    {
      CbSbMqttConn *c = g_ptr_array_index (list, i);
      g_autoptr(GPtrArray) chain = NULL;
      g_autofree char *why = NULL;
      CbSbVerdict verdict;

      if (c->sas)
        continue;                              /* no chain to judge; disabling drops it */
      chain = cb_sb_mqtt_parse_chain (c->chain);
      verdict = cb_sb_check_device_chain (self, c->hub, c->device_id, chain, &why);
      if (verdict != CB_SB_VERDICT_ACCEPTED)
        {
          g_message ("Dropping the hub connection of %s (%s): %s", c->device_id, reason, why);
          cb_sb_mqtt_conn_close (c, why, FALSE);
        }
    }

  cb_sb_unlock (self);
}

static void
device_dropped_cb (CbSbEvents *events,
                   const char *hub,
                   const char *device_id,
                   const char *reason,
                   gpointer    user_data)
{
  CbSbMqtt *m = user_data;

  drop_device (m->sandbox, hub, device_id, reason);
}

static void
recheck_all_cb (CbSbEvents *events,
                const char *reason,
                gpointer    user_data)
{
  CbSbMqtt *m = user_data;

  recheck_all (m->sandbox, reason);
}

static void
desired_patched_cb (CbSbEvents *events,
                    const char *hub,
                    const char *device_id,
                    JsonObject *patch,
                    gint64      version,
                    gpointer    user_data)
{
  CbSbMqtt *m = user_data;

  cb_sb_mqtt_twin_push_desired (m->sandbox, hub, device_id, patch, version);
}

/* ---- Cross-module functions -------------------------------------------------------------- */

void
cb_sb_mqtt_set_renewal_delay_ms (CbSandbox *self,
                                 guint      delay_ms)
{
  CbSbMqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sb_lock (self);
  if ((m = cb_sb_mqtt_get (self)) != NULL)
    m->renewal_delay_ms = delay_ms;
  cb_sb_unlock (self);
}

void
cb_sb_mqtt_set_connect_timeout_ms (CbSandbox *self,
                                   guint      timeout_ms)
{
  CbSbMqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sb_lock (self);
  if ((m = cb_sb_mqtt_get (self)) != NULL)
    m->connect_timeout_ms = timeout_ms;
  cb_sb_unlock (self);
}

/* ---- Start ------------------------------------------------------------------------------- */

gboolean
cb_sb_mqtt_init (CbSandbox  *self,
                 GError    **error)
{
  CbSbMqtt *m;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  /* Statement journals in memory: with the default, every INSERT OR REPLACE of a twin (a
   * device's reported PATCH) created and unlinked a temporary file. */
  if (!cb_sb_exec (self, "PRAGMA temp_store = MEMORY;", error) ||
      !cb_sb_mqtt_attempts_init (self, error))
    return FALSE;

  /* No connection survives a restart. */
  cb_sb_hub_reset_connections (self);

  cb_sb_routes_mqtt_connection_add (self);

  m = g_new0 (CbSbMqtt, 1);
  m->sandbox = self;
  m->context = g_main_context_ref_thread_default ();
  m->conns = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) cb_sb_mqtt_conn_unref, NULL);
  m->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m->ops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, cb_sb_mqtt_renew_op_free);
  m->max_packet = CB_MQTT_DEFAULT_MAX_REMAINING;
  m->renewal_delay_ms = DEFAULT_RENEWAL_MS;
  m->connect_timeout_ms = CONNECT_TIMEOUT_MS;
  m->handle_packet = handle_packet;
  cb_sb_set_module_data (self, CB_SB_MQTT_MODULE, m, mqtt_free);

  g_signal_connect (self->events, "device-dropped", G_CALLBACK (device_dropped_cb), m);
  g_signal_connect (self->events, "recheck-all", G_CALLBACK (recheck_all_cb), m);
  g_signal_connect (self->events, "desired-patched", G_CALLBACK (desired_patched_cb), m);

  if (!cb_sb_mqtt_transport_listen (m, error))
    return FALSE;

  m->sweep = g_timeout_source_new_seconds (1);
  g_source_set_callback (m->sweep, sweep_cb, m, NULL);
  g_source_attach (m->sweep, m->context);

  g_debug ("The hub device endpoint listens on %s:%u", self->bind_address, self->mqtt_port);
  return TRUE;
}
