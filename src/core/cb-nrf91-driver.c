/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The nRF91 driver: the station's device steps (identify, key and CSR, install, commit,
 * read-back) as sequences of the modem's AT operations, each write inside an offline bracket
 * (+CFUN? first, +CFUN=4 when the modem is in another mode, that mode again afterwards, also
 * when the write failed). What the modem cannot do is said with a reason. */
#define G_LOG_DOMAIN "cb-nrf91-driver"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "cb-csr.h"
#include "cb-device-info.h"
#include "cb-device-results.h"
#include "cb-nrf91-driver.h"
#include "cb-x509.h"

struct _CbNrf91Driver
{
  GObject          parent_instance;

  CbNrf91Modem    *modem;
  guint32          sec_tag;
  /* From the last create_key: the CSR and its attestation, for create_csr. */
  char            *csr_common_name;
  CbNrf91Keygen   *keygen;
  /* The protocol log attached (a run's), and its handler on the AT channel. */
  CbProtocolLog   *log;
  gulong           traffic_id;
};

static void cb_nrf91_driver_iface_init (CbDeviceDriverInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CbNrf91Driver, cb_nrf91_driver, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (CB_TYPE_DEVICE_DRIVER,
                                                      cb_nrf91_driver_iface_init))

/* ---- chain texts ---- */

void
cb_nrf91_driver_chain_texts (GPtrArray  *certificates,
                             char      **client_pem,
                             char      **root_pem)
{
  g_autoptr(GPtrArray) client = g_ptr_array_new ();
  CbCertificate *last = NULL;
  guint n = certificates->len;

  if (n > 1)
    {
      last = g_ptr_array_index (certificates, n - 1);
      if (g_strcmp0 (cb_certificate_get_subject (last), cb_certificate_get_issuer (last)) != 0)
        last = NULL;
    }
  for (guint i = 0; i < n; i++)
    if (g_ptr_array_index (certificates, i) != last)
      g_ptr_array_add (client, g_ptr_array_index (certificates, i));
  *client_pem = cb_certificate_list_to_pem (client);
  *root_pem = last != NULL ? cb_certificate_to_pem (last) : NULL;
}

/* ---- jobs: an offline bracket around a body of modem operations ---- */

typedef struct Job Job;
typedef void (*JobFunc) (GTask *task);

struct Job
{
  int                 saved_cfun;     /* -1 until read */
  gboolean            went_offline;
  GError             *error;          /* the body's, returned after the bracket closes */
  JobFunc             body;
  JobFunc             complete;       /* returns the task's value */
  /* create_key */
  char               *common_name;
  gboolean            want_attributes;
  /* install, read back */
  char               *client_pem;
  char               *root_pem;
  GPtrArray          *list;           /* CbNrf91Credential */
  guint               next;
  /* identify */
  CbNrf91Identity    *identity;
};

static void
job_free (Job *job)
{
  g_clear_error (&job->error);
  g_free (job->common_name);
  g_free (job->client_pem);
  g_free (job->root_pem);
  g_clear_pointer (&job->list, g_ptr_array_unref);
  g_clear_pointer (&job->identity, cb_nrf91_identity_free);
  g_free (job);
}

static GTask *
job_new (CbNrf91Driver       *self,
         gpointer             source_tag,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data,
         JobFunc              body,
         JobFunc              complete)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Job *job = g_new0 (Job, 1);

  g_task_set_source_tag (task, source_tag);
  job->saved_cfun = -1;
  job->body = body;
  job->complete = complete;
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  return task;
}

static CbNrf91Driver *
job_driver (GTask *task)
{
  return g_task_get_source_object (task);
}

static Job *
job_of (GTask *task)
{
  return g_task_get_task_data (task);
}

static void
job_finish (GTask *task)
{
  Job *job = job_of (task);

  if (job->error != NULL)
    g_task_return_error (task, g_steal_pointer (&job->error));
  else
    job->complete (task);
  g_object_unref (task);
}

static void
restore_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  g_autoptr(GError) error = NULL;

  if (!cb_nrf91_modem_set_cfun_finish (CB_NRF91_MODEM (source), result, &error))
    {
      g_warning ("Could not put the modem back into functional mode %d: %s",
                 job->saved_cfun, error->message);
      if (job->error == NULL)
        job->error = g_error_new (error->domain, error->code,
                                  _("The modem could not go back to functional mode %d: %s"),
                                  job->saved_cfun, error->message);
    }
  job_finish (task);
}

