/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The values IoT Hub and DPS bodies carry, checked as the services check them: see
 * cb-sb-validate.h. */

#include "config.h"

#include <string.h>

#include "cb-sb-json.h"
#include "cb-sb-validate.h"

gboolean
cb_sb_key_is_valid (const char *key)
{
  g_autofree guchar *raw = NULL;
  gsize len = 0;

  for (const char *p = key; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=')
      return FALSE;
  raw = g_base64_decode (key, &len);
  return len >= 16 && len <= 64;
}

/* Device ids: up to 128 ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ' */
gboolean
cb_sb_hub_device_id_is_valid (const char *id)
{
  gsize len = strlen (id);

  if (len == 0 || len > 128)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-.%_*?!(),:=@$'", *p) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
cb_sb_thumbprint_is_valid (const char *t)
{
  gsize len = strlen (t);

  if (len != 40 && len != 64)
    return FALSE;
  for (const char *p = t; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* Registration and enrollment ids: up to 128 characters, letters, digits and - . _ :, the
 * last one a letter, a digit or '-'. */
gboolean
cb_sb_registration_id_is_valid (const char *id)
{
  gsize len = strlen (id);
  char last;

  if (len == 0 || len > 128)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-._:", *p) == NULL)
      return FALSE;
  last = id[len - 1];
  return g_ascii_isalnum (last) || last == '-';
}

/* Present and neither null nor a string. */
gboolean
cb_sb_json_member_not_string (JsonObject *obj,
                              const char *name)
{
  JsonNode *node = obj != NULL ? json_object_get_member (obj, name) : NULL;

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) && cb_sb_json_member_string (obj, name) == NULL;
}
