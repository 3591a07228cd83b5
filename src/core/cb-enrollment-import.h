/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Importing device certificates in bulk into DPS individual enrollments
 * (cb-enrollment-import.c). */
#pragma once

#include <gio/gio.h>

#include "cb-dps-service-client.h"
#include "cb-x509.h"

G_BEGIN_DECLS

typedef enum
{
  CB_ENROLLMENT_IMPORT_PENDING,
  CB_ENROLLMENT_IMPORT_CREATED,
  /* The registration id is enrolled already with this very certificate: nothing to do. */
  CB_ENROLLMENT_IMPORT_EXISTS,
  /* The registration id is enrolled already with another certificate or attestation. */
  CB_ENROLLMENT_IMPORT_CONFLICT,
  CB_ENROLLMENT_IMPORT_INVALID_CERTIFICATE,
  CB_ENROLLMENT_IMPORT_INVALID_ID,
  CB_ENROLLMENT_IMPORT_DUPLICATE,
  CB_ENROLLMENT_IMPORT_SERVICE_ERROR,
  CB_ENROLLMENT_IMPORT_CANCELLED,
} CbEnrollmentImportStatus;

/* "created", "exists", "conflict", "invalid-certificate", "invalid-id", "duplicate",
 * "service-error", "cancelled" (the --json spelling), "pending". */
const char *cb_enrollment_import_status_to_string (CbEnrollmentImportStatus status);
/* TRUE for the statuses that leave the device unenrolled as asked (all but created and exists,
 * and pending). */
gboolean    cb_enrollment_import_status_is_failure (CbEnrollmentImportStatus status);

/* One certificate of the input and what became of it. */
typedef struct
{
  char                     *source;          /* "dev-7.pem", or "devices.csv, line 12" */
  char                     *registration_id; /* NULL when none could be read */
  CbCertificate            *certificate;     /* NULL when none could be read */
  CbEnrollmentImportStatus  status;
  char                     *message;         /* why, for every status but created; else NULL */
} CbEnrollmentImportItem;

#define CB_ENROLLMENT_IMPORT_DEFAULT_IN_FLIGHT 4
/* Larger files are not certificates: refused without reading them whole. */
#define CB_ENROLLMENT_IMPORT_MAX_FILE_SIZE     (64 * 1024)
#define CB_ENROLLMENT_IMPORT_MAX_CSV_SIZE      (64 * 1024 * 1024)

#define CB_TYPE_ENROLLMENT_IMPORT (cb_enrollment_import_get_type ())
G_DECLARE_FINAL_TYPE (CbEnrollmentImport, cb_enrollment_import, CB, ENROLLMENT_IMPORT, GObject)

/* @source: a folder of certificate files (*.pem, *.crt, *.cer, *.der; others are not read), or
 * a CSV file (*.csv) of serial,certificate (docs/enrollment-import.md). */
CbEnrollmentImport *cb_enrollment_import_new          (CbDpsServiceClient  *dps,
                                                       GFile               *source);
/* How many enrollments are asked of DPS at once (default CB_ENROLLMENT_IMPORT_DEFAULT_IN_FLIGHT). */
void                cb_enrollment_import_set_max_in_flight (CbEnrollmentImport *self,
                                                            guint               max_in_flight);
/* The certificate policy each new enrollment names (cb_dps_enrollment_set_policy()): @ca_name
 * NULL in the credential model; @policy NULL names none. */
void                cb_enrollment_import_set_policy   (CbEnrollmentImport *self,
                                                       const char         *namespace_name,
                                                       const char         *ca_name,
                                                       const char         *policy);

/* Reads the input (on a worker thread), then creates each enrollment that is not there yet;
 * "items-read" is emitted once the input is read, "item-finished" (index) as each item gets
 * its result. One item's failure never stops the rest. Cancelling stops asking DPS: the items
 * not done end cancelled and the finish fails with G_IO_ERROR_CANCELLED. It fails otherwise
 * only when the input cannot be read at all. */
void                cb_enrollment_import_run_async    (CbEnrollmentImport  *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean            cb_enrollment_import_run_finish   (CbEnrollmentImport  *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);

/* Returns: (transfer none) (element-type CbEnrollmentImportItem): the items in input order
 * (empty until the input is read) */
GPtrArray          *cb_enrollment_import_get_items    (CbEnrollmentImport  *self);
guint               cb_enrollment_import_get_n_finished (CbEnrollmentImport *self);
guint               cb_enrollment_import_count        (CbEnrollmentImport       *self,
                                                       CbEnrollmentImportStatus  status);
guint               cb_enrollment_import_count_failed (CbEnrollmentImport  *self);

/* The input read into items without asking DPS (statuses PENDING or the reason an item cannot
 * be enrolled), blocking: what run_async does on its worker thread.
 * Returns: (transfer full) (element-type CbEnrollmentImportItem) */
GPtrArray          *cb_enrollment_import_read_source  (GFile               *source,
                                                       GCancellable        *cancellable,
                                                       GError             **error);

G_END_DECLS
