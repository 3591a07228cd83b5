/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

#include "config.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "cb-json-limits.h"
#include "cb-mqtt-packet.h"
#include "cb-sandbox-private.h"
#include "cb-util.h"
#include "cb-x509.h"

/* The hub's device endpoint: MQTT 3.1.1 over TLS with client certificates
 * (azure-api-reference.md §3.1-3.3, §5, §6 items 19-21).
 *
 * TLS takes any client certificate; the decision is made after CONNECT, by
 * cb_sandbox_check_device_chain(), so a refusal can say why (CONNACK 5 and a recorded attempt)
 * instead of a bare handshake failure. Everything runs on the sandbox's main context; the
 * callbacks take the sandbox lock as request handlers do. Per connection the state is small
 * (a 4 KiB read buffer, a decoder capped at the packet limit, an output queue capped at
 * MAX_OUTPUT), and nothing per packet walks all devices: live connections are found by
 * "hub/device" in a hash table, lastActivityTime reaches SQLite at most every few seconds. */

#define MODULE               "mqtt"
#define READ_SIZE            4096
#define MAX_OUTPUT           (256 * 1024)
#define CONNECT_TIMEOUT_MS   10000
#define CLOSE_TIMEOUT_US     (5 * G_USEC_PER_SEC)
#define ACTIVITY_FLUSH_US    (5 * G_USEC_PER_SEC)
#define MAX_ATTEMPTS         10
#define OPERATION_LIFETIME   3600
#define MAX_CSR_BASE64       8192
#define DEFAULT_RENEWAL_MS   200

#define TOPIC_TWIN_GET       "$iothub/twin/GET/"
#define TOPIC_TWIN_PATCH     "$iothub/twin/PATCH/properties/reported/"
#define TOPIC_ISSUE_CERT     "$iothub/credentials/POST/issueCertificate/"
#define MAX_FILTERS          16

/* What a device may subscribe to: filters inside these (e.g. "$iothub/twin/res/#", or the
 * exact response topic mosquitto_rr subscribes to). */
static const char * const allowed_prefixes[] = {
  "$iothub/twin/res/",
  "$iothub/credentials/res/",
  "$iothub/twin/PATCH/properties/desired/",
};

static const char attempts_schema[] =
  "CREATE TABLE IF NOT EXISTS mqtt_attempts ("
  "  id INTEGER PRIMARY KEY,"
  "  hub TEXT NOT NULL COLLATE NOCASE,"
  "  device_id TEXT NOT NULL,"
  "  time INTEGER NOT NULL,"            /* usec, sandbox clock */
  "  accepted INTEGER NOT NULL,"
  "  verdict TEXT NOT NULL,"
  "  reason TEXT) STRICT;"
  "CREATE INDEX IF NOT EXISTS mqtt_attempts_device ON mqtt_attempts (hub, device_id, id);";

typedef enum
{
  CONN_HANDSHAKE,
  CONN_WAIT_CONNECT,
  CONN_ONLINE,
  CONN_CLOSED,
} ConnState;

typedef struct _Mqtt Mqtt;

typedef struct
{
  gint                ref;
  CbSandbox          *sandbox;          /* owned: callbacks may outlive the module */
  Mqtt               *mqtt;             /* NULL once the module is gone */

  GSocketConnection  *base;
  GIOStream          *tls;
  GCancellable       *cancellable;
  CbSbClientHello    *hello;            /* waiting for the whole ClientHello */
  CbMqttDecoder      *decoder;
  guint8             *inbuf;
  GQueue              out;              /* GBytes */
  gsize               out_bytes;
  GBytes             *writing;
  gboolean            reading;
  gboolean            handshaking;
  gboolean            socket_closed;
  gboolean            flush_scheduled;
  gboolean            closing_after_flush;
  gint64              close_started;

  ConnState           state;
  char               *hub;              /* canonical hub name once CONNECT named it */
  char               *device_id;
  char               *key;              /* "hub/device" once accepted */
  GPtrArray          *chain;            /* GBytes DER, leaf first; NULL: none presented. Kept
                                         * as DER: a parsed certificate is ~20 KiB of ASN.1 */
  GPtrArray          *filters;          /* subscribed topic filters (char *) */
  guint16             keep_alive;
  gint64              created;          /* monotonic usec */
  gint64              last_packet;      /* monotonic usec */
  gint64              activity;         /* sandbox clock usec */
  gint64              activity_flushed; /* monotonic usec */
  gboolean            activity_dirty;
} Conn;

typedef struct
{
  char     *hub;
  char     *device_id;
  char     *rid;                        /* the request's $rid, what "replace" names */
  char     *correlation_id;
  gint64    expires;                    /* unix seconds, sandbox clock: what the device is told */
  gint64    deadline;                   /* monotonic usec: when it is really dropped */
  GBytes   *csr_der;
  GSource  *timer;
  gboolean  done;
  guint     status;                     /* once done */
  char     *payload;
} RenewOp;

struct _Mqtt
{
  CbSandbox       *sandbox;             /* borrowed: the module is the sandbox's */
  GMainContext    *context;
  GSocketService  *service;
  GTlsCertificate *certificate;
  GHashTable      *conns;               /* Conn* -> Conn* (one ref each) */
  GHashTable      *devices;             /* "hub/device" -> Conn* (borrowed, in conns) */
  GHashTable      *ops;                 /* "hub/device" -> RenewOp* */
  GSource         *sweep;
  gsize            max_packet;
  guint            renewal_delay_ms;
  guint            connect_timeout_ms;  /* TLS handshake and CONNECT */
};

static void conn_close   (Conn *c, const char *reason, gboolean flush_first);
static void conn_send    (Conn *c, GBytes *bytes);
static void conn_read    (Conn *c);
static void conn_start_write (Conn *c);
static void deliver_op   (Mqtt *m, const char *key);

/* ---- Small helpers --------------------------------------------------------------------- */

static char *
device_key (const char *hub,
            const char *device_id)
{
  g_autofree char *lower = g_ascii_strdown (hub, -1);

  return g_strconcat (lower, "/", device_id, NULL);
}

static Mqtt *
get_mqtt (CbSandbox *self)
{
  return cb_sandbox_get_module_data (self, MODULE);
}

static void
run_on_context (Mqtt        *m,
                GSourceFunc  func,
                gpointer     data,
                GDestroyNotify destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, func, data, destroy);
  g_source_attach (source, m->context);
  g_source_unref (source);
}

static char *
time_text (gint64 usec)
{
  return cb_time_format_precise (usec);
}

/* ---- Connections: lifetime and output -------------------------------------------------- */

static Conn *
conn_ref (Conn *c)
{
  g_atomic_int_inc (&c->ref);
  return c;
}

static void
conn_unref (Conn *c)
{
  if (!g_atomic_int_dec_and_test (&c->ref))
    return;

  g_assert (c->hello == NULL);
  if (!c->socket_closed && c->base != NULL)
    g_io_stream_close (G_IO_STREAM (c->base), NULL, NULL);
  g_clear_object (&c->tls);
  g_clear_object (&c->base);
  g_clear_object (&c->cancellable);
  g_clear_pointer (&c->decoder, cb_mqtt_decoder_free);
  g_free (c->inbuf);
  g_queue_clear_full (&c->out, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&c->writing, g_bytes_unref);
  g_free (c->hub);
  g_free (c->device_id);
  g_free (c->key);
  g_clear_pointer (&c->chain, g_ptr_array_unref);
  g_clear_pointer (&c->filters, g_ptr_array_unref);
  g_clear_object (&c->sandbox);
  g_free (c);
}

/* Closes the socket once no operation is pending on it (each one's callback calls this). */
static void
conn_maybe_close_socket (Conn *c)
{
  if (c->state != CONN_CLOSED || c->socket_closed || c->reading || c->handshaking ||
      c->writing != NULL)
    return;

  c->socket_closed = TRUE;
  g_io_stream_close (G_IO_STREAM (c->base), NULL, NULL);
}

static gboolean
close_socket_cb (gpointer data)
{
  Conn *c = data;

  g_clear_pointer (&c->hello, cb_sb_client_hello_free);
  /* A handshake thread blocked in a read (a client that stalled mid-handshake) wakes up. */
  if (c->handshaking)
    g_socket_shutdown (g_socket_connection_get_socket (c->base), TRUE, TRUE, NULL);
  conn_maybe_close_socket (c);
  return G_SOURCE_REMOVE;
}