/* Ends the body: error (taken) or NULL; the bracket closes either way. */
static void
job_end_body (GTask  *task,
              GError *error)
{
  Job *job = job_of (task);

  if (error != NULL && job->error == NULL)
    job->error = error;
  else if (error != NULL)
    g_error_free (error);

  if (job->went_offline)
    {
      /* Not cancellable: the modem must not stay offline because the run was stopped. */
      cb_nrf91_modem_set_cfun_async (job_driver (task)->modem, job->saved_cfun, NULL,
                                     restore_cb, task);
      return;
    }
  job_finish (task);
}

static void
offline_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;

  if (!cb_nrf91_modem_set_cfun_finish (CB_NRF91_MODEM (source), result, &error))
    {
      job->error = error;
      job_finish (task);
      return;
    }
  job->went_offline = TRUE;
  job->body (task);
}

static void
cfun_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;

  job->saved_cfun = cb_nrf91_modem_get_cfun_finish (CB_NRF91_MODEM (source), result, &error);
  if (job->saved_cfun < 0)
    {
      job->error = error;
      job_finish (task);
      return;
    }
  /* Writes need power off (0) or offline (4); any other mode goes offline for the while. */
  if (job->saved_cfun == CB_NRF91_CFUN_OFFLINE || job->saved_cfun == CB_NRF91_CFUN_POWER_OFF)
    {
      job->body (task);
      return;
    }
  cb_nrf91_modem_set_cfun_async (CB_NRF91_MODEM (source), CB_NRF91_CFUN_OFFLINE,
                                 g_task_get_cancellable (task), offline_cb, task);
}

/* Takes the task. */
static void
job_run_offline (GTask *task)
{
  cb_nrf91_modem_get_cfun_async (job_driver (task)->modem, g_task_get_cancellable (task),
                                 cfun_cb, task);
}

/* The credential of @type in the job's list, or NULL. */
static CbNrf91Credential *
job_find (Job             *job,
          CbNrf91CredType  type)
{
  for (guint i = 0; job->list != NULL && i < job->list->len; i++)
    {
      CbNrf91Credential *c = g_ptr_array_index (job->list, i);

      if (c->type == type)
        return c;
    }
  return NULL;
}

static GError *
explain (GError     *error,
         const char *what)
{
  GError *explained = g_error_new (error->domain, error->code, "%s: %s", what, error->message);

  g_error_free (error);
  return explained;
}

/* ---- identify ---- */

static void
identify_cfun_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  CbNrf91Driver *self = job_driver (task);
  GError *error = NULL;
  static const char * const key_types[] = { "p256", NULL };
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(GString) creds = g_string_new (NULL);
  g_autofree char *tag = NULL;
  g_autofree char *cfun = NULL;
  int mode;

  mode = cb_nrf91_modem_get_cfun_finish (CB_NRF91_MODEM (source), result, &error);
  if (mode < 0)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  info = cb_device_info_new (job->identity->imei, job->identity->model,
                             job->identity->firmware, key_types);
  cb_device_info_set_fact (info, "imei", job->identity->imei);
  if (job->identity->uuid != NULL)
    cb_device_info_set_fact (info, "uuid", job->identity->uuid);
  tag = g_strdup_printf ("%u", self->sec_tag);
  cb_device_info_set_fact (info, "sec_tag", tag);
  /* What Diagnostics can show of the modem: its functional mode and the tag's entries. */
  cfun = g_strdup_printf ("%d", mode);
  cb_device_info_set_fact (info, "cfun", cfun);
  for (guint i = 0; i < job->list->len; i++)
    {
      CbNrf91Credential *c = g_ptr_array_index (job->list, i);

      g_string_append_printf (creds, "%s%s %.8s…", creds->len > 0 ? ", " : "",
                              cb_nrf91_cred_type_text (c->type), c->sha256);
    }
  cb_device_info_set_fact (info, "credentials", creds->str);
  if (job_find (job, CB_NRF91_CRED_CLIENT_KEY) != NULL)
    cb_device_info_set_key_type (info, "p256");
  cb_device_info_set_has_active_chain (info, job_find (job, CB_NRF91_CRED_CLIENT_CERT) != NULL);
  g_task_return_pointer (task, g_steal_pointer (&info), g_object_unref);
  g_object_unref (task);
}

