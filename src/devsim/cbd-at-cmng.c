/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The simulated modem's credential storage: numbered security tags, each holding up to one
 * credential of each type (root CA, client certificate, client private key, PSK, PSK identity,
 * public key), kept in the state directory as one file each (cmng-<tag>-<type>), so they
 * survive a restart as the modem's non-volatile memory does. And the %CMNG command on it, as
 * the nRF91 AT command reference defines it: write (0), list (1), read (2), delete (3).
 * The content is stored exactly as written, line breaks and all, and the digest that list and
 * read show is the SHA-256 of those stored bytes in upper-case hex, which is also what
 * Nordic's nrfcredstore computes to compare. Writes and deletes are refused in normal mode
 * (518); a private key is never read back (514). */
#define G_LOG_DOMAIN "cbd-at"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cbd-at-cmng.h"

#define MAX_CREDENTIALS 64
#define MAX_SEC_TAG     G_GINT64_CONSTANT (2147483647)

static char *
cred_name (guint32 sec_tag, int type)
{
  return g_strdup_printf ("cmng-%u-%d", sec_tag, type);
}

GBytes *
cbd_at_storage_load (CbdStorage *storage,
                     const char *name)
{
  uint8_t *data = NULL;
  size_t len = 0;
  GBytes *bytes;

  if (cbd_storage_load (storage, name, &data, &len) != 0)
    return NULL;
  /* libc memory from the storage, wiped (it may be a key) once GLib has its copy. */
  bytes = g_bytes_new (data, len);
  memset (data, 0, len);
  free (data);
  return bytes;
}

static gboolean
cred_load (CbdStorage *storage, guint32 sec_tag, int type, GBytes **out)
{
  g_autofree char *name = cred_name (sec_tag, type);

  *out = cbd_at_storage_load (storage, name);
  return *out != NULL;
}

gboolean
cbd_at_cred_exists (CbdStorage *storage,
                    guint32     sec_tag,
                    int         type)
{
  g_autofree char *name = cred_name (sec_tag, type);
  g_autofree char *path = g_build_filename (storage->dir, name, NULL);

  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

typedef struct
{
  guint32 sec_tag;
  int     type;
} CredId;

static gint
cred_id_compare (gconstpointer a, gconstpointer b)
{
  const CredId *x = a, *y = b;

  if (x->sec_tag != y->sec_tag)
    return x->sec_tag < y->sec_tag ? -1 : 1;
  return x->type - y->type;
}

/* Every stored credential, ordered by tag then type. */
static GArray *
cred_list (CbdStorage *storage)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (CredId));
  g_autoptr(GDir) dir = g_dir_open (storage->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      CredId id;
      guint tag;
      int type, end = 0;

      if (sscanf (name, "cmng-%u-%d%n", &tag, &type, &end) == 2 && name[end] == '\0' &&
          type >= 0 && type <= 9)
        {
          id.sec_tag = tag;
          id.type = type;
          g_array_append_val (ids, id);
        }
    }
  g_array_sort (ids, cred_id_compare);
  return ids;
}

int
cbd_at_cred_store (CbdStorage   *storage,
                   guint32       sec_tag,
                   int           type,
                   const guint8 *content,
                   gsize         len)
{
  g_autoptr(GArray) ids = NULL;
  g_autofree char *name = cred_name (sec_tag, type);

  if (cbd_at_cred_exists (storage, sec_tag, type))
    return CBD_AT_CME_ALREADY_EXISTS;
  ids = cred_list (storage);
  if (ids->len >= MAX_CREDENTIALS)
    return CBD_AT_CME_MEMORY_FULL;
  if (cbd_storage_save (storage, name, content, len) != 0)
    return CBD_AT_CME_MEMORY_FULL;
  return CBD_AT_OK;
}

static char *
digest_hex (GBytes *content)
{
  g_autofree char *lower = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, content);

  return g_ascii_strup (lower, -1);
}

/* "%CMNG: <tag>,<type>,"<sha>"" */
static void
send_entry (CbdAtContext *ctx, guint32 sec_tag, int type, GBytes *content, gboolean with_content)
{
  g_autofree char *sha = digest_hex (content);
  g_autoptr(GString) line = g_string_new (NULL);

  g_string_append_printf (line, "%%CMNG: %u,%d,\"%s\"", sec_tag, type, sha);
  if (with_content)
    {
      gsize len;
      const char *data = g_bytes_get_data (content, &len);

      g_string_append (line, ",\"");
      g_string_append_len (line, data, (gssize) len);
      g_string_append_c (line, '"');
    }
  cbd_at_line_send (ctx->line, line->str);
}