static void
flush_activity (Conn *c)
{
  if (!c->activity_dirty || c->hub == NULL || c->device_id == NULL)
    return;
  cb_sandbox_hub_set_activity (c->sandbox, c->hub, c->device_id, c->activity);
  c->activity_dirty = FALSE;
  c->activity_flushed = g_get_monotonic_time ();
}

static void
conn_close (Conn       *c,
            const char *reason,
            gboolean    flush_first)
{
  Mqtt *m = c->mqtt;

  if (c->state == CONN_CLOSED)
    return;

  if (flush_first && (c->writing != NULL || !g_queue_is_empty (&c->out)))
    {
      /* Let the CONNACK or last answer out; the write callback comes back here. */
      if (!c->closing_after_flush)
        {
          c->closing_after_flush = TRUE;
          c->close_started = g_get_monotonic_time ();
          g_debug ("Closing %s after its output: %s", c->device_id ? c->device_id : "a client",
                   reason);
        }
      return;
    }

  c->state = CONN_CLOSED;
  g_debug ("Closed the connection of %s: %s", c->device_id ? c->device_id : "a client", reason);

  if (m != NULL && c->key != NULL && g_hash_table_lookup (m->devices, c->key) == c)
    {
      g_hash_table_remove (m->devices, c->key);
      cb_sandbox_hub_set_connection (c->sandbox, c->hub, c->device_id, FALSE,
                                     c->activity_dirty ? c->activity : 0);
      c->activity_dirty = FALSE;
    }

  g_cancellable_cancel (c->cancellable);

  if (m != NULL)
    {
      run_on_context (m, close_socket_cb, conn_ref (c), (GDestroyNotify) conn_unref);
      /* Last: this may drop the table's reference. */
      g_hash_table_remove (m->conns, c);
    }
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  Conn *c = user_data;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox;

  g_assert (c != NULL && c->sandbox != NULL);
  sandbox = g_object_ref (c->sandbox);

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error);

  cb_sandbox_lock (sandbox);

  c->out_bytes -= g_bytes_get_size (c->writing);
  g_clear_pointer (&c->writing, g_bytes_unref);

  if (c->state == CONN_CLOSED)
    conn_maybe_close_socket (c);
  else if (error != NULL)
    conn_close (c, error->message, FALSE);
  else if (!g_queue_is_empty (&c->out))
    conn_start_write (c);
  else if (c->closing_after_flush)
    conn_close (c, "its last answer was sent", FALSE);

  cb_sandbox_unlock (sandbox);
  conn_unref (c);
  g_object_unref (sandbox);
}

/* One write at a time; what queued up meanwhile goes out as one buffer. */
static void
conn_start_write (Conn *c)
{
  GBytes *next;

  if (c->writing != NULL || g_queue_is_empty (&c->out) || c->state == CONN_CLOSED)
    return;

  if (c->out.length == 1)
    next = g_queue_pop_head (&c->out);
  else
    {
      GByteArray *all = g_byte_array_sized_new (c->out_bytes);
      GBytes *b;

      while ((b = g_queue_pop_head (&c->out)) != NULL)
        {
          g_byte_array_append (all, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
          g_bytes_unref (b);
        }
      next = g_byte_array_free_to_bytes (all);
    }
  c->writing = next;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (c->tls),
                                   g_bytes_get_data (next, NULL), g_bytes_get_size (next),
                                   G_PRIORITY_DEFAULT, c->cancellable, write_cb, conn_ref (c));
}

static gboolean
start_write_cb (gpointer data)
{
  Conn *c = data;
  CbSandbox *sandbox = g_object_ref (c->sandbox);

  cb_sandbox_lock (sandbox);
  c->flush_scheduled = FALSE;
  conn_start_write (c);
  cb_sandbox_unlock (sandbox);
  g_object_unref (sandbox);

  return G_SOURCE_REMOVE;
}

/* Takes bytes. Output that piles up because the peer does not read closes the connection. */
static void
conn_send (Conn   *c,
           GBytes *bytes)
{
  if (bytes == NULL)
    return;

  if (c->state == CONN_CLOSED)
    {
      g_bytes_unref (bytes);
      return;
    }

  c->out_bytes += g_bytes_get_size (bytes);
  g_queue_push_tail (&c->out, bytes);

  if (c->out_bytes > MAX_OUTPUT)
    {
      conn_close (c, "its output queue is full (the client does not read)", FALSE);
      return;
    }

  /* Streams are driven from the sandbox's context only (a test thread may call in). */
  if (c->mqtt != NULL && !g_main_context_is_owner (c->mqtt->context))
    {
      if (!c->flush_scheduled)
        {
          c->flush_scheduled = TRUE;
          run_on_context (c->mqtt, start_write_cb, conn_ref (c), (GDestroyNotify) conn_unref);
        }
      return;
    }

  conn_start_write (c);
}

static gboolean
conn_subscribed (Conn       *c,
                 const char *topic)
{
  for (guint i = 0; c->filters != NULL && i < c->filters->len; i++)
    if (cb_mqtt_topic_matches (g_ptr_array_index (c->filters, i), topic))
      return TRUE;
  return FALSE;
}

/* Publishes (QoS 0, as the hub answers) if the device subscribed to the topic. */
static gboolean
conn_publish (Conn       *c,
              const char *topic,
              const char *payload)
{
  if (c->state != CONN_ONLINE || !cb_mqtt_topic_is_valid (topic) || !conn_subscribed (c, topic))
    return FALSE;

  conn_send (c, cb_mqtt_encode_publish (topic, payload, payload ? strlen (payload) : 0, 0, 0));
  return TRUE;
}

/* ---- Attempts -------------------------------------------------------------------------- */

static void
record_attempt (Mqtt       *m,
                const char *hub,
                const char *device_id,
                gboolean    accepted,
                const char *verdict,
                const char *reason)
{
  CbSandbox *self = m->sandbox;
  g_autoptr(CbSbStmt) stmt = NULL;

  stmt = cb_sb_prepare (self, "INSERT INTO mqtt_attempts (hub, device_id, time, accepted, "
                              "  verdict, reason) VALUES (?, ?, ?, ?, ?, ?)");
  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, cb_sandbox_now_usec (self));
  sqlite3_bind_int (stmt, 4, accepted ? 1 : 0);
  sqlite3_bind_text (stmt, 5, verdict, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, reason, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  sqlite3_reset (stmt);

  /* Keep the newest MAX_ATTEMPTS per device. */
  cb_sb_stmt_release (stmt);
  stmt = cb_sb_prepare (self, "DELETE FROM mqtt_attempts WHERE hub = ?1 AND device_id = ?2 "
                              "AND id <= (SELECT id FROM mqtt_attempts WHERE hub = ?1 "
                              "  AND device_id = ?2 ORDER BY id DESC LIMIT 1 OFFSET 10)");
  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  sqlite3_reset (stmt);
}

/* ---- CONNECT --------------------------------------------------------------------------- */

static char *
resolve_hub (CbSandbox  *self,
             const char *host)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self, "SELECT name FROM hubs WHERE host_name = ?1 "
                                            "COLLATE NOCASE OR name = ?1 COLLATE NOCASE LIMIT 1");
  char *name = NULL;

  sqlite3_bind_text (stmt, 1, host, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    name = cb_sb_column_dup (stmt, 0);
  sqlite3_reset (stmt);

  return name;
}

/* "{host}/{deviceId}/?api-version=..." -> host and device id; FALSE when not that shape. */
static gboolean
parse_username (const char  *username,
                char       **host,
                char       **device_id)
{
  const char *slash;
  const char *slash2;
  g_auto(GStrv) params = NULL;
  gboolean has_api_version = FALSE;

  *host = NULL;
  *device_id = NULL;

  if (username == NULL || (slash = strchr (username, '/')) == NULL || slash == username)
    return FALSE;
  *host = g_strndup (username, slash - username);

  if ((slash2 = strchr (slash + 1, '/')) == NULL || slash2 == slash + 1)
    return FALSE;
  *device_id = g_strndup (slash + 1, slash2 - slash - 1);

  if (slash2[1] != '?')
    return FALSE;
  params = g_strsplit (slash2 + 2, "&", -1);
  for (guint i = 0; params[i] != NULL; i++)
    if (g_str_has_prefix (params[i], "api-version=") && params[i][12] != '\0')
      has_api_version = TRUE;

  return has_api_version;
}