static void
identify_list_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;

  job->list = cb_nrf91_modem_cmng_list_finish (CB_NRF91_MODEM (source), result, &error);
  if (job->list == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  cb_nrf91_modem_get_cfun_async (CB_NRF91_MODEM (source), g_task_get_cancellable (task),
                                 identify_cfun_cb, task);
}

static void
identify_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;

  job->identity = cb_nrf91_modem_identify_finish (CB_NRF91_MODEM (source), result, &error);
  if (job->identity == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  cb_nrf91_modem_cmng_list_async (CB_NRF91_MODEM (source), job_driver (task)->sec_tag, -1,
                                  g_task_get_cancellable (task), identify_list_cb, task);
}

static void
nrf91_identify_async (CbDeviceDriver      *driver,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);
  GTask *task = job_new (self, nrf91_identify_async, cancellable, callback, user_data, NULL, NULL);

  cb_nrf91_modem_identify_async (self->modem, cancellable, identify_cb, task);
}

static CbDeviceInfo *
nrf91_identify_finish (CbDeviceDriver  *driver,
                       GAsyncResult    *result,
                       GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- create key (and with it the CSR: %KEYGEN makes both) ---- */

static void
keygen_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GTask *task = user_data;
  CbNrf91Driver *self = job_driver (task);
  Job *job = job_of (task);
  GError *error = NULL;
  CbNrf91Keygen *keygen;

  keygen = cb_nrf91_modem_keygen_finish (CB_NRF91_MODEM (source), result, &error);
  if (keygen == NULL)
    {
      job_end_body (task, explain (error, _("The modem could not make a key and CSR")));
      return;
    }
  g_clear_pointer (&self->keygen, cb_nrf91_keygen_free);
  self->keygen = keygen;
  g_free (self->csr_common_name);
  self->csr_common_name = g_strdup (job->common_name);
  job_end_body (task, NULL);
}

static void
key_generate (GTask *task)
{
  CbNrf91Driver *self = job_driver (task);
  Job *job = job_of (task);
  g_autofree char *attributes = g_strdup_printf ("CN=%s", job->common_name);

  cb_nrf91_modem_keygen_async (self->modem, self->sec_tag, attributes,
                               g_task_get_cancellable (task), keygen_cb, task);
}

static void
key_delete_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!cb_nrf91_modem_cmng_delete_finish (CB_NRF91_MODEM (source), result, &error) &&
      !g_error_matches (error, CB_AT_CME_ERROR, 513))
    {
      job_end_body (task, explain (error, _("The modem could not delete the old key")));
      return;
    }
  g_clear_error (&error);
  key_generate (task);
}

static void
key_list_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;

  job->list = cb_nrf91_modem_cmng_list_finish (CB_NRF91_MODEM (source), result, &error);
  if (job->list == NULL)
    {
      job_end_body (task, error);
      return;
    }
  /* %KEYGEN never overwrites (519): the tag's old key goes first. */
  if (job_find (job, CB_NRF91_CRED_CLIENT_KEY) != NULL)
    {
      cb_nrf91_modem_cmng_delete_async (CB_NRF91_MODEM (source), job_driver (task)->sec_tag,
                                        CB_NRF91_CRED_CLIENT_KEY, g_task_get_cancellable (task),
                                        key_delete_cb, task);
      return;
    }
  key_generate (task);
}

static void
key_body (GTask *task)
{
  CbNrf91Driver *self = job_driver (task);

  cb_nrf91_modem_cmng_list_async (self->modem, self->sec_tag, -1, g_task_get_cancellable (task),
                                  key_list_cb, task);
}

static void
key_complete (GTask *task)
{
  CbNrf91Driver *self = job_driver (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbCsr) csr = cb_csr_new_from_der (self->keygen->csr_der, &error);
  CbKeygenResult *key;

  if (csr == NULL)
    {
      g_task_return_new_error (task, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_PROTOCOL,
                               _("The modem's CSR cannot be read: %s"), error->message);
      return;
    }
  key = g_new0 (CbKeygenResult, 1);
  key->key_type = g_strdup ("p256");
  key->created = TRUE;
  key->public_key = cb_csr_get_public_key_der (csr);
  g_task_return_pointer (task, key, (GDestroyNotify) cb_keygen_result_free);
}

