/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The core clients' readers of service answers (src/core/cb-http.c and the model parsers): the
 * error reader in every style, the limited JSON reader, and every *_new_from_json the clients
 * run on a parsed answer. */
#include <glib.h>

#include "cb-activity-event.h"
#include "cb-adr-device.h"
#include "cb-dps-client.h"
#include "cb-http-parse.h"
#include "cb-hub-certificate.h"
#include "cb-namespace.h"
#include "cb-policy.h"
#include "fuzz-harness.h"

typedef gpointer (*FromJson) (JsonNode *node, GError **error);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const CbHttpErrorStyle styles[] = {
    CB_HTTP_STYLE_ARM, CB_HTTP_STYLE_DPS, CB_HTTP_STYLE_HUB, CB_HTTP_STYLE_OAUTH,
  };
  const FromJson readers[] = {
    (FromJson) cb_activity_event_new_from_json,
    (FromJson) cb_adr_device_new_from_json,
    (FromJson) cb_dps_registration_new_from_json,
    (FromJson) cb_hub_certificate_new_from_json,
    (FromJson) cb_namespace_new_from_json,
    (FromJson) cb_policy_new_from_json,
  };
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonNode) json = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    {
      g_autoptr(GError) error = cb_http_parse_error (styles[i], 400 + (size % 200), headers, body);
    }

  json = cb_http_parse_json (body, &parse_error);
  if (json == NULL)
    return 0;

  (void) cb_http_parse_retry_after (headers, json, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_autoptr(GError) error = NULL;
      gpointer object = readers[i] (json, &error);

      g_clear_object (&object);
    }
  return 0;
}