static void
refuse (Conn        *c,
        const char  *hub,
        const char  *device_id,
        guint8       code,
        const char  *verdict,
        const char  *reason)
{
  if (hub != NULL && device_id != NULL && *device_id != '\0')
    record_attempt (c->mqtt, hub, device_id, FALSE, verdict, reason);

  g_message ("Refused the hub connection of “%s” to “%s”: %s: %s",
             device_id ? device_id : "", hub ? hub : "(unknown hub)", verdict, reason);

  conn_send (c, cb_mqtt_encode_connack (FALSE, code));
  conn_close (c, reason, TRUE);
}

static GPtrArray *
parse_chain (GPtrArray *ders)
{
  GPtrArray *chain = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < ders->len; i++)
    {
      CbCertificate *cert = cb_certificate_new_from_der (g_ptr_array_index (ders, i), NULL);

      if (cert == NULL)
        break;
      g_ptr_array_add (chain, cert);
    }
  if (chain->len == 0)
    g_clear_pointer (&chain, g_ptr_array_unref);
  return chain;
}

static void
handle_connect (Conn         *c,
                CbMqttPacket *p)
{
  g_autoptr(GPtrArray) chain = NULL;
  Mqtt *m = c->mqtt;
  g_autofree char *host = NULL;
  g_autofree char *user_device = NULL;
  g_autofree char *hub = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *key = NULL;
  gboolean username_ok;
  CbSbVerdict verdict;
  Conn *old;

  c->keep_alive = p->keep_alive;

  if (p->protocol_level != 4)
    {
      g_autofree char *why = g_strdup_printf ("Protocol level %u is not MQTT 3.1.1 (4).",
                                              p->protocol_level);
      refuse (c, NULL, p->client_id, CB_MQTT_CONNACK_BAD_PROTOCOL, "bad-protocol", why);
      return;
    }

  if (p->client_id == NULL || *p->client_id == '\0')
    {
      refuse (c, NULL, NULL, CB_MQTT_CONNACK_IDENTIFIER_REJECTED, "bad-client-id",
              "The client identifier must be the device id.");
      return;
    }

  username_ok = parse_username (p->username, &host, &user_device);
  hub = host != NULL ? resolve_hub (m->sandbox, host) : NULL;

  if (hub == NULL)
    {
      g_autofree char *why = host != NULL
        ? g_strdup_printf ("There is no hub “%s” in the sandbox.", host)
        : g_strdup ("The user name must be {hub}.azure-devices.net/{deviceId}/?api-version="
                    CB_SB_HUB_ARM_API_VERSION ".");
      refuse (c, NULL, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED,
              host != NULL ? "unknown-hub" : "bad-username", why);
      return;
    }

  if (!username_ok)
    {
      refuse (c, hub, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED, "bad-username",
              "The user name must be {hub}.azure-devices.net/{deviceId}/?api-version="
              CB_SB_HUB_ARM_API_VERSION ".");
      return;
    }

  if (!g_str_equal (user_device, p->client_id))
    {
      g_autofree char *why = g_strdup_printf ("The user name names device “%s” but the client "
                                              "identifier is “%s”: both must be the device id.",
                                              user_device, p->client_id);
      refuse (c, hub, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED, "bad-username", why);
      return;
    }

  if (c->chain == NULL || c->chain->len == 0 || !(chain = parse_chain (c->chain)))
    {
      refuse (c, hub, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED, "no-certificate",
              "No client certificate was presented: devices authenticate with their "
              "certificate and key.");
      return;
    }

  verdict = cb_sandbox_check_device_chain (m->sandbox, hub, p->client_id, chain, &reason);
  if (verdict != CB_SB_VERDICT_ACCEPTED)
    {
      refuse (c, hub, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED,
              cb_sb_verdict_to_string (verdict), reason);
      return;
    }

  key = device_key (hub, p->client_id);
  old = g_hash_table_lookup (m->devices, key);
  if (old != NULL)
    conn_close (old, "a new connection of the same device replaced it", FALSE);

  c->hub = g_steal_pointer (&hub);
  c->device_id = g_strdup (p->client_id);
  c->key = g_strdup (key);
  c->state = CONN_ONLINE;
  c->activity = cb_sandbox_now_usec (m->sandbox);
  c->activity_flushed = g_get_monotonic_time ();
  g_hash_table_insert (m->devices, g_steal_pointer (&key), c);

  record_attempt (m, c->hub, c->device_id, TRUE, "accepted", reason);
  cb_sandbox_hub_set_connection (m->sandbox, c->hub, c->device_id, TRUE, c->activity);
  g_debug ("%s connected to %s", c->device_id, c->hub);

  conn_send (c, cb_mqtt_encode_connack (FALSE, CB_MQTT_CONNACK_ACCEPTED));

  /* A renewal result waiting from before a reconnect goes out once it subscribes again. */
}

/* ---- Responses ------------------------------------------------------------------------- */

/* The $rid (as sent) from "topic/?$rid=...&..."; NULL when absent. */
static char *
topic_property (const char *props,
                const char *name)
{
  g_auto(GStrv) pairs = NULL;
  gsize name_len = strlen (name);

  if (props == NULL)
    return NULL;
  pairs = g_strsplit (props, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    if (strncmp (pairs[i], name, name_len) == 0 && pairs[i][name_len] == '=' &&
        pairs[i][name_len + 1] != '\0')
      return g_strdup (pairs[i] + name_len + 1);

  return NULL;
}

static gboolean
respond (Conn       *c,
         const char *prefix,
         guint       status,
         const char *rid,
         gint64      version,
         const char *payload)
{
  g_autofree char *topic = NULL;

  if (rid == NULL)
    return FALSE;

  if (version >= 0)
    topic = g_strdup_printf ("%s/%u/?$rid=%s&$version=%" G_GINT64_FORMAT, prefix, status, rid,
                             version);
  else
    topic = g_strdup_printf ("%s/%u/?$rid=%s", prefix, status, rid);

  return conn_publish (c, topic, payload);
}

static char *
node_to_text (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

/* The §3.2 error body: errorCode, message, trackingId, timestampUtc and info. */
static char *
error_payload (CbSandbox  *self,
               int         code,
               const char *message,
               JsonObject *info)         /* transfer full, may be NULL */
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *tracking = g_uuid_string_random ();
  g_autofree char *stamp = time_text (cb_sandbox_now_usec (self));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "errorCode");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_set_member_name (b, "trackingId");
  json_builder_add_string_value (b, tracking);
  json_builder_set_member_name (b, "timestampUtc");
  json_builder_add_string_value (b, stamp);
  if (info != NULL)
    {
      JsonNode *node = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (node, info);
      json_builder_set_member_name (b, "info");
      json_builder_add_value (b, node);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  return node_to_text (root);
}

/* ---- Twin ------------------------------------------------------------------------------ */

static void
handle_twin_get (Conn       *c,
                 const char *rid)
{
  g_autoptr(JsonNode) doc = cb_sandbox_hub_dup_device_twin (c->sandbox, c->hub, c->device_id);
  g_autofree char *text = NULL;

  if (doc == NULL)
    {
      text = error_payload (c->sandbox, 404001, "The device does not exist.", NULL);
      respond (c, "$iothub/twin/res", 404, rid, -1, text);
      return;
    }

  text = node_to_text (doc);
  respond (c, "$iothub/twin/res", 200, rid, -1, text);
}

static void
handle_twin_patch (Conn       *c,
                   const char *rid,
                   GBytes     *payload)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *data = payload ? g_bytes_get_data (payload, &len) : NULL;
  gint64 version = 0;

  /* The limits before json-glib, which recurses per level (cb-json-limits.h). */
  if (!cb_json_check_limits (data, len, CB_JSON_MAX_REQUEST_SIZE, CB_JSON_MAX_DEPTH, &error))
    {
      gboolean too_large = g_error_matches (error, CB_JSON_LIMIT_ERROR,
                                            CB_JSON_LIMIT_ERROR_TOO_LARGE);

      text = error_payload (c->sandbox, too_large ? 413001 : 400004, error->message, NULL);
      respond (c, "$iothub/twin/res", too_large ? 413 : 400, rid, -1, text);
      return;
    }

  if (len > 0)
    {
      g_autofree char *copy = g_strndup (data, len);
      node = json_from_string (copy, &error);
    }

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      text = error_payload (c->sandbox, 400004,
                            "The reported properties patch must be a JSON object.", NULL);
      respond (c, "$iothub/twin/res", 400, rid, -1, text);
      return;
    }

  if (!cb_sandbox_hub_patch_reported_versioned (c->sandbox, c->hub, c->device_id,
                                                json_node_get_object (node), &version, &error))
    {
      gboolean missing = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);

      text = error_payload (c->sandbox, missing ? 404001 : 400004, error->message, NULL);
      respond (c, "$iothub/twin/res", missing ? 404 : 400, rid, -1, text);
      return;
    }

  respond (c, "$iothub/twin/res", 204, rid, version, NULL);
}

