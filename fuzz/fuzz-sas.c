/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SAS tokens (src/core/cb-sas.c) as the sandbox reads an Authorization header or an MQTT
 * password: parsed, then verified against a fixed key. */
#include <glib.h>

#include "cb-sas.h"
#include "fuzz-harness.h"

#define KEY "Y2VydGJlbmNoLWdyb3VwLWtleS0wMTIzNDU2Nzg5YWI="

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) verify_error = NULL;
  g_autoptr(CbSasToken) token = cb_sas_token_parse (text, &error);

  if (token == NULL)
    return 0;

  (void) cb_sas_token_verify (token, "hub-bench.azure-devices.net", KEY, 1700000000,
                              &verify_error);
  return 0;
}
