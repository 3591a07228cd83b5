/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-dps-client"

/* CbDpsRegistration: the assigned state of a DPS registration, parsed (and its issued chain
 * checked element by element) from a RegistrationOperationStatus body. */

#include "config.h"

#include <string.h>

#include "cb-dps-private.h"
#include "cb-dps-registration.h"
#include "cb-error.h"
#include "cb-http.h"

struct _CbDpsRegistration
{
  GObject     parent_instance;

  char       *registration_id;
  char       *operation_id;
  char       *status;
  char       *substatus;
  char       *assigned_hub;
  char       *device_id;
  GPtrArray  *issued_chain;
  JsonObject *state;
};

G_DEFINE_FINAL_TYPE (CbDpsRegistration, cb_dps_registration, G_TYPE_OBJECT)

static void
cb_dps_registration_finalize (GObject *object)
{
  CbDpsRegistration *self = (CbDpsRegistration *)object;

  g_clear_pointer (&self->registration_id, g_free);
  g_clear_pointer (&self->operation_id, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->substatus, g_free);
  g_clear_pointer (&self->assigned_hub, g_free);
  g_clear_pointer (&self->device_id, g_free);
  g_clear_pointer (&self->issued_chain, g_ptr_array_unref);
  g_clear_pointer (&self->state, json_object_unref);

  G_OBJECT_CLASS (cb_dps_registration_parent_class)->finalize (object);
}

static void
cb_dps_registration_class_init (CbDpsRegistrationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_dps_registration_finalize;
}

static void
cb_dps_registration_init (CbDpsRegistration *self)
{
  self->issued_chain = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

const char *
cb_dps_registration_get_registration_id (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->registration_id;
}

const char *
cb_dps_registration_get_operation_id (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->operation_id;
}

const char *
cb_dps_registration_get_status (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->status;
}

const char *
cb_dps_registration_get_substatus (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->substatus;
}

const char *
cb_dps_registration_get_assigned_hub (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->assigned_hub;
}

const char *
cb_dps_registration_get_device_id (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->device_id;
}

GPtrArray *
cb_dps_registration_get_issued_chain (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->issued_chain;
}

JsonObject *
cb_dps_registration_get_state (CbDpsRegistration *self)
{
  g_return_val_if_fail (CB_IS_DPS_REGISTRATION (self), NULL);
  return self->state;
}

guint
cb_dps_poll_delay_ms (guint retry_after_secs,
                      guint polls)
{
  if (retry_after_secs > 0)
    return retry_after_secs * 1000;
  if (polls == 0)
    return 0;
  return MIN (10u << MIN (polls - 1, 7u), 1000u);
}

const char *
cb_dps_json_get_string (JsonObject *object,
                        const char *member)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, member))
    return NULL;

  node = json_object_get_member (object, member);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* A DER certificate is one SEQUENCE whose encoded length covers exactly the whole buffer:
 * that catches truncated and padded elements before they reach the X.509 code. */
static gboolean
der_sequence_is_whole (const guint8 *data,
                       gsize         len)
{
  gsize header;
  gsize body = 0;

  if (len < 2 || data[0] != 0x30)
    return FALSE;

  if (data[1] < 0x80)
    {
      header = 2;
      body = data[1];
    }
  else
    {
      guint n = data[1] & 0x7f;

      if (n == 0 || n > 4 || len < 2 + n)
        return FALSE;
      for (guint i = 0; i < n; i++)
        body = (body << 8) | data[2 + i];
      header = 2 + n;
    }

  return header + body == len;
}

/* Chain elements are base64 DER; a PEM element (armour included) is tolerated. */
static GBytes *
decode_certificate (const char *text)
{
  g_autoptr(GString) b64 = g_string_new (NULL);
  g_autofree guchar *der = NULL;
  const char *p = text;
  gsize len = 0;

  if (g_str_has_prefix (text, "-----BEGIN CERTIFICATE-----"))
    {
      const char *end = strstr (text, "-----END CERTIFICATE-----");

      if (end == NULL)
        return NULL;
      p = text + strlen ("-----BEGIN CERTIFICATE-----");
      g_string_append_len (b64, p, end - p);
    }
  else
    g_string_append (b64, text);

  /* g_base64_decode skips junk silently; refuse it instead. */
  for (gsize i = 0; i < b64->len; i++)
    {
      char c = b64->str[i];

      if (!g_ascii_isalnum (c) && c != '+' && c != '/' && c != '=' && !g_ascii_isspace (c))
        return NULL;
    }

  der = g_base64_decode (b64->str, &len);
  if (der == NULL || !der_sequence_is_whole (der, len))
    return NULL;

  return g_bytes_new_take (g_steal_pointer (&der), len);
}

/**
 * cb_dps_registration_new_from_json:
 *
 * Returns: (transfer full): the assigned registration, or %NULL with @error set
 */