/* ---- Credentials renewal ---------------------------------------------------------------- */

static void
renew_op_free (RenewOp *op)
{
  if (op->timer != NULL)
    {
      g_source_destroy (op->timer);
      g_source_unref (op->timer);
    }
  g_free (op->hub);
  g_free (op->device_id);
  g_free (op->rid);
  g_free (op->correlation_id);
  g_clear_pointer (&op->csr_der, g_bytes_unref);
  g_free (op->payload);
  g_free (op);
}

static gboolean
is_request_id (const char *id)
{
  gsize len = id ? strlen (id) : 0;

  if (len < 4 || len > 36 || id[0] == '-' || id[len - 1] == '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (id[i]) && id[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
is_base64 (const char *text)
{
  gsize len = strlen (text);
  gsize pad = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      char ch = text[i];

      if (ch == '=')
        {
          if (i < len - 2)
            return FALSE;
          pad++;
        }
      else if (pad > 0 || !(g_ascii_isalnum (ch) || ch == '+' || ch == '/'))
        return FALSE;
    }
  return TRUE;
}

static char *
device_policy (CbSandbox  *self,
               const char *hub,
               const char *device_id)
{
  g_autoptr(CbSbStmt) stmt = cb_sb_prepare (self,
                                      "SELECT d.policy_id FROM adr_devices d "
                                      "JOIN hubs h ON d.namespace_id = h.namespace_id "
                                      "WHERE h.name = ? AND d.name = ? LIMIT 1");
  char *policy = NULL;

  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    policy = cb_sb_column_dup (stmt, 0);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  return policy;
}

static JsonObject *
op_info (RenewOp *op)
{
  JsonObject *info = json_object_new ();
  g_autofree char *expires = time_text (op->expires * G_USEC_PER_SEC);

  json_object_set_string_member (info, "correlationId", op->correlation_id);
  json_object_set_string_member (info, "requestId", op->rid);
  json_object_set_string_member (info, "operationExpires", expires);
  return info;
}

static void
renewal_error (Conn       *c,
               const char *rid,
               guint       status,
               int         code,
               const char *message,
               JsonObject *info)
{
  g_autofree char *text = error_payload (c->sandbox, code, message, info);

  g_debug ("Renewal request %s of %s: %u %d %s", rid, c->device_id, status, code, message);
  respond (c, "$iothub/credentials/res", status, rid, -1, text);
}

/* Fault rules see a renewal as PUBLISH /mqtt/{hub}/{device}/$iothub/credentials/POST/... */
static const CbSbFault *
renewal_fault (CbSandbox  *self,
               const char *hub,
               const char *device_id)
{
  g_autofree char *path = g_strdup_printf ("/mqtt/%s/%s/" TOPIC_ISSUE_CERT, hub, device_id);

  return cb_sb_find_fault (self, "PUBLISH", path);
}

static gboolean
wants_bare_array (CbSandbox  *self,
                  const char *hub,
                  const char *device_id)
{
  CbSbRequest fake = { 0 };

  fake.sandbox = self;
  fake.fault = renewal_fault (self, hub, device_id);
  return cb_sb_fault_wants (&fake, "hubRenewal", "bare-array");
}

/* A status fault answers the request at once: 429 429002 with retryAfter, 503 503001, or
 * the status with errorCode status × 1000 + 1. */
static gboolean
answer_status_fault (Conn       *c,
                     const char *rid)
{
  guint retry_after = 0;
  guint status = cb_sb_fault_take_status (renewal_fault (c->sandbox, c->hub, c->device_id),
                                          &retry_after);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *base = NULL;
  g_autofree char *text = NULL;
  JsonObject *obj;

  if (status == 0)
    return FALSE;

  base = error_payload (c->sandbox,
                        status == 429 ? 429002 : status == 503 ? 503001 : (int) status * 1000 + 1,
                        status == 429 ? "Too many requests (injected fault)"
                                      : "The service is unavailable (injected fault)", NULL);
  node = json_from_string (base, NULL);
  obj = json_node_get_object (node);
  if (retry_after > 0)
    json_object_set_int_member (obj, "retryAfter", retry_after);
  text = node_to_text (node);
  respond (c, "$iothub/credentials/res", status, rid, -1, text);
  return TRUE;
}

static void
complete_op (Mqtt    *m,
             RenewOp *op)
{
  CbSandbox *self = m->sandbox;
  g_autofree char *policy = device_policy (self, op->hub, op->device_id);
  g_autoptr(GPtrArray) chain = NULL;
  g_autoptr(GError) error = NULL;

  op->done = TRUE;

  if (policy == NULL)
    {
      JsonObject *info = op_info (op);

      json_object_set_string_member (info, "credentialError", "NoCredentialPolicy");
      json_object_set_string_member (info, "credentialMessage",
                                     "The device has no credential policy in ADR.");
      op->status = 400;
      op->payload = error_payload (self, 400040, "A Certificate signing request operation failed",
                                   info);
      return;
    }

  chain = cb_sandbox_ca_issue_leaf (self, policy, op->device_id, op->csr_der, &error);
  if (chain == NULL)
    {
      JsonObject *info = op_info (op);
      gboolean csr_problem = error->domain == CB_X509_ERROR;
      g_autofree char *message = g_strdup_printf ("%s: %s", csr_problem
                                                  ? "CSR did not pass verification"
                                                  : "The certificate could not be issued",
                                                  error->message);

      json_object_set_string_member (info, "credentialError", csr_problem ? "400000"
                                                                          : "IssuanceFailed");
      json_object_set_string_member (info, "credentialMessage", message);
      op->status = 400;
      op->payload = error_payload (self, csr_problem ? 400037 : 400040,
                                   csr_problem ? "The CSR did not pass verification"
                                               : "A Certificate signing request operation failed",
                                   info);
      return;
    }

  {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    gboolean bare = wants_bare_array (self, op->hub, op->device_id);

    if (!bare)
      {
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "correlationId");
        json_builder_add_string_value (b, op->correlation_id);
        json_builder_set_member_name (b, "certificates");
      }
    json_builder_begin_array (b);
    for (guint i = 0; i < chain->len; i++)
      {
        GBytes *der = g_ptr_array_index (chain, i);
        g_autofree char *text = g_base64_encode (g_bytes_get_data (der, NULL),
                                                 g_bytes_get_size (der));
        json_builder_add_string_value (b, text);
      }
    json_builder_end_array (b);
    if (!bare)
      json_builder_end_object (b);

    root = json_builder_get_root (b);
    op->status = 200;
    op->payload = node_to_text (root);
  }
}

typedef struct
{
  Mqtt *mqtt;
  char *key;
} OpTimer;

static void
op_timer_free (OpTimer *t)
{
  g_free (t->key);
  g_free (t);
}

