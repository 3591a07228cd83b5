/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-provisioning-run"

/* The install, commit and read-back steps of a provisioning run: stage the chain on the device,
 * make it active, and read it back (also when the commit answer was lost). */

#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "cbp-group.h"
#include "cbp-smp.h"

#include "cb-error.h"
#include "cb-protocol-log.h"
#include "cb-provisioning-config-private.h"
#include "cb-provisioning-run-private.h"
#include "cb-registration-template.h"
#include "cb-run-result-private.h"
#include "cb-run-step-private.h"
#include "cb-sandbox-client.h"
#include "cb-sas.h"
#include "cb-util.h"

static void
install_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) sha = NULL;
  g_autofree char *detail = NULL;
  GError *error = NULL;

  if (!cb_device_driver_install_chain_finish (CB_DEVICE_DRIVER (object), result, &sha, &error))
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  if (sha == NULL)
    {
      detail = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes written", g_bytes_get_size (self->chain_blob));
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }

  if (!g_bytes_equal (sha, self->chain_sha))
    {
      cb_provisioning_run_step_error (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                                         "The staged chain's SHA-256 is not the issued chain's"));
      return;
    }

  detail = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes staged, SHA-256 matches",
                            g_bytes_get_size (self->chain_blob));
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

void
cb_provisioning_run_do_install (CbProvisioningRun *self)
{
  if (cb_provisioning_run_device_registers (self))
    {
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_SKIPPED,
                                       "the device staged the chain itself; its SHA-256 was checked");
      return;
    }

  cb_device_driver_install_chain_async (self->driver, self->chain_blob, self->chain,
                                        self->cancellable, install_cb, g_object_ref (self));
}

/* ---- commit ----------------------------------------------------------------------------- */

/* Whether a failed commit left the device's state unknown: the request went out (it is not
 * cancellable) and no answer came back. An error answer from the device is a refusal. */
static gboolean
commit_answer_lost (CbProvisioningRun *self,
                    const GError      *error)
{
  return !cb_device_driver_error_is_refusal (self->driver, error);
}

static void
commit_read_back_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(GBytes) active = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  GError *cause = g_steal_pointer (&self->commit_error);

  active = cb_device_driver_read_chain_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (active == NULL && !cb_provisioning_run_error_is_no_chain (self, error))
    {
      /* Still no answer: the outcome stays unknown until the device is back. */
      g_debug ("%s: commit read-back: %s", self->port, error->message);
      cb_provisioning_run_fail (self, cause);
      return;
    }

  self->commit_unknown = FALSE;
  if (active != NULL && g_bytes_equal (active, self->chain_blob))
    {
      self->device_changed = TRUE;
      cb_provisioning_run_journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_INSTALLED);
      detail = g_strdup_printf ("the answer was lost (%s); a read-back shows the new chain "
                                "active", cause->message);
      g_error_free (cause);
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }

  cb_provisioning_run_journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_NOT_INSTALLED);
  cb_provisioning_run_fail (self, g_error_new (CB_RUN_ERROR, CB_RUN_ERROR_DEVICE,
                                               "%s; a read-back shows the device kept its previous chain",
                                               cause->message));
  g_error_free (cause);
}

/* A commit's answer was lost: the journal gets the leaf as sent (once per run). */
static void
journal_leaf_sent (CbProvisioningRun *self)
{
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  g_autoptr(GError) journal_error = NULL;

  if (self->leaf_sent_journaled)
    return;
  self->leaf_sent_journaled = TRUE;

  if (cb_provisioning_run_journal (self) != NULL)
    {
      CbJournalLeaf sent = {
        .device_serial = self->info != NULL ? cb_device_info_get_serial (self->info) : NULL,
        .leaf_serial = cb_certificate_get_serial (leaf),
        .leaf_fingerprint = cb_certificate_get_sha256_fingerprint (leaf),
        .not_before = cb_certificate_get_not_before (leaf),
        .not_after = cb_certificate_get_not_after (leaf),
      };

      if (!cb_journal_leaf_sent (cb_provisioning_run_journal (self), self->journal_run, &sent, &journal_error))
        g_warning ("Could not journal the leaf sent to %s: %s", self->port,
                   journal_error->message);
    }
}

/* The commit's answer was lost for good: ask the device which chain it has, in case the link
 * is still there. */
static void
commit_outcome_unknown (CbProvisioningRun *self,
                        GError            *error)   /* (transfer full) */
{
  g_clear_error (&self->commit_error);
  self->commit_error = error;
  /* Not cancellable either: this read-back is what tells which certificate the device has. */
  if (!cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_READ_BACK_CHAIN))
    {
      /* The device cannot give its chain back: the outcome stays unknown. */
      cb_provisioning_run_fail (self, g_steal_pointer (&self->commit_error));
      return;
    }
  cb_device_driver_read_chain_async (self->driver, CB_DEVICE_SLOT_ACTIVE, NULL, commit_read_back_cb,
                                     g_object_ref (self));
}