static void
nrf91_create_key_async (CbDeviceDriver      *driver,
                        const char          *key_type,
                        const char          *common_name,
                        gboolean             replace,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);
  GTask *task;

  if (key_type != NULL && g_strcmp0 (key_type, "p256") != 0)
    {
      g_task_report_new_error (self, callback, user_data, nrf91_create_key_async,
                               CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED,
                               _("An nRF91 modem makes only EC P-256 keys, not “%s”"), key_type);
      return;
    }
  task = job_new (self, nrf91_create_key_async, cancellable, callback, user_data, key_body,
                  key_complete);
  job_of (task)->common_name = g_strdup (common_name);
  job_run_offline (task);
}

static CbKeygenResult *
nrf91_create_key_finish (CbDeviceDriver  *driver,
                         GAsyncResult    *result,
                         GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
nrf91_create_csr_async (CbDeviceDriver      *driver,
                        const char          *common_name,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, nrf91_create_csr_async);
  /* %KEYGEN made the CSR with the key; it names the CN asked for then. */
  if (self->keygen == NULL || g_strcmp0 (self->csr_common_name, common_name) != 0)
    {
      g_task_return_new_error (task, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_FAILED,
                               _("The modem makes its CSR together with its key; make the key "
                                 "for “%s” first"), common_name);
      return;
    }
  g_task_return_pointer (task, cb_device_csr_new (self->keygen->csr_der, self->keygen->cose),
                         (GDestroyNotify) cb_device_csr_free);
}

static CbDeviceCsr *
nrf91_create_csr_finish (CbDeviceDriver  *driver,
                         GAsyncResult    *result,
                         GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- install ---- */

static void install_step (GTask *task);

static void
install_op_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;
  gboolean ok;

  /* Steps 0, 1: deletes (513 is fine: nothing was there); 2, 3: writes. */
  if (job->next <= 2)
    ok = cb_nrf91_modem_cmng_delete_finish (CB_NRF91_MODEM (source), result, &error) ||
         g_error_matches (error, CB_AT_CME_ERROR, 513);
  else
    ok = cb_nrf91_modem_cmng_write_finish (CB_NRF91_MODEM (source), result, &error);
  if (!ok)
    {
      job_end_body (task, explain (error, _("The modem could not store the certificates")));
      return;
    }
  g_clear_error (&error);
  install_step (task);
}

static void
install_step (GTask *task)
{
  CbNrf91Driver *self = job_driver (task);
  Job *job = job_of (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  /* %CMNG writes never overwrite (519): the tag's client certificate goes first. A root CA
   * (type 0) the tag already holds stays: the modem's TLS verifies the server with it, and
   * for a hub that is the hub's TLS root, which the factory may have put there; the chain's
   * root is written only into an empty place. */
  switch (job->next++)
    {
    case 0:
    case 1:
      job->next = 2;
      if (job_find (job, CB_NRF91_CRED_CLIENT_CERT) != NULL)
        {
          cb_nrf91_modem_cmng_delete_async (self->modem, self->sec_tag, CB_NRF91_CRED_CLIENT_CERT,
                                            cancellable, install_op_cb, task);
          return;
        }
      G_GNUC_FALLTHROUGH;
    case 2:
      job->next = 3;
      if (job->root_pem != NULL && job_find (job, CB_NRF91_CRED_ROOT_CA) == NULL)
        {
          cb_nrf91_modem_cmng_write_async (self->modem, self->sec_tag, CB_NRF91_CRED_ROOT_CA,
                                           job->root_pem, cancellable, install_op_cb, task);
          return;
        }
      G_GNUC_FALLTHROUGH;
    case 3:
      job->next = 4;
      cb_nrf91_modem_cmng_write_async (self->modem, self->sec_tag, CB_NRF91_CRED_CLIENT_CERT,
                                       job->client_pem, cancellable, install_op_cb, task);
      return;
    default:
      job_end_body (task, NULL);
    }
}

static void
install_list_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GTask *task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;

  job->list = cb_nrf91_modem_cmng_list_finish (CB_NRF91_MODEM (source), result, &error);
  if (job->list == NULL)
    {
      job_end_body (task, error);
      return;
    }
  job->next = 0;
  install_step (task);
}

