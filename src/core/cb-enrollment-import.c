/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-enrollment-import"

/* CbEnrollmentImport: device certificates in bulk (a folder of certificate files, or a CSV of
 * serial,certificate) into DPS individual enrollments attested by X.509. The input is read on
 * a worker thread into one item per certificate, each checked as DPS would (a device's
 * certificate, not expired, its subject's CN a valid registration id, once in the input); then
 * each item is asked of DPS with a bounded number in flight: read first (enrolled already, with
 * this certificate or another?), created with a PUT when absent. Every item ends with its own
 * result; one failure never stops the rest. Only certificates are read: a file that holds a
 * private key is refused and wiped from memory, never sent. See docs/enrollment-import.md. */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "cb-csv-reader.h"
#include "cb-dps-enrollment-x509.h"
#include "cb-enrollment-import.h"
#include "cb-error.h"
#include "cb-registration-template.h"
#include "cb-util.h"

struct _CbEnrollmentImport
{
  GObject             parent_instance;

  CbDpsServiceClient *dps;
  GFile              *source;
  guint               max_in_flight;
  char               *namespace_name;
  char               *ca_name;
  char               *policy;

  GPtrArray          *items;        /* CbEnrollmentImportItem, in input order */
  GTask              *task;         /* the run, while it runs */
  guint               next;         /* the next item to ask DPS about */
  guint               in_flight;
  guint               n_finished;
};

G_DEFINE_FINAL_TYPE (CbEnrollmentImport, cb_enrollment_import, G_TYPE_OBJECT)

enum
{
  SIGNAL_ITEMS_READ,
  SIGNAL_ITEM_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const certificate_suffixes[] = { ".pem", ".crt", ".cer", ".der", NULL };

const char *
cb_enrollment_import_status_to_string (CbEnrollmentImportStatus status)
{
  switch (status)
    {
    case CB_ENROLLMENT_IMPORT_CREATED: return "created";
    case CB_ENROLLMENT_IMPORT_EXISTS: return "exists";
    case CB_ENROLLMENT_IMPORT_CONFLICT: return "conflict";
    case CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE: return "invalid-certificate";
    case CB_ENROLLMENT_IMPORT_INVALID_ID: return "invalid-id";
    case CB_ENROLLMENT_IMPORT_DUPLICATE: return "duplicate";
    case CB_ENROLLMENT_IMPORT_SERVICE_ERROR: return "service-error";
    case CB_ENROLLMENT_IMPORT_CANCELLED: return "cancelled";
    case CB_ENROLLMENT_IMPORT_PENDING:
    default: return "pending";
    }
}

gboolean
cb_enrollment_import_status_is_failure (CbEnrollmentImportStatus status)
{
  return status != CB_ENROLLMENT_IMPORT_CREATED && status != CB_ENROLLMENT_IMPORT_EXISTS &&
         status != CB_ENROLLMENT_IMPORT_PENDING;
}

static void
item_free (CbEnrollmentImportItem *item)
{
  g_free (item->source);
  g_free (item->registration_id);
  g_clear_object (&item->certificate);
  g_free (item->message);
  g_free (item);
}

static void
item_fail (CbEnrollmentImportItem   *item,
           CbEnrollmentImportStatus  status,
           char                     *message)
{
  item->status = status;
  g_free (item->message);
  item->message = message;
}

static gboolean
has_suffix (const char          *name,
            const char * const  *suffixes)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; suffixes[i] != NULL; i++)
    if (g_str_has_suffix (lower, suffixes[i]))
      return TRUE;
  return FALSE;
}

/* ---- Reading the input ------------------------------------------------------------------ */

/* The checks DPS makes of an individual enrollment's certificate and id, and the id: the
 * certificate's CN (DPS matches the two when the device registers), or the CSV's serial when
 * the subject has none. */