static int
cmng_write (CbdAtContext *ctx, const CbdAtCommand *cmd, guint32 sec_tag, int type)
{
  const CbdAtConfig *config = &ctx->config;
  const char *content = cbd_at_command_get_string (cmd, 3);
  gsize len;
  int rc;

  /* An empty string is not allowed; a passwd (5th) only goes with an encrypted key. */
  if (content == NULL || *content == '\0' || cbd_at_command_n_params (cmd) > 5 ||
      type > CBD_AT_CRED_PSK_ID)
    return CBD_AT_ERROR;
  len = strlen (content);
  if (type == CBD_AT_CRED_PSK)
    {
      gsize i;

      for (i = 0; i < len; i++)
        if (!g_ascii_isxdigit (content[i]))
          return CBD_AT_ERROR;
    }
  if (cbd_at_context_is_active (ctx))
    return CBD_AT_CME_ACTIVE_STATE;
  if (type == CBD_AT_CRED_CLIENT_CERT && config->refuse_commit)
    return CBD_AT_CME_NO_ACCESS;

  rc = cbd_at_cred_store (config->storage, sec_tag, type, (const guint8 *) content, len);
  if (rc == CBD_AT_OK && type == CBD_AT_CRED_CLIENT_CERT && config->unplug_at_commit &&
      config->unplug != NULL)
    {
      /* The certificate is in; the answer never comes. */
      config->unplug (config->ctx);
      return CBD_AT_NO_RESULT;
    }
  return rc;
}

static int
cmng_list (CbdAtContext *ctx, const CbdAtCommand *cmd)
{
  const CbdAtConfig *config = &ctx->config;
  g_autoptr(GArray) ids = cred_list (config->storage);
  gint64 tag = -1, type = -1;
  guint n = cbd_at_command_n_params (cmd);
  guint i;

  if (n > 3 || (n >= 2 && !cbd_at_command_get_int (cmd, 1, 0, G_MAXUINT32, &tag)) ||
      (n >= 3 && !cbd_at_command_get_int (cmd, 2, 0, 9, &type)))
    return CBD_AT_ERROR;

  for (i = 0; i < ids->len; i++)
    {
      const CredId *id = &g_array_index (ids, CredId, i);
      g_autoptr(GBytes) content = NULL;

      if ((tag >= 0 && id->sec_tag != (guint32) tag) || (type >= 0 && id->type != type))
        continue;
      if (!cred_load (config->storage, id->sec_tag, id->type, &content))
        continue;
      send_entry (ctx, id->sec_tag, id->type, content, FALSE);
    }
  return CBD_AT_OK;
}

int
cbd_at_cmng_handle (CbdAtContext       *ctx,
                    const CbdAtCommand *cmd)
{
  const CbdAtConfig *config = &ctx->config;
  gint64 opcode, tag, type;
  g_autoptr(GBytes) content = NULL;
  g_autofree char *name = NULL;

  if (cmd->op == CBD_AT_TEST)
    {
      cbd_at_line_send (ctx->line, "%CMNG: (0-3),(0-2147483647),(0-5)");
      return CBD_AT_OK;
    }
  if (cmd->op != CBD_AT_SET || !cbd_at_command_get_int (cmd, 0, 0, 3, &opcode))
    return CBD_AT_ERROR;
  if (opcode == 1)
    return cmng_list (ctx, cmd);

  /* Write, read and delete name one credential: <sec_tag>,<type>. */
  if (!cbd_at_command_get_int (cmd, 1, 0, MAX_SEC_TAG, &tag) ||
      !cbd_at_command_get_int (cmd, 2, 0, CBD_AT_CRED_PUBLIC_KEY, &type))
    return CBD_AT_ERROR;
  if (opcode == 0)
    return cmng_write (ctx, cmd, (guint32) tag, (int) type);
  if (cbd_at_command_n_params (cmd) != 3)
    return CBD_AT_ERROR;

  if (opcode == 2)
    {
      if (type == CBD_AT_CRED_PRIVATE_KEY)
        return CBD_AT_CME_NO_ACCESS;
      if (!cred_load (config->storage, (guint32) tag, (int) type, &content))
        return CBD_AT_CME_NOT_FOUND;
      send_entry (ctx, (guint32) tag, (int) type, content, TRUE);
      return CBD_AT_OK;
    }

  /* Delete. */
  if (cbd_at_context_is_active (ctx))
    return CBD_AT_CME_ACTIVE_STATE;
  if (!cbd_at_cred_exists (config->storage, (guint32) tag, (int) type))
    return CBD_AT_CME_NOT_FOUND;
  name = cred_name ((guint32) tag, (int) type);
  return cbd_storage_remove (config->storage, name) == 0 ? CBD_AT_OK : CBD_AT_ERROR;
}