static gboolean
op_timer_cb (gpointer data)
{
  OpTimer *t = data;
  Mqtt *m = t->mqtt;
  RenewOp *op;

  cb_sandbox_lock (m->sandbox);
  op = g_hash_table_lookup (m->ops, t->key);
  if (op != NULL)
    {
      g_clear_pointer (&op->timer, g_source_unref);
      complete_op (m, op);
      deliver_op (m, t->key);
    }
  cb_sandbox_unlock (m->sandbox);

  return G_SOURCE_REMOVE;
}

/* Sends a finished operation's result if the device is connected and subscribed; the
 * operation ends there. Otherwise it waits (until it expires) for the device to come back. */
static void
deliver_op (Mqtt       *m,
            const char *key)
{
  RenewOp *op = g_hash_table_lookup (m->ops, key);
  Conn *c = g_hash_table_lookup (m->devices, key);

  if (op == NULL || !op->done || c == NULL || c->state != CONN_ONLINE)
    return;

  if (respond (c, "$iothub/credentials/res", op->status, op->rid, -1, op->payload))
    {
      g_debug ("Renewal %s of %s: %u", op->rid, op->device_id, op->status);
      g_hash_table_remove (m->ops, key);
    }
}

static void
handle_issue_certificate (Conn       *c,
                          const char *rid,
                          GBytes     *payload)
{
  Mqtt *m = c->mqtt;
  CbSandbox *self = c->sandbox;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) csr_der = NULL;
  g_autoptr(CbCsr) csr = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) limit_error = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) accepted = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expires_text = NULL;
  JsonObject *body;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  const char *id = NULL;
  const char *csr_text = NULL;
  const char *replace = NULL;
  gsize len = 0;
  const char *data = payload ? g_bytes_get_data (payload, &len) : NULL;
  RenewOp *op;
  OpTimer *timer;
  guchar *decoded;
  gsize decoded_len = 0;

  /* "$rid is required; without it there is no response" (nor an operation). */
  if (rid == NULL || answer_status_fault (c, rid))
    return;

  /* The limits before json-glib, which recurses per level (cb-json-limits.h). */
  if (!cb_json_check_limits (data, len, CB_JSON_MAX_REQUEST_SIZE, CB_JSON_MAX_DEPTH, &limit_error))
    {
      gboolean too_large = g_error_matches (limit_error, CB_JSON_LIMIT_ERROR,
                                            CB_JSON_LIMIT_ERROR_TOO_LARGE);

      renewal_error (c, rid, too_large ? 413 : 400, too_large ? 413001 : 400006,
                     limit_error->message, NULL);
      return;
    }
  if (len > 0)
    {
      g_autofree char *copy = g_strndup (data, len);
      node = json_from_string (copy, NULL);
    }
  if (node == NULL)
    {
      renewal_error (c, rid, 400, 400006, "cannot decode json format", NULL);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      renewal_error (c, rid, 400, 400004, "The request body must be a JSON object.", NULL);
      return;
    }

  body = json_node_get_object (node);
  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &name, &value))
    {
      gboolean is_string = JSON_NODE_HOLDS_VALUE (value) &&
                           json_node_get_value_type (value) == G_TYPE_STRING;
      g_autofree char *message = NULL;

      if (!g_str_equal (name, "id") && !g_str_equal (name, "csr") &&
          !g_str_equal (name, "replace"))
        message = g_strdup_printf ("Unknown field “%s”: the body has id, csr and replace.", name);
      else if (!is_string)
        message = g_strdup_printf ("“%s” must be a string.", name);

      if (message != NULL)
        {
          renewal_error (c, rid, 400, 400004, message, NULL);
          return;
        }

      if (g_str_equal (name, "id"))
        id = json_node_get_string (value);
      else if (g_str_equal (name, "csr"))
        csr_text = json_node_get_string (value);
      else
        replace = json_node_get_string (value);
    }

  if (id == NULL || *id == '\0' || !g_str_equal (id, c->device_id))
    {
      g_autofree char *message = id == NULL || *id == '\0'
        ? g_strdup ("“id” is required: the device id.")
        : g_strdup_printf ("“id” is “%s” but the connected device is “%s”.", id, c->device_id);
      renewal_error (c, rid, 400, 400004, message, NULL);
      return;
    }
  if (csr_text == NULL || *csr_text == '\0')
    {
      renewal_error (c, rid, 400, 400004, "“csr” is required: a base64 PKCS#10 DER CSR.", NULL);
      return;
    }
  if (strlen (csr_text) > MAX_CSR_BASE64)
    {
      renewal_error (c, rid, 400, 400004, "“csr” is larger than 8 KB.", NULL);
      return;
    }
  if (!is_base64 (csr_text))
    {
      renewal_error (c, rid, 400, 400004,
                     "“csr” must be base64 DER without a PEM header, footer or line breaks.",
                     NULL);
      return;
    }
  if (replace != NULL && !g_str_equal (replace, "*") && !is_request_id (replace))
    {
      renewal_error (c, rid, 400, 400004,
                     "“replace” must be \"*\" or a request id (4..36 letters, digits and "
                     "dashes, not starting or ending with a dash).", NULL);
      return;
    }

  op = g_hash_table_lookup (m->ops, c->key);
  if (op != NULL && op->deadline <= g_get_monotonic_time ())
    {
      g_hash_table_remove (m->ops, c->key);
      op = NULL;
    }

  if (op != NULL)
    {
      if (replace == NULL)
        {
          renewal_error (c, rid, 409, 409005,
                         "A credential operation is already active for this device.",
                         op_info (op));
          return;
        }
      if (!g_str_equal (replace, "*") && !g_str_equal (replace, op->rid))
        {
          JsonObject *info = json_object_new ();

          json_object_set_string_member (info, "requestId", replace);
          renewal_error (c, rid, 412, 412001,
                         "“replace” names no active request of this device.", info);
          return;
        }
      g_hash_table_remove (m->ops, c->key);
    }
  else if (replace != NULL && !g_str_equal (replace, "*"))
    {
      JsonObject *info = json_object_new ();

      json_object_set_string_member (info, "requestId", replace);
      renewal_error (c, rid, 412, 412001, "“replace” names no active request of this device.",
                     info);
      return;
    }

  decoded = g_base64_decode (csr_text, &decoded_len);
  csr_der = g_bytes_new_take (decoded, decoded_len);
  csr = cb_csr_new_from_der (csr_der, &error);
  if (csr == NULL)
    {
      JsonObject *info = json_object_new ();
      g_autofree char *message = g_strdup_printf ("Failed to decode CSR: %s", error->message);

      json_object_set_string_member (info, "credentialError", "FailedToDecodeCsr");
      json_object_set_string_member (info, "credentialMessage", message);
      json_object_set_string_member (info, "requestId", rid);
      renewal_error (c, rid, 400, 400040, "A Certificate signing request operation failed",
                     info);
      return;
    }

  op = g_new0 (RenewOp, 1);
  op->hub = g_strdup (c->hub);
  op->device_id = g_strdup (c->device_id);
  op->rid = g_strdup (rid);
  op->correlation_id = g_uuid_string_random ();
  op->expires = cb_sandbox_now (self) + OPERATION_LIFETIME;
  /* The hour runs in real time: on an accelerated sandbox clock (a fleet's day per second)
   * it would be over before the result is due. */
  op->deadline = g_get_monotonic_time () + (gint64) OPERATION_LIFETIME * G_USEC_PER_SEC;
  op->csr_der = g_steal_pointer (&csr_der);
  g_hash_table_insert (m->ops, g_strdup (c->key), op);

  b = json_builder_new ();
  expires_text = time_text (op->expires * G_USEC_PER_SEC);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "correlationId");
  json_builder_add_string_value (b, op->correlation_id);
  json_builder_set_member_name (b, "operationExpires");
  json_builder_add_string_value (b, expires_text);
  json_builder_end_object (b);
  accepted = json_builder_get_root (b);
  text = node_to_text (accepted);
  respond (c, "$iothub/credentials/res", 202, rid, -1, text);

  timer = g_new0 (OpTimer, 1);
  timer->mqtt = m;
  timer->key = g_strdup (c->key);
  op->timer = g_timeout_source_new (m->renewal_delay_ms);
  g_source_set_callback (op->timer, op_timer_cb, timer, (GDestroyNotify) op_timer_free);
  g_source_attach (op->timer, m->context);
}

/* ---- Packets ----------------------------------------------------------------------------- */