static void
item_take_certificate (CbEnrollmentImportItem *item,
                       CbCertificate          *certificate,
                       const char             *serial)
{
  g_autoptr(GError) error = NULL;
  const char *cn;
  char *id;

  item->certificate = certificate;
  cn = cb_certificate_get_common_name (certificate);
  item->registration_id = g_strdup (cn != NULL ? cn : serial);

  if (cb_certificate_is_ca (certificate))
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                 g_strdup (_("This is a CA certificate: an individual enrollment takes a "
                             "device's own certificate")));
      return;
    }
  if (cb_certificate_get_validity_state (certificate, g_get_real_time () / G_USEC_PER_SEC,
                                         CB_DEFAULT_RENEWAL_FRACTION) == CB_VALIDITY_EXPIRED)
    {
      g_autofree char *when = cb_time_format_fixed (cb_certificate_get_not_after (certificate));

      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                 g_strdup_printf (_("The certificate expired on %s"), when));
      return;
    }
  if (cn == NULL && serial == NULL)
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_ID,
                 g_strdup (_("The certificate's subject has no common name (CN), which DPS "
                             "takes as the device's registration id")));
      return;
    }
  if (cn != NULL && serial != NULL && *serial != '\0' && g_ascii_strcasecmp (cn, serial) != 0)
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_ID,
                 g_strdup_printf (_("The certificate's common name is “%s” but the serial column "
                                    "says “%s”: DPS registers an X.509 device by its certificate's "
                                    "common name"), cn, serial));
      return;
    }
  if (!(id = cb_registration_id_normalize (item->registration_id, &error)))
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_ID, g_strdup (error->message));
      return;
    }
  g_free (item->registration_id);
  item->registration_id = id;
}

static gboolean
holds_private_key (const char *data,
                   gsize       len)
{
  return g_strstr_len (data, len, "PRIVATE KEY-----") != NULL;
}

/* A certificate file's contents (PEM or DER; with a chain, its first certificate is the
 * device's). */
static void
item_read_data (CbEnrollmentImportItem *item,
                const char             *data,
                gsize                   len,
                const char             *serial)
{
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;

  if (holds_private_key (data, len))
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                 g_strdup (_("This holds a private key, which Certbench does not read: give the "
                             "device's certificate alone")));
      return;
    }
  certificates = cb_certificate_list_new_from_data ((const guint8 *) data, len, &error);
  if (certificates == NULL || certificates->len == 0)
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                 g_strdup_printf (_("Not a certificate (PEM or DER): %s"),
                                  error != NULL ? error->message : _("none found")));
      return;
    }
  item_take_certificate (item, g_object_ref (g_ptr_array_index (certificates, 0)), serial);
}

/* Reads a file of at most @max bytes; contents wiped before they are freed, in case they hold
 * a key after all. */
static void
item_read_file (CbEnrollmentImportItem *item,
                GFile                  *file,
                const char             *serial,
                GCancellable           *cancellable)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFileInfo) info = NULL;
  char *data = NULL;
  gsize len = 0;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            cancellable, &error);
  if (info != NULL && g_file_info_get_size (info) > CB_ENROLLMENT_IMPORT_MAX_FILE_SIZE)
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                 g_strdup_printf (_("The file is larger than %d KiB: not a certificate"),
                                  CB_ENROLLMENT_IMPORT_MAX_FILE_SIZE / 1024));
      return;
    }
  if (info == NULL || !g_file_load_contents (file, cancellable, &data, &len, NULL, &error))
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                 g_strdup_printf (_("The file could not be read: %s"), error->message));
      return;
    }
  item_read_data (item, data, len, serial);
  memset (data, 0, len);
  g_free (data);
}

/* A CSV record's certificate field: PEM (line breaks as they are inside quotes, or written
 * \n), base64 DER, or the path of a certificate file (relative to the CSV's folder). */