static void
install_body (GTask *task)
{
  CbNrf91Driver *self = job_driver (task);

  cb_nrf91_modem_cmng_list_async (self->modem, self->sec_tag, -1, g_task_get_cancellable (task),
                                  install_list_cb, task);
}

static void
install_complete (GTask *task)
{
  g_task_return_boolean (task, TRUE);
}

static void
nrf91_install_chain_async (CbDeviceDriver      *driver,
                           GBytes              *chain_der,
                           GPtrArray           *certificates,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);
  GTask *task = job_new (self, nrf91_install_chain_async, cancellable, callback, user_data,
                         install_body, install_complete);
  Job *job = job_of (task);

  cb_nrf91_driver_chain_texts (certificates, &job->client_pem, &job->root_pem);
  job_run_offline (task);
}

static gboolean
nrf91_install_chain_finish (CbDeviceDriver  *driver,
                            GAsyncResult    *result,
                            GBytes         **staged_sha256,
                            GError         **error)
{
  if (staged_sha256 != NULL)
    *staged_sha256 = NULL;
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- commit: the credentials are in use once written; nothing is staged ---- */

static void
nrf91_commit_async (CbDeviceDriver      *driver,
                    GBytes              *chain_sha256,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (driver, cancellable, callback, user_data);

  g_task_set_source_tag (task, nrf91_commit_async);
  g_task_return_pointer (task, g_new0 (CbCommitResult, 1), (GDestroyNotify) cb_commit_result_free);
}

static CbCommitResult *
nrf91_commit_finish (CbDeviceDriver  *driver,
                     GAsyncResult    *result,
                     GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- read back: %CMNG list digests against SHA-256 of the text written ---- */

static void
read_back_list_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Job *job = job_of (task);
  GError *error = NULL;
  CbDeviceReadBack *rb;
  g_autoptr(GString) differs = g_string_new (NULL);
  struct { CbNrf91CredType type; const char *text; } items[] = {
    { CB_NRF91_CRED_CLIENT_CERT, job->client_pem },
    { CB_NRF91_CRED_ROOT_CA, job->root_pem },
  };

  job->list = cb_nrf91_modem_cmng_list_finish (CB_NRF91_MODEM (source), result, &error);
  if (job->list == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  rb = g_new0 (CbDeviceReadBack, 1);
  rb->compared = CB_DEVICE_COMPARE_DIGESTS;
  rb->matches = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      CbNrf91Credential *c;
      g_autofree char *want = NULL;

      if (items[i].text == NULL)
        continue;
      want = cb_nrf91_content_digest (items[i].text);
      c = job_find (job, items[i].type);
      /* Another root CA the tag held before stays (install_step): not Certbench's to compare. */
      if (items[i].type == CB_NRF91_CRED_ROOT_CA && c != NULL && g_strcmp0 (c->sha256, want) != 0)
        continue;
      rb->n_items++;
      if (c == NULL || g_strcmp0 (c->sha256, want) != 0)
        {
          g_autofree char *what = NULL;

          rb->matches = FALSE;
          if (c == NULL)
            what = g_strdup_printf (_("the modem holds no %s"),
                                    cb_nrf91_cred_type_text (items[i].type));
          else
            what = g_strdup_printf (_("the %s's SHA-256 digest differs"),
                                    cb_nrf91_cred_type_text (items[i].type));
          if (differs->len > 0)
            g_string_append (differs, "; ");
          g_string_append (differs, what);
        }
    }
  if (rb->matches)
    rb->detail = g_strdup_printf (ngettext ("%u SHA-256 digest equal",
                                            "%u SHA-256 digests equal", rb->n_items),
                                  rb->n_items);
  else
    rb->detail = g_string_free (g_steal_pointer (&differs), FALSE);
  g_task_return_pointer (task, rb, (GDestroyNotify) cb_device_read_back_free);
}

static void
nrf91_read_back_async (CbDeviceDriver      *driver,
                       GBytes              *chain_der,
                       GPtrArray           *certificates,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);
  GTask *task = job_new (self, nrf91_read_back_async, cancellable, callback, user_data, NULL,
                         NULL);
  Job *job = job_of (task);

  cb_nrf91_driver_chain_texts (certificates, &job->client_pem, &job->root_pem);
  cb_nrf91_modem_cmng_list_async (self->modem, self->sec_tag, -1, cancellable,
                                  read_back_list_cb, task);
}

