/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-journal"

/* The journal's SQLite VFS: the default one, except that a write-ahead log's appended frames
 * reach the file as one write a commit. SQLite writes each frame as two pwrite calls (its
 * 24-byte header, then the page, which straddles two of the file's pages), so a station's
 * commit of five pages was ten system calls and fifteen page-cache writes in the kernel. Here
 * the bytes SQLite appends wait in memory until the frame that commits them (its header names
 * the database's size; other frames' do not) has its page, and are then written with one
 * pwrite before that page's xWrite returns: the commit's frames are in the file, or SQLite
 * hears of the error, before it publishes them in the WAL index (sqlite3WalFrames does that
 * after the frames are written). Anything else SQLite does with the file (a read, a sync, a
 * truncation, its size, a write elsewhere, closing it) writes what waits first, so the file
 * reads as if every write had gone through at once. Nothing is synced less: a commit was never
 * synced in WAL mode with synchronous = NORMAL, and a sync still syncs every byte. */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "cb-journal-vfs-private.h"

#define VFS_NAME "certbench-journal"
#define WAL_FRAME_HEADER 24
/* A transaction larger than this (a migration) goes to the file as it fills. */
#define WAL_BUFFER_MAX (1024 * 1024)

typedef struct
{
  sqlite3_file  base;
  sqlite3_file *real;   /* the default VFS's file, in the same allocation after this */
  gboolean      wal;
  gboolean      commit_frame;   /* the last header buffered was a commit frame's */
  char         *pending;
  gsize         len;
  gsize         size;
  sqlite3_int64 offset;         /* where pending goes */
} VfsFile;

static sqlite3_vfs *real_vfs;

static int
flush_pending (VfsFile *self)
{
  int rc;

  if (self->len == 0)
    return SQLITE_OK;
  rc = self->real->pMethods->xWrite (self->real, self->pending, (int) self->len, self->offset);
  self->len = 0;
  self->commit_frame = FALSE;
  return rc;
}

static int
vfs_close (sqlite3_file *file)
{
  VfsFile *self = (VfsFile *) file;
  int rc = flush_pending (self);
  int close_rc = self->real->pMethods->xClose (self->real);

  g_clear_pointer (&self->pending, g_free);
  return rc != SQLITE_OK ? rc : close_rc;
}

static int
vfs_read (sqlite3_file *file,
          void         *data,
          int           amount,
          sqlite3_int64 offset)
{
  VfsFile *self = (VfsFile *) file;
  int rc = flush_pending (self);

  if (rc != SQLITE_OK)
    return rc;
  return self->real->pMethods->xRead (self->real, data, amount, offset);
}

static int
vfs_write (sqlite3_file *file,
           const void   *data,
           int           amount,
           sqlite3_int64 offset)
{
  VfsFile *self = (VfsFile *) file;
  gboolean commit_header;
  int rc;

  if (!self->wal)
    return self->real->pMethods->xWrite (self->real, data, amount, offset);

  /* Only bytes that follow what waits join it. */
  if (self->len > 0 && (offset != self->offset + (sqlite3_int64) self->len ||
                        self->len + (gsize) amount > WAL_BUFFER_MAX))
    {
      rc = flush_pending (self);
      if (rc != SQLITE_OK)
        return rc;
    }
  if ((gsize) amount > WAL_BUFFER_MAX)
    return self->real->pMethods->xWrite (self->real, data, amount, offset);

  /* A frame's header: its page number, then the database's size in pages after the commit for
   * the frame that commits, 0 for the others (SQLite's WAL format, big-endian). */
  commit_header = amount == WAL_FRAME_HEADER &&
                  memcmp ((const char *) data + 4, "\0\0\0\0", 4) != 0;

  if (self->len == 0)
    self->offset = offset;
  if (self->len + (gsize) amount > self->size)
    {
      self->size = MAX (self->len + (gsize) amount, MAX (self->size * 2, 16 * 1024));
      self->pending = g_realloc (self->pending, self->size);
    }
  memcpy (self->pending + self->len, data, (gsize) amount);
  self->len += (gsize) amount;

  /* The commit frame's page: everything waiting goes now, and SQLite hears how it went. */
  if (self->commit_frame && !commit_header)
    return flush_pending (self);
  self->commit_frame = commit_header;
  return SQLITE_OK;
}