static void
item_read_field (CbEnrollmentImportItem *item,
                 const char             *field,
                 const char             *serial,
                 GFile                  *folder,
                 GCancellable           *cancellable)
{
  g_autofree char *text = g_strstrip (g_strdup (field));
  g_autoptr(CbCertificate) certificate = NULL;
  g_autoptr(GFile) file = NULL;

  if (*text == '\0')
    {
      item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                 g_strdup (_("The certificate column is empty")));
      return;
    }

  if (strstr (text, "-----BEGIN") != NULL)
    {
      g_autoptr(GString) pem = g_string_new (text);

      g_string_replace (pem, "\\r", "", 0);
      g_string_replace (pem, "\\n", "\n", 0);
      item_read_data (item, pem->str, pem->len, serial);
      memset (pem->str, 0, pem->len);
      return;
    }

  if ((certificate = cb_certificate_new_from_text (text)) != NULL)
    {
      item_take_certificate (item, g_steal_pointer (&certificate), serial);
      return;
    }

  file = g_file_resolve_relative_path (folder, text);
  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, cancellable) == G_FILE_TYPE_REGULAR)
    {
      item_read_file (item, file, serial, cancellable);
      return;
    }

  item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
             g_strdup (_("The certificate column is neither PEM, base64 DER nor the name of a "
                         "certificate file")));
}

static CbEnrollmentImportItem *
item_new (char *source)
{
  CbEnrollmentImportItem *item = g_new0 (CbEnrollmentImportItem, 1);

  item->source = source;
  return item;
}

static gboolean
read_csv (GPtrArray     *items,
          GFile         *file,
          GCancellable  *cancellable,
          GError       **error)
{
  g_autoptr(GFile) folder = g_file_get_parent (file);
  g_autofree char *name = g_file_get_basename (file);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            cancellable, error);
  if (info == NULL)
    return FALSE;
  if (g_file_info_get_size (info) > CB_ENROLLMENT_IMPORT_MAX_CSV_SIZE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("%s is larger than %d MiB"), name, CB_ENROLLMENT_IMPORT_MAX_CSV_SIZE >> 20);
      return FALSE;
    }
  if (!g_file_load_contents (file, cancellable, &data, &len, NULL, error))
    return FALSE;
  records = cb_csv_parse (data, len, error);
  memset (data, 0, len);
  if (records == NULL)
    {
      g_prefix_error (error, "%s: ", name);
      return FALSE;
    }

  for (guint i = 0; i < records->len; i++)
    {
      CbCsvRecord *record = g_ptr_array_index (records, i);
      CbEnrollmentImportItem *item;
      const char *serial;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;

      serial = record->fields[0];
      /* A header row: "serial,certificate" (any case). */
      if (i == 0 && g_ascii_strcasecmp (g_strstrip (record->fields[0]), "serial") == 0)
        continue;

      item = item_new (g_strdup_printf (_("%s, line %u"), name, record->line));
      g_ptr_array_add (items, item);
      if (g_strv_length (record->fields) != 2)
        {
          item_fail (item, CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
                     g_strdup_printf (_("Expected two columns (serial,certificate), found %u"),
                                      g_strv_length (record->fields)));
          continue;
        }
      g_strstrip (record->fields[0]);
      item_read_field (item, record->fields[1], *serial != '\0' ? serial : NULL, folder,
                       cancellable);
      memset (record->fields[1], 0, strlen (record->fields[1]));
    }
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
read_folder (GPtrArray     *items,
             GFile         *folder,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GFileEnumerator) children = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GFileInfo *info;

  children = g_file_enumerate_children (folder,
                                        G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NONE, cancellable, error);
  if (children == NULL)
    return FALSE;
  while ((info = g_file_enumerator_next_file (children, cancellable, error)) != NULL)
    {
      const char *name = g_file_info_get_name (info);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
          has_suffix (name, certificate_suffixes))
        g_ptr_array_add (names, g_strdup (name));
      g_object_unref (info);
    }
  if (error != NULL && *error != NULL)
    return FALSE;

  /* In name order, so that a report (and which of two duplicates counts) is reproducible. */
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autoptr(GFile) file = g_file_get_child (folder, name);
      CbEnrollmentImportItem *item = item_new (g_strdup (name));

      g_ptr_array_add (items, item);
      item_read_file (item, file, NULL, cancellable);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
  return TRUE;
}