static void
handle_publish (Conn         *c,
                CbMqttPacket *p)
{
  g_autofree char *base = NULL;
  g_autofree char *rid = NULL;
  g_autofree char *telemetry = NULL;
  const char *props;

  if (p->qos == 2)
    {
      conn_close (c, "QoS 2 is not supported by IoT Hub", FALSE);
      return;
    }
  if (p->qos == 1)
    conn_send (c, cb_mqtt_encode_ack (CB_MQTT_PUBACK, p->packet_id));

  props = strchr (p->topic, '?');
  base = props ? g_strndup (p->topic, props - p->topic) : g_strdup (p->topic);
  rid = topic_property (props ? props + 1 : NULL, "$rid");
  telemetry = g_strdup_printf ("devices/%s/messages/events/", c->device_id);

  if (g_str_equal (base, TOPIC_TWIN_GET))
    handle_twin_get (c, rid);
  else if (g_str_equal (base, TOPIC_TWIN_PATCH))
    handle_twin_patch (c, rid, p->payload);
  else if (g_str_equal (base, TOPIC_ISSUE_CERT))
    handle_issue_certificate (c, rid, p->payload);
  else if (g_str_has_prefix (base, telemetry))
    ;                                          /* telemetry: accepted, not stored */
  else
    {
      g_autofree char *why = g_strdup_printf ("publishing to “%s” is not allowed", base);
      conn_close (c, why, TRUE);
    }
}

static gboolean
filter_allowed (const char *filter)
{
  for (guint i = 0; i < G_N_ELEMENTS (allowed_prefixes); i++)
    if (g_str_has_prefix (filter, allowed_prefixes[i]))
      return TRUE;
  return FALSE;
}

static gboolean
remove_filter (Conn       *c,
               const char *filter)
{
  for (guint i = 0; c->filters != NULL && i < c->filters->len; i++)
    if (g_str_equal (g_ptr_array_index (c->filters, i), filter))
      {
        g_ptr_array_remove_index (c->filters, i);
        return TRUE;
      }
  return FALSE;
}

static void
handle_subscribe (Conn         *c,
                  CbMqttPacket *p)
{
  g_autoptr(CbMqttPacket) ack = cb_mqtt_packet_new (CB_MQTT_SUBACK);

  if (c->filters == NULL)
    c->filters = g_ptr_array_new_with_free_func (g_free);

  ack->packet_id = p->packet_id;
  ack->codes = g_byte_array_new ();
  for (guint i = 0; i < p->filters->len; i++)
    {
      const char *filter = g_ptr_array_index (p->filters, i);
      guint8 code = CB_MQTT_SUBACK_FAILURE;

      remove_filter (c, filter);
      if (filter_allowed (filter) && c->filters->len < MAX_FILTERS)
        {
          g_ptr_array_add (c->filters, g_strdup (filter));
          code = MIN (p->codes->data[i], 1);
        }
      g_byte_array_append (ack->codes, &code, 1);
    }

  conn_send (c, cb_mqtt_packet_encode (ack, NULL));

  /* A renewal result that waited for the device goes out now if this subscription covers it. */
  deliver_op (c->mqtt, c->key);
}

static void
handle_unsubscribe (Conn         *c,
                    CbMqttPacket *p)
{
  for (guint i = 0; i < p->filters->len; i++)
    remove_filter (c, g_ptr_array_index (p->filters, i));

  conn_send (c, cb_mqtt_encode_ack (CB_MQTT_UNSUBACK, p->packet_id));
}

static void
handle_packet (Conn         *c,
               CbMqttPacket *p)
{
  if (c->state == CONN_WAIT_CONNECT)
    {
      if (p->type != CB_MQTT_CONNECT)
        {
          g_autofree char *why = g_strdup_printf ("the first packet was %s, not CONNECT",
                                                  cb_mqtt_type_to_string (p->type));
          conn_close (c, why, FALSE);
          return;
        }
      handle_connect (c, p);
      return;
    }

  c->last_packet = g_get_monotonic_time ();
  c->activity = cb_sandbox_now_usec (c->sandbox);
  c->activity_dirty = TRUE;

  switch (p->type)
    {
    case CB_MQTT_PUBLISH:
      handle_publish (c, p);
      break;
    case CB_MQTT_PUBACK:
      break;                                   /* we publish QoS 0 only */
    case CB_MQTT_SUBSCRIBE:
      handle_subscribe (c, p);
      break;
    case CB_MQTT_UNSUBSCRIBE:
      handle_unsubscribe (c, p);
      break;
    case CB_MQTT_PINGREQ:
      conn_send (c, cb_mqtt_encode_empty (CB_MQTT_PINGRESP));
      break;
    case CB_MQTT_DISCONNECT:
      conn_close (c, "the device disconnected", FALSE);
      break;
    default:
      {
        g_autofree char *why = g_strdup_printf ("a client may not send %s here",
                                                cb_mqtt_type_to_string (p->type));
        conn_close (c, why, FALSE);
      }
      break;
    }
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Conn *c = user_data;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox;
  gssize n;

  g_assert (c != NULL && c->sandbox != NULL);
  sandbox = g_object_ref (c->sandbox);

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  cb_sandbox_lock (sandbox);
  c->reading = FALSE;

  if (c->state == CONN_CLOSED)
    conn_maybe_close_socket (c);
  else if (n <= 0)
    conn_close (c, n == 0 ? "the peer closed the connection" : error->message, FALSE);
  else if (!c->closing_after_flush)
    {
      c->last_packet = g_get_monotonic_time ();
      cb_mqtt_decoder_feed (c->decoder, c->inbuf, n);

      while (c->state != CONN_CLOSED && !c->closing_after_flush)
        {
          g_autoptr(CbMqttPacket) packet = cb_mqtt_decoder_next (c->decoder, &error);

          if (packet == NULL)
            {
              if (error != NULL)
                {
                  g_message ("Closing the hub connection of %s: %s",
                             c->device_id ? c->device_id : "a client", error->message);
                  conn_close (c, error->message, FALSE);
                }
              break;
            }
          handle_packet (c, packet);
          cb_sb_check_statements (sandbox, "an MQTT packet");
        }

      conn_read (c);
    }
  else
    conn_read (c);                             /* drain until the answer is out */

  cb_sandbox_unlock (sandbox);
  conn_unref (c);
  g_object_unref (sandbox);
}

static void
conn_read (Conn *c)
{
  if (c->state == CONN_CLOSED || c->reading)
    return;

  c->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (c->tls), c->inbuf, READ_SIZE,
                             G_PRIORITY_DEFAULT, c->cancellable, read_cb, conn_ref (c));
}

/* ---- TLS --------------------------------------------------------------------------------- */

static gboolean
accept_any_certificate_cb (GTlsConnection       *conn,
                           GTlsCertificate      *peer,
                           GTlsCertificateFlags  errors,
                           gpointer              user_data)
{
  /* The hub decides after CONNECT, where it can say why. */
  return TRUE;
}

static GPtrArray *
peer_chain (GTlsConnection *tls)
{
  GTlsCertificate *cert = g_tls_connection_get_peer_certificate (tls);
  GPtrArray *chain;

  if (cert == NULL)
    return NULL;

  chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (; cert != NULL && chain->len < 8; cert = g_tls_certificate_get_issuer (cert))
    {
      GByteArray *der = NULL;

      g_object_get (cert, "certificate", &der, NULL);
      if (der == NULL)
        break;
      g_ptr_array_add (chain, g_byte_array_free_to_bytes (der));
    }

  return chain;
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Conn *c = user_data;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox;
  gboolean ok;

  g_assert (c != NULL && c->sandbox != NULL);
  sandbox = g_object_ref (c->sandbox);

  ok = g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error);

  cb_sandbox_lock (sandbox);
  c->handshaking = FALSE;

  if (c->state == CONN_CLOSED)
    conn_maybe_close_socket (c);
  else if (!ok)
    {
      g_debug ("TLS handshake failed: %s", error->message);
      conn_close (c, error->message, FALSE);
    }
  else
    {
      c->chain = peer_chain (G_TLS_CONNECTION (c->tls));
      c->state = CONN_WAIT_CONNECT;
      conn_read (c);
    }

  cb_sandbox_unlock (sandbox);
  conn_unref (c);
  g_object_unref (sandbox);
}