static int
vfs_truncate (sqlite3_file *file,
              sqlite3_int64 size)
{
  VfsFile *self = (VfsFile *) file;
  int rc = flush_pending (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xTruncate (self->real, size);
}

static int
vfs_sync (sqlite3_file *file,
          int           flags)
{
  VfsFile *self = (VfsFile *) file;
  int rc = flush_pending (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xSync (self->real, flags);
}

static int
vfs_file_size (sqlite3_file  *file,
               sqlite3_int64 *size)
{
  VfsFile *self = (VfsFile *) file;
  int rc = flush_pending (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xFileSize (self->real, size);
}

static int
vfs_lock (sqlite3_file *file,
          int           level)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xLock (self->real, level);
}

static int
vfs_unlock (sqlite3_file *file,
            int           level)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xUnlock (self->real, level);
}

static int
vfs_check_reserved_lock (sqlite3_file *file,
                         int          *out)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xCheckReservedLock (self->real, out);
}

static int
vfs_file_control (sqlite3_file *file,
                  int           op,
                  void         *arg)
{
  VfsFile *self = (VfsFile *) file;
  int rc = flush_pending (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xFileControl (self->real, op, arg);
}

static int
vfs_sector_size (sqlite3_file *file)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xSectorSize (self->real);
}

static int
vfs_device_characteristics (sqlite3_file *file)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xDeviceCharacteristics (self->real);
}

static int
vfs_shm_map (sqlite3_file  *file,
             int            page,
             int            page_size,
             int            extend,
             void volatile **out)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xShmMap (self->real, page, page_size, extend, out);
}

static int
vfs_shm_lock (sqlite3_file *file,
              int           offset,
              int           n,
              int           flags)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xShmLock (self->real, offset, n, flags);
}

static void
vfs_shm_barrier (sqlite3_file *file)
{
  VfsFile *self = (VfsFile *) file;

  self->real->pMethods->xShmBarrier (self->real);
}

static int
vfs_shm_unmap (sqlite3_file *file,
               int           delete_flag)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xShmUnmap (self->real, delete_flag);
}

static int
vfs_fetch (sqlite3_file  *file,
           sqlite3_int64  offset,
           int            amount,
           void         **out)
{
  VfsFile *self = (VfsFile *) file;
  int rc = flush_pending (self);

  return rc != SQLITE_OK ? rc : self->real->pMethods->xFetch (self->real, offset, amount, out);
}

static int
vfs_unfetch (sqlite3_file  *file,
             sqlite3_int64  offset,
             void          *page)
{
  VfsFile *self = (VfsFile *) file;

  return self->real->pMethods->xUnfetch (self->real, offset, page);
}

/* The default VFS's file methods, each through this file; SQLite asks a file for the methods
 * of the version the default VFS's file has (xShm* from 2, xFetch from 3). */
static sqlite3_io_methods io_methods = {
  .iVersion = 3,
  .xClose = vfs_close,
  .xRead = vfs_read,
  .xWrite = vfs_write,
  .xTruncate = vfs_truncate,
  .xSync = vfs_sync,
  .xFileSize = vfs_file_size,
  .xLock = vfs_lock,
  .xUnlock = vfs_unlock,
  .xCheckReservedLock = vfs_check_reserved_lock,
  .xFileControl = vfs_file_control,
  .xSectorSize = vfs_sector_size,
  .xDeviceCharacteristics = vfs_device_characteristics,
  .xShmMap = vfs_shm_map,
  .xShmLock = vfs_shm_lock,
  .xShmBarrier = vfs_shm_barrier,
  .xShmUnmap = vfs_shm_unmap,
  .xFetch = vfs_fetch,
  .xUnfetch = vfs_unfetch,
};

static sqlite3_io_methods io_methods_v1;
static sqlite3_io_methods io_methods_v2;

static int
vfs_open (sqlite3_vfs  *vfs,
          const char   *name,
          sqlite3_file *file,
          int           flags,
          int          *out_flags)
{
  VfsFile *self = (VfsFile *) file;
  int rc;

  memset (self, 0, sizeof *self);
  self->real = (sqlite3_file *) (self + 1);
  rc = real_vfs->xOpen (real_vfs, name, self->real, flags, out_flags);
  if (self->real->pMethods == NULL)
    return rc;

  self->wal = (flags & SQLITE_OPEN_WAL) != 0;
  switch (self->real->pMethods->iVersion)
    {
    case 1:
      self->base.pMethods = &io_methods_v1;
      break;
    case 2:
      self->base.pMethods = &io_methods_v2;
      break;
    default:
      self->base.pMethods = &io_methods;
      break;
    }
  return rc;
}