/* Which items name a registration id an earlier item has: the first keeps it. */
static void
mark_duplicates (GPtrArray *items)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < items->len; i++)
    {
      CbEnrollmentImportItem *item = g_ptr_array_index (items, i);
      CbEnrollmentImportItem *first;

      if (item->status != CB_ENROLLMENT_IMPORT_PENDING)
        continue;
      first = g_hash_table_lookup (seen, item->registration_id);
      if (first != NULL)
        item_fail (item, CB_ENROLLMENT_IMPORT_DUPLICATE,
                   g_strdup_printf (_("The registration id %s is also in %s, which is imported "
                                      "instead"), item->registration_id, first->source));
      else
        g_hash_table_insert (seen, item->registration_id, item);
    }
}

GPtrArray *
cb_enrollment_import_read_source (GFile         *source,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  g_autofree char *name = NULL;
  GFileType type;

  g_return_val_if_fail (G_IS_FILE (source), NULL);

  name = g_file_get_basename (source);
  type = g_file_query_file_type (source, G_FILE_QUERY_INFO_NONE, cancellable);
  if (type == G_FILE_TYPE_DIRECTORY)
    {
      if (!read_folder (items, source, cancellable, error))
        return NULL;
    }
  else if (type == G_FILE_TYPE_REGULAR && has_suffix (name, (const char *[]) { ".csv", NULL }))
    {
      if (!read_csv (items, source, cancellable, error))
        return NULL;
    }
  else if (type == G_FILE_TYPE_REGULAR)
    {
      CbEnrollmentImportItem *item = item_new (g_strdup (name));

      g_ptr_array_add (items, item);
      item_read_file (item, source, NULL, cancellable);
    }
  else
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("%s is neither a folder of certificates nor a CSV file"), name);
      return NULL;
    }

  mark_duplicates (items);
  return g_steal_pointer (&items);
}

/* ---- Asking DPS ------------------------------------------------------------------------- */

typedef struct
{
  CbEnrollmentImport *self;
  guint               index;
} ItemRequest;

static void pump (CbEnrollmentImport *self);

static void
item_finished (CbEnrollmentImport *self,
               guint               index)
{
  self->n_finished++;
  g_signal_emit (self, signals[SIGNAL_ITEM_FINISHED], 0, index);
}

static void
item_request_done (ItemRequest *request)
{
  CbEnrollmentImport *self = request->self;

  self->in_flight--;
  item_finished (self, request->index);
  g_free (request);
  pump (self);
  g_object_unref (self);
}

static CbEnrollmentImportItem *
request_item (ItemRequest *request)
{
  return g_ptr_array_index (request->self->items, request->index);
}

static void
item_error (CbEnrollmentImportItem *item,
            const GError           *error,
            const char             *what)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    item_fail (item, CB_ENROLLMENT_IMPORT_CANCELLED, g_strdup (_("Cancelled")));
  else
    item_fail (item, CB_ENROLLMENT_IMPORT_SERVICE_ERROR,
               g_strdup_printf ("%s: %s", what, error->message));
}

static void
put_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  ItemRequest *request = user_data;
  CbEnrollmentImportItem *item = request_item (request);
  g_autoptr(JsonObject) created = NULL;
  g_autoptr(GError) error = NULL;

  created = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                     &error);
  if (created == NULL)
    item_error (item, error, _("DPS refused the enrollment"));
  else
    item->status = CB_ENROLLMENT_IMPORT_CREATED;
  item_request_done (request);
}

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  ItemRequest *request = user_data;
  CbEnrollmentImport *self = request->self;
  CbEnrollmentImportItem *item = request_item (request);
  g_autoptr(JsonObject) existing = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GError) error = NULL;
  CbDpsX509Info info;

  existing = cb_dps_service_client_enrollment_finish (CB_DPS_SERVICE_CLIENT (object), result,
                                                      &error);
  if (existing != NULL)
    {
      g_autofree char *thumbprint = cb_dps_x509_thumbprint (item->certificate);

      if (cb_dps_enrollment_get_x509_info (existing, &info) &&
          g_ascii_strcasecmp (info.sha256_thumbprint != NULL ? info.sha256_thumbprint : "",
                              thumbprint) == 0)
        item_fail (item, CB_ENROLLMENT_IMPORT_EXISTS,
                   g_strdup (_("Enrolled already with this certificate")));
      else
        item_fail (item, CB_ENROLLMENT_IMPORT_CONFLICT,
                   g_strdup_printf (_("The registration id %s is enrolled already with another "
                                      "attestation; delete that enrollment first to replace it"),
                                    item->registration_id));
      item_request_done (request);
      return;
    }
  if (!g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    {
      item_error (item, error, _("The enrollment could not be read"));
      item_request_done (request);
      return;
    }

  body = cb_dps_enrollment_new_x509 (item->registration_id, item->certificate);
  if (self->policy != NULL)
    cb_dps_enrollment_set_policy (body, self->namespace_name, self->ca_name, self->policy);
  cb_dps_service_client_put_async (self->dps, CB_DPS_ENROLLMENT_INDIVIDUAL,
                                   item->registration_id, body, NULL,
                                   g_task_get_cancellable (self->task), put_cb, request);
}