CbDpsRegistration *
cb_dps_registration_new_from_json (JsonNode  *json,
                                   GError   **error)
{
  g_autoptr(CbDpsRegistration) self = NULL;
  JsonObject *root;
  JsonObject *state = NULL;
  const char *status;

  if (json == NULL || !JSON_NODE_HOLDS_OBJECT (json))
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS sent an operation status that is not a JSON object");
      return NULL;
    }

  root = json_node_get_object (json);
  if (json_object_has_member (root, "registrationState") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "registrationState")))
    state = json_object_get_object_member (root, "registrationState");

  status = cb_dps_json_get_string (root, "status");
  if (status == NULL)
    status = cb_dps_json_get_string (state, "status");
  if (status == NULL)
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS sent an operation status without a status");
      return NULL;
    }

  if (g_str_equal (status, "assigning") || g_str_equal (status, "unassigned"))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING,
                   "The registration is still %s", status);
      return NULL;
    }

  if (g_str_equal (status, "failed") || g_str_equal (status, "disabled"))
    {
      g_autofree char *code = cb_http_json_dup_code (state, "errorCode");
      const char *message = cb_dps_json_get_string (state, "errorMessage");

      if (code == NULL)
        code = g_strdup (status);
      if (message == NULL)
        message = g_str_equal (status, "disabled") ? "The enrollment or the registration is disabled"
                                                   : "DPS did not say why";

      g_propagate_error (error,
                         cb_api_error_new_full (CB_API_ERROR_OPERATION_FAILED, 200, code, NULL, 0,
                                                "%s: %s", code, message));
      return NULL;
    }

  if (!g_str_equal (status, "assigned"))
    {
      g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                   "DPS sent an unknown registration status “%s”", status);
      return NULL;
    }

  if (state == NULL)
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS assigned the device but sent no registration state");
      return NULL;
    }

  self = g_object_new (CB_TYPE_DPS_REGISTRATION, NULL);
  self->status = g_strdup (status);
  self->operation_id = g_strdup (cb_dps_json_get_string (root, "operationId"));
  self->registration_id = g_strdup (cb_dps_json_get_string (state, "registrationId"));
  self->substatus = g_strdup (cb_dps_json_get_string (state, "substatus"));
  self->assigned_hub = g_strdup (cb_dps_json_get_string (state, "assignedHub"));
  self->device_id = g_strdup (cb_dps_json_get_string (state, "deviceId"));
  self->state = json_object_ref (state);

  if (self->assigned_hub == NULL || self->device_id == NULL)
    {
      g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "DPS assigned the device but named no hub or device ID");
      return NULL;
    }

  if (json_object_has_member (state, "issuedCertificateChain"))
    {
      JsonNode *node = json_object_get_member (state, "issuedCertificateChain");
      JsonArray *chain;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error_literal (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                               "The issued certificate chain is not an array");
          return NULL;
        }

      chain = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (chain); i++)
        {
          JsonNode *element = json_array_get_element (chain, i);
          GBytes *der = NULL;

          if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
            der = decode_certificate (json_node_get_string (element));

          if (der == NULL)
            {
              g_set_error (error, CB_API_ERROR, CB_API_ERROR_PARSE,
                           "Certificate %u of the issued chain is not a base64 DER certificate",
                           i + 1);
              return NULL;
            }

          g_ptr_array_add (self->issued_chain, der);
        }
    }

  return g_steal_pointer (&self);
}

void
cb_dps_registration_set_registration_id (CbDpsRegistration *self,
                                         const char        *registration_id)
{
  g_return_if_fail (CB_IS_DPS_REGISTRATION (self));

  g_free (self->registration_id);
  self->registration_id = g_strdup (registration_id);
}

/* What an answer to the register request or to a poll says, whichever transport brought it:
 * see cb-dps-private.h. */
CbDpsRegistration *
cb_dps_registration_from_operation (JsonNode    *json,
                                    guint        status,
                                    const char  *registration_id,
                                    char       **operation_id,
                                    GError     **error)
{
  g_autoptr(CbDpsRegistration) registration = NULL;
  g_autoptr(GError) local = NULL;
  const char *id = NULL;

  if (json != NULL && JSON_NODE_HOLDS_OBJECT (json))
    id = cb_dps_json_get_string (json_node_get_object (json), "operationId");
  if (id != NULL && g_strcmp0 (id, *operation_id) != 0)
    {
      g_free (*operation_id);
      *operation_id = g_strdup (id);
    }

  registration = cb_dps_registration_new_from_json (json, &local);
  if (registration != NULL)
    {
      if (cb_dps_registration_get_issued_chain (registration)->len == 0)
        {
          g_propagate_error (error,
                             cb_api_error_new_full (CB_API_ERROR_PARSE, status, NULL, NULL, 0,
                                                    "DPS assigned the device but issued no certificate chain"));
          return NULL;
        }
      if (cb_dps_registration_get_registration_id (registration) == NULL)
        cb_dps_registration_set_registration_id (registration, registration_id);
      return g_steal_pointer (&registration);
    }

  if (g_error_matches (local, CB_API_ERROR, CB_API_ERROR_AUTHORIZATION_PENDING) &&
      *operation_id == NULL)
    {
      g_propagate_error (error,
                         cb_api_error_new_full (CB_API_ERROR_PARSE, status, NULL, NULL, 0,
                                                "DPS accepted the registration but sent no operation ID"));
      return NULL;
    }

  g_propagate_error (error, g_steal_pointer (&local));
  return NULL;
}