static int
vfs_delete (sqlite3_vfs *vfs,
            const char  *name,
            int          sync_dir)
{
  return real_vfs->xDelete (real_vfs, name, sync_dir);
}

static int
vfs_access (sqlite3_vfs *vfs,
            const char  *name,
            int          flags,
            int         *out)
{
  return real_vfs->xAccess (real_vfs, name, flags, out);
}

static int
vfs_full_pathname (sqlite3_vfs *vfs,
                   const char  *name,
                   int          size,
                   char        *out)
{
  return real_vfs->xFullPathname (real_vfs, name, size, out);
}

static void *
vfs_dl_open (sqlite3_vfs *vfs,
             const char  *name)
{
  return real_vfs->xDlOpen (real_vfs, name);
}

static void
vfs_dl_error (sqlite3_vfs *vfs,
              int          size,
              char        *out)
{
  real_vfs->xDlError (real_vfs, size, out);
}

static void (*
vfs_dl_sym (sqlite3_vfs *vfs,
            void        *handle,
            const char  *symbol)) (void)
{
  return real_vfs->xDlSym (real_vfs, handle, symbol);
}

static void
vfs_dl_close (sqlite3_vfs *vfs,
              void        *handle)
{
  real_vfs->xDlClose (real_vfs, handle);
}

static int
vfs_randomness (sqlite3_vfs *vfs,
                int          size,
                char        *out)
{
  return real_vfs->xRandomness (real_vfs, size, out);
}

static int
vfs_sleep (sqlite3_vfs *vfs,
           int          microseconds)
{
  return real_vfs->xSleep (real_vfs, microseconds);
}

static int
vfs_current_time (sqlite3_vfs *vfs,
                  double      *out)
{
  return real_vfs->xCurrentTime (real_vfs, out);
}

static int
vfs_get_last_error (sqlite3_vfs *vfs,
                    int          size,
                    char        *out)
{
  return real_vfs->xGetLastError (real_vfs, size, out);
}

static int
vfs_current_time_int64 (sqlite3_vfs   *vfs,
                        sqlite3_int64 *out)
{
  return real_vfs->xCurrentTimeInt64 (real_vfs, out);
}

static sqlite3_vfs vfs = {
  .iVersion = 2,
  .zName = VFS_NAME,
  .xOpen = vfs_open,
  .xDelete = vfs_delete,
  .xAccess = vfs_access,
  .xFullPathname = vfs_full_pathname,
  .xDlOpen = vfs_dl_open,
  .xDlError = vfs_dl_error,
  .xDlSym = vfs_dl_sym,
  .xDlClose = vfs_dl_close,
  .xRandomness = vfs_randomness,
  .xSleep = vfs_sleep,
  .xCurrentTime = vfs_current_time,
  .xGetLastError = vfs_get_last_error,
  .xCurrentTimeInt64 = vfs_current_time_int64,
};

const char *
cb_journal_vfs_name (void)
{
  static gsize registered = 0;

  if (g_once_init_enter (&registered))
    {
      real_vfs = sqlite3_vfs_find (NULL);
      if (real_vfs != NULL && real_vfs->iVersion >= 2 && real_vfs->xCurrentTimeInt64 != NULL)
        {
          vfs.szOsFile = (int) sizeof (VfsFile) + real_vfs->szOsFile;
          vfs.mxPathname = real_vfs->mxPathname;
          io_methods_v1 = io_methods;
          io_methods_v1.iVersion = 1;
          io_methods_v2 = io_methods;
          io_methods_v2.iVersion = 2;
          if (sqlite3_vfs_register (&vfs, 0) != SQLITE_OK)
            real_vfs = NULL;
        }
      else
        real_vfs = NULL;
      g_once_init_leave (&registered, 1);
    }

  /* NULL: SQLite's default, as when this VFS could not be set up. */
  return real_vfs != NULL ? VFS_NAME : NULL;
}