static void
commit_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbCommitResult) commit = NULL;
  g_autofree char *detail = NULL;
  CbCertificate *leaf = g_ptr_array_index (self->chain, 0);
  GError *error = NULL;

  commit = cb_device_driver_commit_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (commit == NULL)
    {
      CbRunStep *step = cb_provisioning_run_current_step (self);

      /* An error answer means the device refused and kept its chain; no answer at all means
       * nobody knows (the device may have activated the chain just before the link died). */
      self->commit_unknown = commit_answer_lost (self, error);
      if (self->commit_unknown)
        journal_leaf_sent (self);
      else if (self->leaf_sent_journaled)
        /* A repeat of a commit that happened succeeds: this refusal means it did not. */
        cb_provisioning_run_journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_NOT_INSTALLED);
      if (self->commit_unknown &&
          !(cb_provisioning_run_error_is_transient (error) && cb_run_step_get_attempts (step) < self->config->max_attempts &&
            !g_cancellable_is_cancelled (self->cancellable)))
        {
          commit_outcome_unknown (self, error);
          return;
        }
      cb_provisioning_run_step_error (self, error);
      return;
    }

  /* From here on the device holds the new pair: the old key is gone by protocol design. */
  self->commit_unknown = FALSE;
  self->device_changed = TRUE;
  /* An earlier attempt's answer was lost; this one's tells. */
  if (self->leaf_sent_journaled)
    cb_provisioning_run_journal_resolve_leaf (self, self->journal_run, CB_JOURNAL_LEAF_INSTALLED);

  /* A device that reports nothing at commit (sha256 NULL, no dates) is checked by read-back;
   * the bench group always reports. */
  if (commit->sha256 == NULL && commit->not_before == 0 && commit->not_after == 0 &&
      !cb_device_driver_has_capability (self->driver, CB_DEVICE_CAP_READ_BACK_CHAIN))
    {
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED,
                                       "the device activated the chain (it reports no digest: read-back checks it)");
      return;
    }
  if (commit->sha256 == NULL || !g_bytes_equal (commit->sha256, self->chain_sha))
    {
      cb_provisioning_run_step_error (self, CHECK_FAILED ("The device activated a chain whose SHA-256 is not the "
                                                          "installed chain's"));
      return;
    }
  if (commit->not_before != cb_certificate_get_not_before (leaf) ||
      commit->not_after != cb_certificate_get_not_after (leaf))
    {
      cb_provisioning_run_step_error (self, CHECK_FAILED ("The device reports other validity dates for its leaf "
                                                          "than the issued certificate has"));
      return;
    }

  detail = g_strdup ("the device activated the chain and its key");
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

void
cb_provisioning_run_do_commit (CbProvisioningRun *self)
{
  /* Not cancellable: once the request is on the wire we wait for the answer, so the run
   * always knows which certificate the device has. */
  cb_device_driver_commit_async (self->driver, self->chain_sha, NULL, commit_cb,
                                 g_object_ref (self));
}

/* ---- read-back -------------------------------------------------------------------------- */

static void
read_back_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CbProvisioningRun) self = user_data;
  g_autoptr(CbDeviceReadBack) read_back = NULL;
  GBytes *active;
  g_autofree char *detail = NULL;
  GError *error = NULL;

  read_back = cb_device_driver_read_back_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (read_back == NULL)
    {
      cb_provisioning_run_step_error (self, error);
      return;
    }

  /* A device that keeps only digests of what it stores: the driver compared those. */
  if (read_back->compared == CB_DEVICE_COMPARE_DIGESTS)
    {
      if (!read_back->matches)
        {
          cb_provisioning_run_step_error (self, CHECK_FAILED ("The SHA-256 digests the device reports differ from "
                                                              "the chain installed%s%s",
                                                              read_back->detail ? ": " : "",
                                                              read_back->detail ? read_back->detail : ""));
          return;
        }
      detail = g_strdup_printf ("SHA-256 digests compared (the device gives digests, not the chain)%s%s",
                                read_back->detail ? ": " : "", read_back->detail ? read_back->detail : "");
      cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
      return;
    }

  active = read_back->chain_der;
  if (active == NULL || !read_back->matches)
    {
      gsize a_len = 0, b_len = 0, at = 0;
      const guint8 *a = g_bytes_get_data (active, &a_len);
      const guint8 *b = g_bytes_get_data (self->chain_blob, &b_len);

      while (a != NULL && at < a_len && at < b_len && a[at] == b[at])
        at++;
      cb_provisioning_run_step_error (self, CHECK_FAILED ("The chain read back (%" G_GSIZE_FORMAT " bytes) differs "
                                                          "from the one installed (%" G_GSIZE_FORMAT " bytes) from "
                                                          "byte %" G_GSIZE_FORMAT " on", a_len, b_len, at));
      return;
    }

  detail = g_strdup_printf ("%" G_GSIZE_FORMAT " bytes, identical", g_bytes_get_size (active));
  cb_provisioning_run_step_passed (self, CB_RUN_STEP_STATE_PASSED, detail);
}

void
cb_provisioning_run_do_read_back (CbProvisioningRun *self)
{
  cb_device_driver_read_back_async (self->driver, self->chain_blob, self->chain,
                                    self->cancellable, read_back_cb, g_object_ref (self));
}