static void
finish_run (CbEnrollmentImport *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (g_cancellable_is_cancelled (cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The import was cancelled"));
  else
    g_task_return_boolean (task, TRUE);
}

/* Starts items until max_in_flight are in flight; ends the run when none is left. */
static void
pump (CbEnrollmentImport *self)
{
  GCancellable *cancellable = g_task_get_cancellable (self->task);

  while (self->next < self->items->len && self->in_flight < self->max_in_flight)
    {
      CbEnrollmentImportItem *item = g_ptr_array_index (self->items, self->next);
      ItemRequest *request;

      if (item->status != CB_ENROLLMENT_IMPORT_PENDING)
        {
          self->next++;
          continue;
        }
      if (g_cancellable_is_cancelled (cancellable))
        {
          item_fail (item, CB_ENROLLMENT_IMPORT_CANCELLED, g_strdup (_("Cancelled")));
          item_finished (self, self->next++);
          continue;
        }

      request = g_new0 (ItemRequest, 1);
      request->self = g_object_ref (self);
      request->index = self->next++;
      self->in_flight++;
      cb_dps_service_client_get_async (self->dps, CB_DPS_ENROLLMENT_INDIVIDUAL,
                                       item->registration_id, cancellable, get_cb, request);
    }

  if (self->next == self->items->len && self->in_flight == 0 && self->task != NULL)
    finish_run (self);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *source = task_data;
  GPtrArray *items;
  GError *error = NULL;

  items = cb_enrollment_import_read_source (source, cancellable, &error);
  if (items == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, items, (GDestroyNotify) g_ptr_array_unref);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  CbEnrollmentImport *self = CB_ENROLLMENT_IMPORT (object);
  GPtrArray *items;
  GError *error = NULL;

  items = g_task_propagate_pointer (G_TASK (result), &error);
  if (items == NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);

      g_task_return_error (task, error);
      return;
    }

  g_ptr_array_unref (self->items);
  self->items = items;
  g_signal_emit (self, signals[SIGNAL_ITEMS_READ], 0);
  /* Those the input already decided are finished before DPS is asked about the rest. */
  for (guint i = 0; i < self->items->len; i++)
    if (((CbEnrollmentImportItem *) g_ptr_array_index (self->items, i))->status !=
        CB_ENROLLMENT_IMPORT_PENDING)
      item_finished (self, i);
  pump (self);
}

void
cb_enrollment_import_run_async (CbEnrollmentImport  *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) read_task = NULL;

  g_return_if_fail (CB_IS_ENROLLMENT_IMPORT (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, cb_enrollment_import_run_async);
  self->next = 0;
  self->n_finished = 0;

  read_task = g_task_new (self, cancellable, read_cb, NULL);
  g_task_set_source_tag (read_task, read_thread);
  g_task_set_task_data (read_task, g_object_ref (self->source), g_object_unref);
  g_task_run_in_thread (read_task, read_thread);
}

gboolean
cb_enrollment_import_run_finish (CbEnrollmentImport  *self,
                                 GAsyncResult        *result,
                                 GError             **error)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_IMPORT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Object ----------------------------------------------------------------------------- */

static void
cb_enrollment_import_dispose (GObject *object)
{
  CbEnrollmentImport *self = CB_ENROLLMENT_IMPORT (object);

  g_clear_object (&self->dps);
  g_clear_object (&self->source);

  G_OBJECT_CLASS (cb_enrollment_import_parent_class)->dispose (object);
}

static void
cb_enrollment_import_finalize (GObject *object)
{
  CbEnrollmentImport *self = CB_ENROLLMENT_IMPORT (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_free (self->namespace_name);
  g_free (self->ca_name);
  g_free (self->policy);

  G_OBJECT_CLASS (cb_enrollment_import_parent_class)->finalize (object);
}

static void
cb_enrollment_import_class_init (CbEnrollmentImportClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_enrollment_import_dispose;
  object_class->finalize = cb_enrollment_import_finalize;

  /**
   * CbEnrollmentImport::items-read:
   *
   * The input is read: cb_enrollment_import_get_items() has every item.
   */
  signals[SIGNAL_ITEMS_READ] = g_signal_new ("items-read", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 0);
  /**
   * CbEnrollmentImport::item-finished:
   * @index: the item's index in cb_enrollment_import_get_items()
   *
   * An item has its result.
   */
  signals[SIGNAL_ITEM_FINISHED] = g_signal_new ("item-finished", G_TYPE_FROM_CLASS (klass),
                                                G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
cb_enrollment_import_init (CbEnrollmentImport *self)
{
  self->max_in_flight = CB_ENROLLMENT_IMPORT_DEFAULT_IN_FLIGHT;
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
}

CbEnrollmentImport *
cb_enrollment_import_new (CbDpsServiceClient *dps,
                          GFile              *source)
{
  CbEnrollmentImport *self;

  g_return_val_if_fail (CB_IS_DPS_SERVICE_CLIENT (dps), NULL);
  g_return_val_if_fail (G_IS_FILE (source), NULL);

  self = g_object_new (CB_TYPE_ENROLLMENT_IMPORT, NULL);
  self->dps = g_object_ref (dps);
  self->source = g_object_ref (source);
  return self;
}

void
cb_enrollment_import_set_max_in_flight (CbEnrollmentImport *self,
                                        guint               max_in_flight)
{
  g_return_if_fail (CB_IS_ENROLLMENT_IMPORT (self));
  g_return_if_fail (max_in_flight > 0);

  self->max_in_flight = max_in_flight;
}

void
cb_enrollment_import_set_policy (CbEnrollmentImport *self,
                                 const char         *namespace_name,
                                 const char         *ca_name,
                                 const char         *policy)
{
  g_return_if_fail (CB_IS_ENROLLMENT_IMPORT (self));
  g_return_if_fail (ca_name == NULL || namespace_name != NULL);

  g_free (self->namespace_name);
  self->namespace_name = g_strdup (namespace_name);
  g_free (self->ca_name);
  self->ca_name = g_strdup (ca_name);
  g_free (self->policy);
  self->policy = g_strdup (policy);
}

GPtrArray *
cb_enrollment_import_get_items (CbEnrollmentImport *self)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_IMPORT (self), NULL);

  return self->items;
}

guint
cb_enrollment_import_get_n_finished (CbEnrollmentImport *self)
{
  g_return_val_if_fail (CB_IS_ENROLLMENT_IMPORT (self), 0);

  return self->n_finished;
}

guint
cb_enrollment_import_count (CbEnrollmentImport       *self,
                            CbEnrollmentImportStatus  status)
{
  guint n = 0;

  g_return_val_if_fail (CB_IS_ENROLLMENT_IMPORT (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    if (((CbEnrollmentImportItem *) g_ptr_array_index (self->items, i))->status == status)
      n++;
  return n;
}

guint
cb_enrollment_import_count_failed (CbEnrollmentImport *self)
{
  guint n = 0;

  g_return_val_if_fail (CB_IS_ENROLLMENT_IMPORT (self), 0);

  for (guint i = 0; i < self->items->len; i++)
    if (cb_enrollment_import_status_is_failure (
          ((CbEnrollmentImportItem *) g_ptr_array_index (self->items, i))->status))
      n++;
  return n;
}