static CbDeviceReadBack *
nrf91_read_back_finish (CbDeviceDriver  *driver,
                        GAsyncResult    *result,
                        GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- read chain: %CMNG read of the client certificate (type 1) and the root CA (type 0) ---- */

typedef struct
{
  GPtrArray *chain;   /* CbCertificate, leaf first */
} ReadChain;

static void
read_chain_free (ReadChain *rc)
{
  g_clear_pointer (&rc->chain, g_ptr_array_unref);
  g_free (rc);
}

/* The certificates of a %CMNG read's PEM text. */
static GPtrArray *
parse_pem (CbNrf91Credential  *credential,
           GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  GPtrArray *certs;

  certs = cb_certificate_list_new_from_data ((const guint8 *) credential->content,
                                             strlen (credential->content), &local_error);
  if (certs == NULL)
    g_set_error (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_PROTOCOL,
                 _("The modem's %s in security tag %u is not a PEM certificate: %s"),
                 cb_nrf91_cred_type_text (credential->type), credential->sec_tag,
                 local_error->message);
  return certs;
}

static void
read_chain_return (GTask *task)
{
  ReadChain *rc = g_task_get_task_data (task);
  g_autoptr(GByteArray) der = g_byte_array_new ();

  for (guint i = 0; i < rc->chain->len; i++)
    {
      g_autoptr(GBytes) one = cb_certificate_get_der (g_ptr_array_index (rc->chain, i));
      gsize len;
      const guint8 *data = g_bytes_get_data (one, &len);

      g_byte_array_append (der, data, (guint) len);
    }
  g_task_return_pointer (task, g_byte_array_free_to_bytes (g_steal_pointer (&der)),
                         (GDestroyNotify) g_bytes_unref);
}

static void
read_root_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ReadChain *rc = g_task_get_task_data (task);
  g_autoptr(CbNrf91Credential) root = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GError) error = NULL;
  CbCertificate *last = g_ptr_array_index (rc->chain, rc->chain->len - 1);

  root = cb_nrf91_modem_cmng_read_finish (CB_NRF91_MODEM (source), result, &error);
  if (root == NULL)
    {
      /* No root CA in the tag (513) leaves the chain as the client certificate has it; a
       * failed read is an error. */
      if (!g_error_matches (error, CB_AT_CME_ERROR, 513))
        {
          g_task_return_error (task, explain (g_steal_pointer (&error),
                                              _("The modem's root CA could not be read")));
          return;
        }
      read_chain_return (task);
      return;
    }
  roots = parse_pem (root, &error);
  if (roots == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* The tag's root CA ends the chain when it issued the chain's last certificate; a root the
   * factory put there for another server (the hub's TLS root) is not part of it. */
  if (!cb_certificate_is_issued_by (last, last) &&
      cb_certificate_is_issued_by (last, g_ptr_array_index (roots, 0)))
    g_ptr_array_add (rc->chain, g_object_ref (g_ptr_array_index (roots, 0)));
  read_chain_return (task);
}

static void
read_client_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CbNrf91Driver *self = g_task_get_source_object (task);
  ReadChain *rc = g_task_get_task_data (task);
  g_autoptr(CbNrf91Credential) client = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  client = cb_nrf91_modem_cmng_read_finish (CB_NRF91_MODEM (source), result, &error);
  if (client == NULL && g_error_matches (error, CB_AT_CME_ERROR, 513))
    {
      g_task_return_new_error (task, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_CHAIN,
                               _("Security tag %u holds no client certificate"), self->sec_tag);
      return;
    }
  if (client == NULL)
    {
      g_task_return_error (task, explain (g_steal_pointer (&error),
                                          _("The modem's client certificate could not be read")));
      return;
    }
  rc->chain = parse_pem (client, &error);
  if (rc->chain == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  cb_nrf91_modem_cmng_read_async (CB_NRF91_MODEM (source), self->sec_tag, CB_NRF91_CRED_ROOT_CA,
                                  cancellable, read_root_cb, g_steal_pointer (&task));
}

/* The modem gives back what was written (the reference: "exactly what is written"): the
 * client certificate with its intermediates as one PEM text, and the root CA; only the
 * private key (type 2) is unreadable. It stages nothing, so only the active slot exists. */
static void
nrf91_read_chain_async (CbDeviceDriver      *driver,
                        CbDeviceSlot         slot,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, nrf91_read_chain_async);
  g_task_set_task_data (task, g_new0 (ReadChain, 1), (GDestroyNotify) read_chain_free);
  if (slot != CB_DEVICE_SLOT_ACTIVE)
    {
      g_task_return_new_error (task, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_CHAIN,
                               _("The modem stages nothing: a credential is in use once "
                                 "written"));
      return;
    }
  cb_nrf91_modem_cmng_read_async (self->modem, self->sec_tag, CB_NRF91_CRED_CLIENT_CERT,
                                  cancellable, read_client_cb, g_steal_pointer (&task));
}

