/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-sandbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <string.h>
#include <unistd.h>

#include "cb-sandbox.h"
#include "cb-sb-folder-lock.h"

/* One sandbox per data folder. Two processes on one SQLite file in WAL mode work, but each
 * sandbox keeps state in memory (MQTT sessions, operations, the clock rate) and assumes the
 * database is its own: a second sandbox on the same folder made the first one's writes fail
 * with "database is locked". The lock is flock() on "sandbox.lock" in the folder: held by
 * the open file, so it also keeps out a second sandbox in the same process (the app's own and
 * a test's), and released by the kernel when the process dies, so a crash leaves nothing to
 * clean up. The file holds the owner's pid, for the message. */

int
cb_sb_lock_data_dir (const char  *data_dir,
                     GError     **error)
{
  g_autofree char *path = g_build_filename (data_dir, "sandbox.lock", NULL);
  g_autofree char *pid_text = NULL;
  int fd;

  fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE,
                   "Cannot open %s: %s", path, g_strerror (errsv));
      return -1;
    }

  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int errsv = errno;
      char buf[32] = { 0 };
      gssize n = pread (fd, buf, sizeof buf - 1, 0);
      long pid = n > 0 ? strtol (buf, NULL, 10) : 0;

      close (fd);
      if (errsv != EWOULDBLOCK)
        {
          g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_STORE,
                       "Cannot lock %s: %s", path, g_strerror (errsv));
          return -1;
        }
      if (pid > 0)
        g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_IN_USE,
                     "The data folder %s is in use by another sandbox (process %ld); stop it "
                     "or choose another folder", data_dir, pid);
      else
        g_set_error (error, CB_SANDBOX_ERROR, CB_SANDBOX_ERROR_IN_USE,
                     "The data folder %s is in use by another sandbox; stop it or choose "
                     "another folder", data_dir);
      return -1;
    }

  pid_text = g_strdup_printf ("%ld\n", (long) getpid ());
  if (ftruncate (fd, 0) != 0 ||
      pwrite (fd, pid_text, strlen (pid_text), 0) != (gssize) strlen (pid_text))
    g_debug ("Cannot write the pid into %s: %s", path, g_strerror (errno));

  return fd;
}