static void
hello_cb (gboolean complete,
          gpointer data)
{
  Conn *c = data;
  Mqtt *m = c->mqtt;
  g_autoptr(GError) error = NULL;
  CbSandbox *sandbox = g_object_ref (c->sandbox);

  cb_sandbox_lock (sandbox);
  conn_ref (c);
  g_clear_pointer (&c->hello, cb_sb_client_hello_free);

  if (c->state == CONN_CLOSED || m == NULL)
    ;
  else if (!complete)
    conn_close (c, "it closed the connection before its TLS hello", FALSE);
  else
    {
      /* No trust store: any client certificate passes TLS, the hub judges it after CONNECT.
       * Requested rather than required, so a client without one hears "no-certificate". The
       * database is set at construction: g_tls_server_connection_new() would first load the
       * system trust store, about 9 ms of CPU per connection with glib-networking 2.74. */
      c->tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                               NULL, &error,
                               "base-io-stream", c->base,
                               "certificate", m->certificate,
                               "database", NULL,
                               "authentication-mode", G_TLS_AUTHENTICATION_REQUESTED,
                               NULL);
      if (c->tls == NULL)
        {
          g_warning ("Cannot start TLS on a hub connection: %s", error->message);
          conn_close (c, error->message, FALSE);
        }
      else
        {
          g_signal_connect (c->tls, "accept-certificate", G_CALLBACK (accept_any_certificate_cb),
                            NULL);
          c->handshaking = TRUE;
          g_tls_connection_handshake_async (G_TLS_CONNECTION (c->tls), G_PRIORITY_DEFAULT,
                                            c->cancellable, handshake_cb, conn_ref (c));
        }
    }

  conn_unref (c);
  cb_sandbox_unlock (sandbox);
  g_object_unref (sandbox);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  Mqtt *m = user_data;
  GSocket *socket = g_socket_connection_get_socket (connection);
  Conn *c;

  g_assert (m != NULL);

  /* Small request/response packets: without this, Nagle and delayed ACKs add 40 ms each. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  cb_sandbox_lock (m->sandbox);

  c = g_new0 (Conn, 1);
  c->ref = 1;
  c->sandbox = g_object_ref (m->sandbox);
  c->mqtt = m;
  c->base = g_object_ref (connection);
  c->cancellable = g_cancellable_new ();
  c->decoder = cb_mqtt_decoder_new (m->max_packet);
  c->inbuf = g_malloc (READ_SIZE);
  g_queue_init (&c->out);
  c->state = CONN_HANDSHAKE;
  c->created = c->last_packet = g_get_monotonic_time ();
  g_hash_table_add (m->conns, c);

  /* The handshake starts once the whole ClientHello is in (cb-sandbox-client-hello.c): a
   * client that stalls before that holds no TLS thread. The sweep's connect timeout closes
   * it. */
  c->hello = cb_sb_client_hello_wait (socket, m->context, hello_cb, c);

  cb_sandbox_unlock (m->sandbox);
  return TRUE;
}

/* The connections of a table (keys or values), each with a reference: closing one while
 * walking would change the table. */
static GPtrArray *
snapshot (GHashTable *table,
          gboolean    values)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_unref);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (list, conn_ref (values ? value : key));
  return list;
}

/* ---- Housekeeping ------------------------------------------------------------------------ */

static gboolean
sweep_cb (gpointer data)
{
  Mqtt *m = data;
  g_autoptr(GPtrArray) list = NULL;
  GHashTableIter iter;
  gpointer key, value;
  gint64 now = g_get_monotonic_time ();
  gboolean began = FALSE;

  g_assert (m != NULL);

  cb_sandbox_lock (m->sandbox);

  list = snapshot (m->conns, FALSE);

  for (guint i = 0; i < list->len; i++)
    {
      Conn *c = g_ptr_array_index (list, i);

      if (c->state == CONN_CLOSED)
        continue;
      if (c->closing_after_flush && now - c->close_started > CLOSE_TIMEOUT_US)
        {
          c->closing_after_flush = FALSE;
          conn_close (c, "its last answer could not be sent in time", FALSE);
        }
      else if (c->state != CONN_ONLINE &&
               now - c->created > (gint64) m->connect_timeout_ms * 1000)
        conn_close (c, "no TLS handshake and CONNECT in time", FALSE);
      else if (c->state == CONN_ONLINE && c->keep_alive > 0 &&
               now - c->last_packet > (gint64) c->keep_alive * 1500000)
        {
          g_message ("Closing the hub connection of %s: no packet in 1.5 × its keep-alive "
                     "of %u s", c->device_id, c->keep_alive);
          conn_close (c, "keep-alive timeout", FALSE);
        }
      else if (c->state == CONN_ONLINE && c->activity_dirty &&
               now - c->activity_flushed >= ACTIVITY_FLUSH_US)
        {
          if (!began)
            began = cb_sb_begin (m->sandbox);
          flush_activity (c);
        }
    }
  if (began)
    cb_sb_commit (m->sandbox);

  g_hash_table_iter_init (&iter, m->ops);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (((RenewOp *) value)->deadline <= now)
      g_hash_table_iter_remove (&iter);

  cb_sandbox_unlock (m->sandbox);
  return G_SOURCE_CONTINUE;
}

static void
mqtt_free (gpointer data)
{
  Mqtt *m = data;
  g_autoptr(GPtrArray) list = NULL;

  if (m->sweep != NULL)
    {
      g_source_destroy (m->sweep);
      g_source_unref (m->sweep);
    }

  if (m->service != NULL)
    {
      g_socket_service_stop (m->service);
      g_socket_listener_close (G_SOCKET_LISTENER (m->service));
      g_signal_handlers_disconnect_by_data (m->service, m);
    }

  list = snapshot (m->conns, FALSE);
  for (guint i = 0; i < list->len; i++)
    {
      Conn *c = g_ptr_array_index (list, i);

      conn_close (c, "the sandbox stops", FALSE);
      c->mqtt = NULL;
    }
  g_clear_pointer (&list, g_ptr_array_unref);

  g_hash_table_destroy (m->ops);
  g_hash_table_destroy (m->devices);
  g_hash_table_destroy (m->conns);
  g_clear_object (&m->service);
  g_clear_object (&m->certificate);
  g_main_context_unref (m->context);
  g_free (m);
}

/* ---- Cross-module functions -------------------------------------------------------------- */

void
cb_sandbox_mqtt_drop_device (CbSandbox  *self,
                             const char *hub,
                             const char *device_id,
                             const char *reason)
{
  Mqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));
  g_return_if_fail (device_id != NULL);

  cb_sandbox_lock (self);
  m = get_mqtt (self);
  if (m == NULL)
    {
      cb_sandbox_unlock (self);
      return;
    }

  if (hub != NULL)
    {
      g_autofree char *key = device_key (hub, device_id);
      Conn *c = g_hash_table_lookup (m->devices, key);

      if (c != NULL)
        {
          g_message ("Dropping the hub connection of %s: %s", device_id, reason);
          conn_close (c, reason, FALSE);
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
        if (g_str_equal (((Conn *) value)->device_id, device_id))
          g_ptr_array_add (list, value);
      for (guint i = 0; i < list->len; i++)
        {
          g_message ("Dropping the hub connection of %s: %s", device_id, reason);
          conn_close (g_ptr_array_index (list, i), reason, FALSE);
        }
    }

  cb_sandbox_unlock (self);
}

void
cb_sandbox_mqtt_recheck_all (CbSandbox  *self,
                             const char *reason)
{
  g_autoptr(GPtrArray) list = NULL;
  Mqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sandbox_lock (self);
  m = get_mqtt (self);
  if (m == NULL)
    {
      cb_sandbox_unlock (self);
      return;
    }

  list = snapshot (m->devices, TRUE);
  for (guint i = 0; i < list->len; i++)
    {
      Conn *c = g_ptr_array_index (list, i);
      g_autoptr(GPtrArray) chain = parse_chain (c->chain);
      g_autofree char *why = NULL;
      CbSbVerdict verdict;

      verdict = cb_sandbox_check_device_chain (self, c->hub, c->device_id, chain, &why);
      if (verdict != CB_SB_VERDICT_ACCEPTED)
        {
          g_message ("Dropping the hub connection of %s (%s): %s", c->device_id, reason, why);
          conn_close (c, why, FALSE);
        }
    }

  cb_sandbox_unlock (self);
}

