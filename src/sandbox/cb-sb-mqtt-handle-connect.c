/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox-mqtt"

/* The hub device endpoint's CONNECT: see cb-sb-mqtt-handle.h. The decision is made here, by
 * cb_sb_check_device_chain(), so a refusal can say why (CONNACK 5 and a recorded
 * attempt) instead of a bare handshake failure. */

#include "config.h"

#include <string.h>

#include "cb-sas.h"
#include "cb-sb-adr.h"
#include "cb-sb-hub.h"
#include "cb-sb-hub-store.h"
#include "cb-sb-mqtt-attempts.h"
#include "cb-sb-mqtt-dps.h"
#include "cb-sb-mqtt-handle.h"
#include "cb-sb-sas.h"
#include "cb-x509.h"

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
refuse (CbSbMqttConn *c,
        const char   *hub,
        const char   *device_id,
        guint8        code,
        const char   *verdict,
        const char   *reason)
{
  if (hub != NULL && device_id != NULL && *device_id != '\0')
    cb_sb_mqtt_attempts_record (c->sandbox, hub, device_id, FALSE, verdict, reason);

  g_message ("Refused the hub connection of “%s” to “%s”: %s: %s",
             device_id ? device_id : "", hub ? hub : "(unknown hub)", verdict, reason);

  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_connack (FALSE, code));
  cb_sb_mqtt_conn_close (c, reason, TRUE);
}

/* A device authenticating with a SharedAccessSignature as its password (signed with its own
 * key, or a policy's with DeviceConnect): NULL when accepted, else the verdict and *reason. */
static const char *
check_sas (CbSandbox   *self,
           const char  *hub,
           const char  *device_id,
           GBytes      *password,
           gint64      *expiry,
           char       **reason)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *host = NULL;
  g_autofree char *resource = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (password, &len);
  gboolean enabled = FALSE;
  guint rights = 0;

  cb_sb_hub_lookup (self, hub, NULL, &host);
  resource = g_strdup_printf ("%s/devices/%s", host, device_id);
  text = g_strndup (data, len);
  if (strlen (text) != len || !g_utf8_validate (text, -1, NULL) ||
      !cb_sb_hub_sas_verify (self, hub, host, text, resource, &rights, NULL, NULL, &error))
    {
      *reason = g_strdup_printf ("The SAS password was refused: %s.",
                                 error != NULL ? error->message : "it is not text");
      return "bad-sas";
    }
  if ((rights & CB_SB_HUB_RIGHT_DEVICE) == 0)
    {
      *reason = g_strdup ("The SAS password was refused: its shared access policy does not "
                          "grant DeviceConnect.");
      return "bad-sas";
    }
  if (!cb_sb_hub_lookup_device (self, hub, device_id, &enabled))
    {
      *reason = g_strdup_printf ("The device “%s” is not registered in the hub.", device_id);
      return "unknown-device";
    }
  if (!enabled)
    {
      *reason = g_strdup_printf ("The device “%s” is disabled.", device_id);
      return "device-disabled";
    }
  {
    g_autoptr(CbSasToken) token = cb_sas_token_parse (text, NULL);

    *expiry = token != NULL ? token->expiry : 0;
  }
  *reason = g_strdup ("The SAS password is valid for this device.");
  return NULL;
}

GPtrArray *
cb_sb_mqtt_parse_chain (GPtrArray *ders)
{
  GPtrArray *chain;

  if (ders == NULL)
    return NULL;
  chain = g_ptr_array_new_with_free_func (g_object_unref);

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

void
cb_sb_mqtt_handle_connect (CbSbMqttConn *c,
                           CbMqttPacket *p)
{
  g_autoptr(GPtrArray) chain = NULL;
  CbSbMqtt *m = c->mqtt;
  g_autofree char *host = NULL;
  g_autofree char *user_device = NULL;
  g_autofree char *hub = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *key = NULL;
  gboolean username_ok;
  CbSbVerdict verdict;
  CbSbMqttConn *old;

  c->keep_alive = p->keep_alive;

  if (p->protocol_level != 4)
    {
      g_autofree char *why = g_strdup_printf ("Protocol level %u is not MQTT 3.1.1 (4).",
                                              p->protocol_level);
      refuse (c, NULL, p->client_id, CB_MQTT_CONNACK_BAD_PROTOCOL, "bad-protocol", why);
      return;
    }

  if (cb_sb_mqtt_dps_handle_connect (c, p))    /* "{idScope}/registrations/…": DPS */
    return;

  if (p->client_id == NULL || *p->client_id == '\0')
    {
      refuse (c, NULL, NULL, CB_MQTT_CONNACK_IDENTIFIER_REJECTED, "bad-client-id",
              "The client identifier must be the device id.");
      return;
    }

  username_ok = parse_username (p->username, &host, &user_device);
  hub = host != NULL ? cb_sb_hub_resolve (m->sandbox, host) : NULL;

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

  if (p->password != NULL && g_bytes_get_size (p->password) > 0)
    {
      const char *sas_verdict = check_sas (m->sandbox, hub, p->client_id, p->password,
                                           &c->sas_expiry, &reason);

      if (sas_verdict != NULL)
        {
          refuse (c, hub, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED, sas_verdict, reason);
          return;
        }
      c->sas = TRUE;
    }
  else if (c->chain == NULL || c->chain->len == 0 || !(chain = cb_sb_mqtt_parse_chain (c->chain)))
    {
      refuse (c, hub, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED, "no-certificate",
              "No client certificate and no SAS password were presented: devices authenticate "
              "with their certificate and key, or with a SharedAccessSignature.");
      return;
    }
  else
    {
      verdict = cb_sb_check_device_chain (m->sandbox, hub, p->client_id, chain, &reason);
      if (verdict != CB_SB_VERDICT_ACCEPTED)
        {
          refuse (c, hub, p->client_id, CB_MQTT_CONNACK_NOT_AUTHORIZED,
                  cb_sb_verdict_to_string (verdict), reason);
          return;
        }
    }

  key = cb_sb_mqtt_device_key (hub, p->client_id);
  old = g_hash_table_lookup (m->devices, key);
  if (old != NULL)
    cb_sb_mqtt_conn_close (old, "a new connection of the same device replaced it", FALSE);

  c->hub = g_steal_pointer (&hub);
  c->device_id = g_strdup (p->client_id);
  c->key = g_strdup (key);
  c->state = CB_SB_MQTT_CONN_ONLINE;
  c->activity = cb_sb_now_usec (m->sandbox);
  c->activity_flushed = g_get_monotonic_time ();
  g_hash_table_insert (m->devices, g_steal_pointer (&key), c);

  cb_sb_mqtt_attempts_record (m->sandbox, c->hub, c->device_id, TRUE, "accepted", reason);
  cb_sb_hub_set_connection (m->sandbox, c->hub, c->device_id, TRUE, c->activity);
  g_debug ("%s connected to %s", c->device_id, c->hub);

  cb_sb_mqtt_conn_send (c, cb_mqtt_encode_connack (FALSE, CB_MQTT_CONNACK_ACCEPTED));

  /* A renewal result waiting from before a reconnect goes out once it subscribes again. */
}