static GBytes *
nrf91_read_chain_finish (CbDeviceDriver  *driver,
                         GAsyncResult    *result,
                         GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- protocol log: every AT line, shortened ---- */

static void
on_traffic (CbAtChannel   *channel,
            gboolean       sent,
            const char    *line,
            CbNrf91Driver *self)
{
  g_autofree char *shown = cb_at_line_for_log (line);

  cb_protocol_log_add_note (self->log, "AT %s %s", sent ? "TX" : "RX", shown);
}

static void
nrf91_detach_protocol_log (CbDeviceDriver *driver,
                           CbProtocolLog  *log)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);

  if (self->log == NULL || (log != NULL && log != self->log))
    return;
  g_clear_signal_handler (&self->traffic_id, cb_nrf91_modem_get_channel (self->modem));
  g_clear_object (&self->log);
}

static void
nrf91_attach_protocol_log (CbDeviceDriver *driver,
                           CbProtocolLog  *log)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);

  nrf91_detach_protocol_log (driver, NULL);
  self->log = g_object_ref (log);
  self->traffic_id = g_signal_connect (cb_nrf91_modem_get_channel (self->modem), "traffic",
                                       G_CALLBACK (on_traffic), self);
}

/* ---- what the driver is ---- */

static const char *
nrf91_get_name (CbDeviceDriver *driver)
{
  return "nrf91";
}

static const char *
nrf91_get_port_path (CbDeviceDriver *driver)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (driver);

  return cb_serial_port_get_path (cb_at_channel_get_port (cb_nrf91_modem_get_channel (self->modem)));
}

static CbDeviceCapabilities
nrf91_get_capabilities (CbDeviceDriver *driver)
{
  return CB_DEVICE_CAP_NONE;
}

static char *
nrf91_dup_missing_reason (CbDeviceDriver       *driver,
                          CbDeviceCapabilities  capability)
{
  switch (capability)
    {
    case CB_DEVICE_CAP_PROVE_POSSESSION:
      return g_strdup (_("The modem signs no station challenge: the CSR's signature is the proof "
                         "of possession at issuance."));
    case CB_DEVICE_CAP_DPS_SELF_REGISTER:
      return g_strdup (_("The modem does not register with DPS itself: its application firmware "
                         "does, with the credentials in the security tag; the station registers "
                         "with the modem's CSR."));
    case CB_DEVICE_CAP_HUB_CONNECT:
      return g_strdup (_("The modem does not connect to the IoT hub on the station's request: "
                         "its application firmware connects, with the credentials in the "
                         "security tag."));
    case CB_DEVICE_CAP_READ_BACK_CHAIN:
      return g_strdup (_("The run's read-back compares the SHA-256 digests the modem reports "
                         "for what it stores, not the bytes."));
    case CB_DEVICE_CAP_DIAGNOSTICS:
      return g_strdup (_("The modem reports no clock, TLS or hub state to the station."));
    case CB_DEVICE_CAP_REPLACE_KEY:
      return g_strdup (_("The modem keeps one key per security tag: a new key replaces the old "
                         "one at once."));
    default:
      return NULL;
    }
}