void
cb_sandbox_mqtt_notify_desired (CbSandbox  *self,
                                const char *hub,
                                const char *device_id,
                                JsonObject *patch,
                                gint64      version)
{
  g_autofree char *key = NULL;
  g_autofree char *topic = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *copy;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  Mqtt *m;
  Conn *c;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sandbox_lock (self);
  m = get_mqtt (self);
  key = hub != NULL && device_id != NULL ? device_key (hub, device_id) : NULL;
  c = m != NULL && key != NULL ? g_hash_table_lookup (m->devices, key) : NULL;
  if (c == NULL)
    {
      cb_sandbox_unlock (self);
      return;
    }

  copy = json_object_new ();
  json_object_iter_init (&iter, patch);
  while (json_object_iter_next (&iter, &name, &value))
    if (name[0] != '$')
      json_object_set_member (copy, name, json_node_copy (value));
  json_object_set_int_member (copy, "$version", version);
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, copy);
  text = node_to_text (node);

  topic = g_strdup_printf ("$iothub/twin/PATCH/properties/desired/?$version=%" G_GINT64_FORMAT,
                           version);
  conn_publish (c, topic, text);

  cb_sandbox_unlock (self);
}

void
cb_sandbox_mqtt_set_renewal_delay_ms (CbSandbox *self,
                                      guint      delay_ms)
{
  Mqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sandbox_lock (self);
  if ((m = get_mqtt (self)) != NULL)
    m->renewal_delay_ms = delay_ms;
  cb_sandbox_unlock (self);
}

void
cb_sandbox_mqtt_set_connect_timeout_ms (CbSandbox *self,
                                        guint      timeout_ms)
{
  Mqtt *m;

  g_return_if_fail (CB_IS_SANDBOX (self));

  cb_sandbox_lock (self);
  if ((m = get_mqtt (self)) != NULL)
    m->connect_timeout_ms = timeout_ms;
  cb_sandbox_unlock (self);
}

/* ---- The connection endpoint --------------------------------------------------------------- */

static void
add_attempt (JsonBuilder  *b,
             sqlite3_stmt *stmt)
{
  g_autofree char *when = time_text (sqlite3_column_int64 (stmt, 0));

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "time");
  json_builder_add_string_value (b, when);
  json_builder_set_member_name (b, "accepted");
  json_builder_add_boolean_value (b, sqlite3_column_int (stmt, 1) != 0);
  json_builder_set_member_name (b, "verdict");
  json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 2));
  json_builder_set_member_name (b, "reason");
  if (sqlite3_column_type (stmt, 3) == SQLITE_NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, (const char *) sqlite3_column_text (stmt, 3));
  json_builder_end_object (b);
}

static void
handle_connection (CbSbRequest *req)
{
  CbSandbox *self = req->sandbox;
  const char *hub_param = cb_sb_param (req, "hub");
  const char *device_id = cb_sb_param (req, "deviceId");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) attempts = NULL;
  g_autofree char *hub = resolve_hub (self, hub_param);
  g_autofree char *state = NULL;
  g_autofree char *key = NULL;
  gint64 activity = 0;
  g_autoptr(CbSbStmt) stmt = NULL;
  Mqtt *m = get_mqtt (self);
  Conn *c;
  guint n = 0;

  if (hub == NULL)
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "HubNotFound", 0,
                         "There is no hub “%s” in the sandbox.", hub_param);
      return;
    }
  if (!cb_sandbox_hub_get_connection (self, hub, device_id, &state, &activity))
    {
      cb_sb_reply_error (req, SOUP_STATUS_NOT_FOUND, "DeviceNotFound", 0,
                         "There is no device “%s” in hub “%s”.", device_id, hub);
      return;
    }

  /* The live connection knows a fresher lastActivityTime than the store. */
  key = device_key (hub, device_id);
  c = m != NULL ? g_hash_table_lookup (m->devices, key) : NULL;
  if (c != NULL)
    activity = MAX (activity, c->activity);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "deviceId");
  json_builder_add_string_value (b, device_id);
  json_builder_set_member_name (b, "connectionState");
  json_builder_add_string_value (b, state);
  json_builder_set_member_name (b, "lastActivityTime");
  if (activity > 0)
    {
      g_autofree char *when = time_text (activity);
      json_builder_add_string_value (b, when);
    }
  else
    json_builder_add_null_value (b);

  stmt = cb_sb_prepare (self, "SELECT time, accepted, verdict, reason FROM mqtt_attempts "
                              "WHERE hub = ? AND device_id = ? ORDER BY id DESC LIMIT 10");
  sqlite3_bind_text (stmt, 1, hub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, device_id, -1, SQLITE_TRANSIENT);
  {
    g_autoptr(JsonBuilder) list = json_builder_new ();

    json_builder_begin_array (list);
    json_builder_set_member_name (b, "lastAttempt");
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        if (n++ == 0)
          add_attempt (b, stmt);
        add_attempt (list, stmt);
      }
    if (n == 0)
      json_builder_add_null_value (b);
    json_builder_end_array (list);
    attempts = json_builder_get_root (list);
  }
  sqlite3_reset (stmt);

  json_builder_set_member_name (b, "attempts");
  json_builder_add_value (b, g_steal_pointer (&attempts));
  json_builder_end_object (b);

  cb_sb_reply_json (req, SOUP_STATUS_OK, json_builder_get_root (b));
}

/* ---- Start ------------------------------------------------------------------------------- */

gboolean
cb_sandbox_mqtt_init (CbSandbox  *self,
                      GError    **error)
{
  g_autoptr(GInetAddress) addr = NULL;
  g_autoptr(GSocketAddress) sockaddr = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  Mqtt *m;

  g_return_val_if_fail (CB_IS_SANDBOX (self), FALSE);

  /* Statement journals in memory: with the default, every INSERT OR REPLACE of a twin (a
   * device's reported PATCH) created and unlinked a temporary file. */
  if (!cb_sb_exec (self, "PRAGMA temp_store = MEMORY;", error) ||
      !cb_sb_exec (self, attempts_schema, error))
    return FALSE;

  /* No connection survives a restart. */
  cb_sandbox_hub_reset_connections (self);

  cb_sandbox_add_route (self, "GET", "/sandbox/hubs/{hub}/devices/{deviceId}/connection",
                        CB_SB_STYLE_PLAIN, handle_connection);

  m = g_new0 (Mqtt, 1);
  m->sandbox = self;
  m->context = g_main_context_ref_thread_default ();
  m->conns = g_hash_table_new_full (NULL, NULL, (GDestroyNotify) conn_unref, NULL);
  m->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  m->ops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                  (GDestroyNotify) renew_op_free);
  m->max_packet = CB_MQTT_DEFAULT_MAX_REMAINING;
  m->renewal_delay_ms = DEFAULT_RENEWAL_MS;
  m->connect_timeout_ms = CONNECT_TIMEOUT_MS;
  g_object_get (self->server, "tls-certificate", &m->certificate, NULL);
  cb_sandbox_set_module_data (self, MODULE, m, mqtt_free);

  m->service = g_socket_service_new ();
  /* A fleet connects a thousand devices at once. */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (m->service), 1024);
  addr = g_inet_address_new_from_string (self->bind_address);
  sockaddr = g_inet_socket_address_new (addr, self->mqtt_port);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (m->service), sockaddr,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    {
      g_prefix_error (error, "The hub device endpoint cannot listen on port %u: ",
                      self->mqtt_port);
      return FALSE;
    }
  self->mqtt_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (m->service, "incoming", G_CALLBACK (incoming_cb), m);
  g_socket_service_start (m->service);

  m->sweep = g_timeout_source_new_seconds (1);
  g_source_set_callback (m->sweep, sweep_cb, m, NULL);
  g_source_attach (m->sweep, m->context);

  g_debug ("The hub device endpoint listens on %s:%u", self->bind_address, self->mqtt_port);
  return TRUE;
}
