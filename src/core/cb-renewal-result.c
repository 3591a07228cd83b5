/* SPDX-License-Identifier: GPL-3.0-or-later */

/* Reading the hub's renewal result: the object with correlationId and certificates, or the
 * bare array, whichever the service (or a sandbox switched to the other shape) sends; every
 * element base64 DER or PEM. Sources and the switch: docs/sandbox.md, "Certificate renewal". */

#include "config.h"

#include <json-glib/json-glib.h>

#include "cb-json-limits.h"
#include "cb-renewal-result.h"
#include "cb-x509.h"

GPtrArray *
cb_renewal_result_parse (const char  *payload,
                         gsize        len,
                         char       **correlation_id,
                         GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *correlation = NULL;
  g_autoptr(GError) json_error = NULL;
  JsonNode *root;
  JsonArray *array = NULL;

  g_return_val_if_fail (payload != NULL || len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (correlation_id != NULL)
    *correlation_id = NULL;

  if (!cb_json_check_limits (payload, len, CB_JSON_MAX_RESPONSE_SIZE, CB_JSON_MAX_DEPTH, error))
    return NULL;
  if (len == 0 || !json_parser_load_from_data (parser, payload, (gssize) len, &json_error))
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The renewal result is not JSON%s%s", json_error != NULL ? ": " : "",
                   json_error != NULL ? json_error->message : "");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (JSON_NODE_HOLDS_ARRAY (root))
    array = json_node_get_array (root);
  else if (JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *obj = json_node_get_object (root);
      JsonNode *certs = json_object_get_member (obj, "certificates");
      JsonNode *corr = json_object_get_member (obj, "correlationId");

      if (certs != NULL && JSON_NODE_HOLDS_ARRAY (certs))
        array = json_node_get_array (certs);
      if (corr != NULL && JSON_NODE_HOLDS_VALUE (corr)
          && json_node_get_value_type (corr) == G_TYPE_STRING)
        correlation = g_strdup (json_node_get_string (corr));
    }
  if (array == NULL)
    {
      g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                   "The renewal result is neither an array of certificates nor an object with "
                   "“certificates”");
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      CbCertificate *cert = NULL;

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        cert = cb_certificate_new_from_text (json_node_get_string (element));
      if (cert == NULL)
        {
          g_set_error (error, CB_X509_ERROR, CB_X509_ERROR_PARSE,
                       "Certificate %u of the renewal result is neither base64 DER nor PEM",
                       i + 1);
          return NULL;
        }
      g_ptr_array_add (chain, cert);
    }
  if (chain->len == 0)
    {
      g_set_error_literal (error, CB_X509_ERROR, CB_X509_ERROR_EMPTY,
                           "The renewal result holds no certificates");
      return NULL;
    }

  if (correlation_id != NULL)
    *correlation_id = g_steal_pointer (&correlation);
  return g_steal_pointer (&chain);
}