static gboolean
nrf91_error_is_refusal (CbDeviceDriver *driver,
                        const GError   *error)
{
  return error->domain == CB_AT_CME_ERROR ||
         g_error_matches (error, CB_AT_ERROR, CB_AT_ERROR_FAILED) ||
         g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_REFUSED) ||
         g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NO_CHAIN) ||
         g_error_matches (error, CB_DEVICE_DRIVER_ERROR, CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED);
}

static void
cb_nrf91_driver_iface_init (CbDeviceDriverInterface *iface)
{
  iface->get_name = nrf91_get_name;
  iface->get_port_path = nrf91_get_port_path;
  iface->get_capabilities = nrf91_get_capabilities;
  iface->dup_missing_reason = nrf91_dup_missing_reason;
  iface->error_is_refusal = nrf91_error_is_refusal;
  iface->attach_protocol_log = nrf91_attach_protocol_log;
  iface->detach_protocol_log = nrf91_detach_protocol_log;
  iface->identify_async = nrf91_identify_async;
  iface->identify_finish = nrf91_identify_finish;
  iface->create_key_async = nrf91_create_key_async;
  iface->create_key_finish = nrf91_create_key_finish;
  iface->create_csr_async = nrf91_create_csr_async;
  iface->create_csr_finish = nrf91_create_csr_finish;
  iface->install_chain_async = nrf91_install_chain_async;
  iface->install_chain_finish = nrf91_install_chain_finish;
  iface->commit_async = nrf91_commit_async;
  iface->commit_finish = nrf91_commit_finish;
  iface->read_back_async = nrf91_read_back_async;
  iface->read_back_finish = nrf91_read_back_finish;
  iface->read_chain_async = nrf91_read_chain_async;
  iface->read_chain_finish = nrf91_read_chain_finish;
}

/* ---- object ---- */

static void
cb_nrf91_driver_finalize (GObject *object)
{
  CbNrf91Driver *self = CB_NRF91_DRIVER (object);

  nrf91_detach_protocol_log (CB_DEVICE_DRIVER (self), NULL);
  g_clear_object (&self->modem);
  g_clear_pointer (&self->keygen, cb_nrf91_keygen_free);
  g_free (self->csr_common_name);

  G_OBJECT_CLASS (cb_nrf91_driver_parent_class)->finalize (object);
}

static void
cb_nrf91_driver_class_init (CbNrf91DriverClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_nrf91_driver_finalize;
}

static void
cb_nrf91_driver_init (CbNrf91Driver *self)
{
  self->sec_tag = CB_NRF91_DRIVER_DEFAULT_SEC_TAG;
}

CbNrf91Driver *
cb_nrf91_driver_new (CbNrf91Modem *modem)
{
  CbNrf91Driver *self;

  g_return_val_if_fail (CB_IS_NRF91_MODEM (modem), NULL);

  self = g_object_new (CB_TYPE_NRF91_DRIVER, NULL);
  self->modem = g_object_ref (modem);
  return self;
}

CbDeviceDriver *
cb_nrf91_driver_new_on_port (CbSerialPort *port)
{
  g_autoptr(CbAtChannel) channel = cb_at_channel_new (port);
  g_autoptr(CbNrf91Modem) modem = cb_nrf91_modem_new (channel);

  return CB_DEVICE_DRIVER (cb_nrf91_driver_new (modem));
}

CbNrf91Modem *
cb_nrf91_driver_get_modem (CbNrf91Driver *self)
{
  g_return_val_if_fail (CB_IS_NRF91_DRIVER (self), NULL);

  return self->modem;
}

guint32
cb_nrf91_driver_get_sec_tag (CbNrf91Driver *self)
{
  g_return_val_if_fail (CB_IS_NRF91_DRIVER (self), 0);

  return self->sec_tag;
}

void
cb_nrf91_driver_set_sec_tag (CbNrf91Driver *self,
                             guint32        sec_tag)
{
  g_return_if_fail (CB_IS_NRF91_DRIVER (self));
  g_return_if_fail (sec_tag <= CB_NRF91_SEC_TAG_MAX);

  self->sec_tag = sec_tag;
}
