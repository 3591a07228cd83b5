/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A request body as the sandbox's DPS and ARM handlers read it: cb_sb_parse_json_body() (the
 * size and nesting limits, then json-glib), then the readers the handlers apply to what they
 * find: a DPS registration's base64 "csr", certificates and chains as PEM or base64 text. */
#include <glib.h>
#include <string.h>

#include "cb-csr.h"
#include "cb-sandbox-private.h"
#include "cb-x509.h"
#include "fuzz-harness.h"

static void
read_member (JsonObject *obj,
             const char *name)
{
  JsonNode *node = json_object_get_member (obj, name);
  const char *text;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return;
  text = json_node_get_string (node);

  if (g_str_equal (name, "csr"))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbCsr) csr = cb_csr_new_from_base64 (text, &error);

      if (csr != NULL)
        (void) cb_csr_check (csr, "line1-0001", NULL, &error);
    }
  else
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CbCertificate) cert = cb_certificate_new_from_text (text);
      g_autoptr(GPtrArray) list = cb_certificate_list_new_from_data ((const guint8 *) text,
                                                                    strlen (text), &error);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  static const char * const members[] = { "csr", "certificate", "chain", "value" };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = cb_sb_parse_json_body ((const char *) data, size, &error);
  JsonObject *obj;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return 0;

  obj = json_node_get_object (root);
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    read_member (obj, members[i]);

  /* ARM bodies put what matters under "properties" */
  if (json_object_has_member (obj, "properties") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, "properties")))
    {
      JsonObject *props = json_object_get_object_member (obj, "properties");

      for (guint i = 0; i < G_N_ELEMENTS (members); i++)
        read_member (props, members[i]);
    }
  return 0;
}
