/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cbd-storage"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cbd-host.h"

/* Named blobs as files in the state directory: 0700 directory, 0600 files, replaced
 * atomically (write a temporary file, fsync, rename, fsync the directory). */

gboolean
cbd_storage_init (CbdStorage  *storage,
                  const char  *dir,
                  GError     **error)
{
  g_assert (storage != NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create state directory %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  /* An existing directory may have been made with a wider mode. */
  if (g_chmod (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot restrict state directory %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  storage->dir = g_strdup (dir);
  storage->no_fsync = FALSE;
  return TRUE;
}

void
cbd_storage_clear (CbdStorage *storage)
{
  g_clear_pointer (&storage->dir, g_free);
}

static gboolean
name_ok (const char *name)
{
  return name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL;
}

int
cbd_storage_load (void      *ctx,
                  const char *name,
                  uint8_t   **data,
                  size_t     *len)
{
  CbdStorage *storage = ctx;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize n = 0;
  uint8_t *copy;

  if (!name_ok (name))
    return -1;
  path = g_build_filename (storage->dir, name, NULL);
  if (!g_file_get_contents (path, &contents, &n, &error))
    {
      if (g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return 1;
      g_warning ("Cannot read %s: %s", path, error->message);
      return -1;
    }
  /* The device frees with free(): hand it libc memory. */
  copy = malloc (n > 0 ? n : 1);
  if (copy == NULL)
    {
      g_free (contents);
      return -1;
    }
  memcpy (copy, contents, n);
  memset (contents, 0, n);
  g_free (contents);
  *data = copy;
  *len = n;
  return 0;
}

int
cbd_storage_save (void          *ctx,
                  const char    *name,
                  const uint8_t *data,
                  size_t         len)
{
  CbdStorage *storage = ctx;
  g_autofree char *path = NULL;
  g_autofree char *tmp = NULL;
  size_t done = 0;
  int fd, dfd;

  if (!name_ok (name))
    return -1;
  path = g_build_filename (storage->dir, name, NULL);
  tmp = g_strconcat (path, ".tmp", NULL);

  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      g_warning ("Cannot write %s: %s", tmp, g_strerror (errno));
      return -1;
    }
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_warning ("Cannot write %s: %s", tmp, g_strerror (errno));
          close (fd);
          g_unlink (tmp);
          return -1;
        }
      done += (size_t) n;
    }
  if ((!storage->no_fsync && fsync (fd) != 0) || close (fd) != 0)
    {
      g_unlink (tmp);
      return -1;
    }
  if (g_rename (tmp, path) != 0)
    {
      g_warning ("Cannot rename %s: %s", tmp, g_strerror (errno));
      g_unlink (tmp);
      return -1;
    }
  dfd = storage->no_fsync ? -1 : open (storage->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
  return 0;
}

int
cbd_storage_remove (void       *ctx,
                    const char *name)
{
  CbdStorage *storage = ctx;
  g_autofree char *path = NULL;

  if (!name_ok (name))
    return -1;
  path = g_build_filename (storage->dir, name, NULL);
  if (g_unlink (path) != 0 && errno != ENOENT)
    return -1;
  return 0;
}
