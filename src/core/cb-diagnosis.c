/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The diagnosis of one device: it reads the device's chain and diag over the bench protocol,
 * then checks them against the registry (ADR policies, the activity log's revocations) and the
 * hub (the device's status, its twin, the sandbox's connection report), and gives each check
 * as a finding with its advice (CbDiagnosticCheck) and the device's effective state
 * (cb-device-state.c). The Diagnostics page shows it; `certbench-cli inspect` prints it. */

#define G_LOG_DOMAIN "cb-diagnosis"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-app-settings.h"
#include "cb-device-drivers.h"
#include "cb-device-list-model.h"
#include "cb-ca-certificate-store.h"
#include "cb-diagnosis.h"
#include "cb-error.h"
#include "cb-provisioning-run.h"
#include "cb-error-text.h"
#include "cb-sandbox-client.h"
#include "cb-serial-port.h"
#include "cb-util.h"
#include "cb-x509-chain.h"
#include "cb-x509.h"

/* The checklist, in the order it is shown. */
static const struct
{
  const char *id;
  const char *title;
} check_order[] = {
  { "chain",      N_("Chain valid to the namespace root") },
  { "issuer",     N_("Issued by the current issuing CA") },
  { "validity",   N_("Not expired, renewal not overdue") },
  { "enabled",    N_("Device enabled in the hub") },
  { "identifier", N_("Credential identifier current") },
  { "twin",       N_("Twin-reported dates match the certificate") },
  { "device",     N_("Device reports no errors") },
  { "hub",        N_("Hub connection") },
  { "renewal",    N_("Renewal") },
};

struct _CbDiagnosis
{
  GObject            parent_instance;

  CbContext         *context;
  GListStore        *checks;
  GCancellable      *cancellable;
  CbSerialPort      *port;
  CbDeviceDriver    *driver;
  char              *driver_name;  /* NULL: the bench group (SMP) */
  GPtrArray         *chain;
  CbDeviceDiag      *diag;
  CbDeviceInfo      *info;         /* who the device said it is; NULL for a chain from a file */
  char              *device_id;
  char              *port_path;
  char              *source;       /* the file the chain came from, NULL for a device */
  guint              pending;
  gboolean           disposed;     /* stopped: a cancelled step no longer counts */

  /* The signals for the device's effective state, gathered by the checks. */
  CbDeviceStateInfo *state_info;
  CbDeviceSignals    signals;
  char              *refused_verdict;
  char              *refused_reason;
  CbDeviceState      state;
  char              *state_reason;
  gboolean           has_state;
};

G_DEFINE_FINAL_TYPE (CbDiagnosis, cb_diagnosis, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_DEVICE_READ,
  SIGNAL_FACTS_CHANGED,
  N_SIGNALS
};

static guint diagnosis_signals[N_SIGNALS];


static char *
format_date (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("—");
}

static void
set_check (CbDiagnosis *self,
           const char        *id,
           CbCheckStatus      status,
           const char        *detail,
           const char        *advice)
{
  g_assert (CB_IS_DIAGNOSIS (self));

  for (guint i = 0; i < G_N_ELEMENTS (check_order); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = NULL;

      if (g_strcmp0 (check_order[i].id, id) != 0)
        continue;
      check = cb_diagnostic_check_new (id, _(check_order[i].title), status, detail,
                         status == CB_CHECK_PASS ? NULL : advice);
      /* Replacing the item rebuilds its row. */
      g_list_store_splice (self->checks, i, 1, (gpointer *) &check, 1);
      return;
    }
  g_assert_not_reached ();
}

static void
reset_checks (CbDiagnosis *self)
{
  g_list_store_remove_all (self->checks);
  for (guint i = 0; i < G_N_ELEMENTS (check_order); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = cb_diagnostic_check_new (check_order[i].id, _(check_order[i].title),
                                                      CB_CHECK_PENDING, _("Waiting for the device"),
                                                      NULL);
      g_list_store_append (self->checks, check);
    }
}

static CbCertificate *leaf (CbDiagnosis *self);

/* Once every check is in: the one effective state, from what they gathered. */
static void
update_state (CbDiagnosis *self)
{
  g_autoptr(CbDeviceStateInfo) fallback = NULL;
  CbDeviceStateInfo *info = self->state_info;
  CbCertificate *cert = leaf (self);
  CbDeviceSignals signals = self->signals;

  g_clear_pointer (&self->state_reason, g_free);
  self->has_state = FALSE;
  if (cert == NULL || self->device_id == NULL)
    return;

  if (info == NULL)
    info = fallback = cb_device_state_info_new (cb_context_get_service_now (self->context),
                                                CB_DEFAULT_RENEWAL_FRACTION);

  /* The certificate the device holds, not what its twin last said. */
  signals.has_dates = TRUE;
  signals.valid_from = cb_certificate_get_not_before (cert);
  signals.valid_until = cb_certificate_get_not_after (cert);
  signals.revoked_at = cb_revocations_get_device (info->revocations, self->device_id);
  signals.refused_verdict = self->refused_verdict;
  signals.refused_reason = self->refused_reason;

  self->state = cb_device_state_evaluate (&info->context, &signals, &self->state_reason);
  self->has_state = TRUE;
}

static void
set_pending (CbDiagnosis *self,
             guint              pending)
{
  gboolean was_running = self->pending > 0;

  self->pending = pending;
  if (was_running == (pending > 0))
    return;

  if (self->disposed)
    return;
  if (pending == 0)
    update_state (self);
  if (pending == 0 && self->port != NULL)
    {
      cb_serial_port_close (self->port);
      g_clear_object (&self->driver);
      g_clear_object (&self->port);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
finish_one (CbDiagnosis *self)
{
  if (self->pending > 0)
    set_pending (self, self->pending - 1);
}

/* Every check that could not run because the device could not be read. */
static void
fail_remaining (CbDiagnosis *self,
                const char        *reason)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->checks)); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (G_LIST_MODEL (self->checks), i);

      if (cb_diagnostic_check_get_status (check) == CB_CHECK_PENDING)
        set_check (self, cb_diagnostic_check_get_id (check), CB_CHECK_FAIL, reason,
                   _("Check the cable and the port, make sure no other program (the bench) uses "
                     "it, then diagnose again"));
    }
}

/* A cancelled step still counts as done, unless the page is going away. */
static gboolean
handle_cancelled (CbDiagnosis *self,
                  const GError      *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (!self->disposed)
    finish_one (self);
  return TRUE;
}

static gboolean
is_ready (CbDiagnosis *self)
{
  return self->context != NULL &&
         cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY;
}

static CbCertificate *
leaf (CbDiagnosis *self)
{
  return self->chain != NULL && self->chain->len > 0 ? g_ptr_array_index (self->chain, 0) : NULL;
}

/* ---- the checks that need no service ---------------------------------------------------- */

/* Certificates are judged on the service's clock (which the sandbox may run fast). */
static gint64
service_now (CbDiagnosis *self)
{
  if (self->context != NULL)
    return cb_context_get_service_now (self->context);
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* A chain that verified to a root the station trusts leaves its CA certificates in the CA
 * certificate store, which the Registry's CA panes show (ADR gives no CA's certificate): a
 * root the service confirmed as the namespace's (@confirmed), or one the store already keeps
 * (from an issued chain, which came over TLS from DPS). A root the device carries proves
 * nothing by itself: any device can carry a self-signed CA with a known name. */
static void
keep_ca_certificates (CbDiagnosis *self,
                      gboolean     confirmed)
{
  CbCaCertificateStore *store;
  CbCertificate *root = g_ptr_array_index (self->chain, self->chain->len - 1);
  g_autoptr(GError) error = NULL;

  if (self->context == NULL || cb_context_get_data_dir (self->context) == NULL)
    return;
  store = cb_ca_certificate_store_get_for_context (self->context);
  if (!confirmed)
    {
      GPtrArray *kept = cb_ca_certificate_store_get_certificates (store);

      for (guint i = 0; i < kept->len && !confirmed; i++)
        confirmed = cb_certificate_equal (g_ptr_array_index (kept, i), root);
      if (!confirmed)
        return;
    }
  if (!cb_ca_certificate_store_add_chain (store, self->chain, &error))
    g_warning ("The chain's CA certificates could not be kept: %s", error->message);
}

static gboolean
check_chain (CbDiagnosis *self)
{
  g_autoptr(GPtrArray) anchors = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  CbCertificate *last = g_ptr_array_index (self->chain, self->chain->len - 1);
  g_autofree char *detail = NULL;
  gint64 now = service_now (self);

  if (self->chain->len < 2 || !cb_certificate_is_issued_by (last, last))
    {
      /* The leaf's dates alone make no healthy device (cb-device-state.c). */
      self->signals.chain_incomplete = TRUE;
      set_check (self, "chain", CB_CHECK_FAIL,
                 _("The device's chain does not end at a root certificate"),
                 _("Provision the device again: the station installs the whole chain up to the "
                   "namespace root"));
      return FALSE;
    }

  g_ptr_array_add (anchors, last);
  if (!cb_x509_verify_chain (self->chain, anchors, now, &error))
    {
      set_check (self, "chain", CB_CHECK_FAIL, error->message,
                 _("Provision the device again to install a chain that verifies"));
      return FALSE;
    }

  keep_ca_certificates (self, FALSE);
  detail = g_strdup_printf (ngettext ("%u certificate verify from the leaf to the root %s",
                                      "%u certificates verify from the leaf to the root %s",
                                      self->chain->len),
                            self->chain->len, cb_certificate_get_subject (last));
  set_check (self, "chain", CB_CHECK_PASS, detail, NULL);
  return TRUE;
}

static void
namespace_root_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(CbCertificate) root = NULL;
  g_autoptr(GError) error = NULL;
  CbCertificate *last;

  root = cb_sandbox_client_get_root_finish (result, &error);
  if (root == NULL && handle_cancelled (self, error))
    return;

  last = g_ptr_array_index (self->chain, self->chain->len - 1);
  if (root == NULL)
    {
      g_autofree char *detail = g_strdup_printf (_("The chain verifies to the root it carries, but "
                                                   "the namespace's root could not be fetched: %s"),
                                                 error->message);
      set_check (self, "chain", CB_CHECK_WARNING, detail,
                 _("Make sure the service is reachable, then diagnose again"));
    }
  else if (!cb_certificate_equal (root, last))
    {
      g_autofree char *detail = g_strdup_printf (_("The chain ends at %s, which is not the root of "
                                                   "namespace “%s” (%s)"),
                                                 cb_certificate_get_subject (last),
                                                 cb_profile_get_namespace (cb_context_get_profile (self->context)),
                                                 cb_certificate_get_subject (root));
      set_check (self, "chain", CB_CHECK_FAIL, detail,
                 _("The device was provisioned for another namespace: provision it again here"));
    }
  else
    {
      g_autofree char *detail = g_strdup_printf (ngettext ("%u certificate verifies to the namespace "
                                                           "root %s, confirmed with the service",
                                                           "%u certificates verify to the namespace "
                                                           "root %s, confirmed with the service",
                                                           self->chain->len),
                                                 self->chain->len, cb_certificate_get_subject (root));
      set_check (self, "chain", CB_CHECK_PASS, detail, NULL);
      keep_ca_certificates (self, TRUE);
    }

  finish_one (self);
}

/* The local check trusts the root the device carries; where the service can say which root the
 * namespace has (the sandbox serves it), compare the two. */
static void
confirm_namespace_root (CbDiagnosis *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);

  if (cb_profile_get_kind (profile) != CB_PROFILE_KIND_SANDBOX ||
      cb_profile_get_sandbox_endpoint (profile) == NULL ||
      cb_profile_get_namespace (profile) == NULL ||
      cb_context_get_http (self->context) == NULL)
    return;

  self->pending++;
  cb_sandbox_client_get_root_async (cb_context_get_http (self->context), profile,
                                    cb_profile_get_namespace (profile), self->cancellable,
                                    namespace_root_cb, g_object_ref (self));
}

static void
check_validity (CbDiagnosis *self)
{
  CbCertificate *cert = leaf (self);
  gint64 now = service_now (self);
  double fraction = cb_app_settings_get_renewal_fraction ();
  gint64 not_before = cb_certificate_get_not_before (cert);
  gint64 not_after = cb_certificate_get_not_after (cert);
  int days = cb_validity_get_days_left (not_after, now);
  g_autofree char *renew = format_date (cb_validity_get_renewal_point (not_before, not_after, fraction));
  g_autofree char *until = format_date (not_after);
  g_autofree char *detail = NULL;

  switch (cb_validity_get_state (not_before, not_after, now, fraction))
    {
    case CB_VALIDITY_EXPIRED:
      detail = g_strdup_printf (_("Expired on %s"), until);
      set_check (self, "validity", CB_CHECK_FAIL, detail,
                 _("Provision the device again; then find out why it did not renew itself"));
      break;
    case CB_VALIDITY_NOT_YET_VALID:
      {
      g_autofree char *from = format_date (not_before);

      detail = g_strdup_printf (_("Not valid before %s"), from);
      set_check (self, "validity", CB_CHECK_FAIL, detail,
                 _("Check the clock of the station and of the device"));
      }
      break;
    case CB_VALIDITY_RENEWAL_DUE:
      detail = g_strdup_printf (ngettext ("Valid until %s (%d day left), but the renewal point "
                                          "%s has passed",
                                          "Valid until %s (%d days left), but the renewal point "
                                          "%s has passed", days),
                                until, days, renew);
      set_check (self, "validity", CB_CHECK_WARNING, detail,
                 _("Renew now: the device should have asked DPS for a new certificate"));
      break;
    case CB_VALIDITY_VALID:
    default:
      detail = g_strdup_printf (ngettext ("Valid until %s (%d day left); renewal from %s",
                                          "Valid until %s (%d days left); renewal from %s", days),
                                until, days, renew);
      set_check (self, "validity", CB_CHECK_PASS, detail, NULL);
      break;
    }
}

static void
check_device_diag (CbDiagnosis *self)
{
  const char *tls = cb_device_diag_get_tls_error (self->diag);
  const char *dps = cb_device_diag_get_dps_error (self->diag);
  CbCertificate *cert = leaf (self);
  g_autofree char *detail = NULL;

  if ((tls != NULL && *tls != '\0') || (dps != NULL && *dps != '\0'))
    {
      detail = g_strdup_printf (_("TLS: %s; DPS: %s"),
                                tls != NULL && *tls != '\0' ? tls : _("no error"),
                                dps != NULL && *dps != '\0' ? dps : _("no error"));
      set_check (self, "device", CB_CHECK_WARNING, detail,
                 _("Read the device log on the bench page for the connection attempts"));
      return;
    }

  if (cb_device_diag_get_has_validity (self->diag) &&
      cb_device_diag_get_not_after (self->diag) != cb_certificate_get_not_after (cert))
    {
      set_check (self, "device", CB_CHECK_WARNING,
                 _("The device's own idea of its certificate's end date differs from the chain "
                   "it holds"),
                 _("Restart the device so it reloads its active chain"));
      return;
    }

  detail = g_strdup_printf (_("No TLS or DPS error; up for %u s"),
                            (guint) MIN (cb_device_diag_get_uptime (self->diag), G_MAXUINT));
  set_check (self, "device", CB_CHECK_PASS, detail, NULL);
}

/* The device's last renewal through the hub (diag's renew_* fields). */
static void
check_renewal (CbDiagnosis *self)
{
  const char *state = cb_device_diag_get_renew_state (self->diag);
  const char *error = cb_device_diag_get_renew_error (self->diag);
  gint64 when = cb_device_diag_get_renew_time (self->diag);
  gint64 now = service_now (self);
  g_autofree char *at = format_date (when);
  g_autofree char *detail = NULL;

  if (state == NULL && cb_device_diag_get_hub_state (self->diag) == NULL)
    {
      set_check (self, "renewal", CB_CHECK_WARNING,
                 _("The device does not report its renewals"),
                 _("Update the device firmware to one that renews through the hub"));
      return;
    }

  if (state == NULL)
    {
      gint64 renew_at = cb_device_diag_get_renew_at (self->diag);
      g_autofree char *due = format_date (renew_at);

      if (cb_device_diag_get_has_validity (self->diag) && renew_at > 0 && now >= renew_at)
        {
          detail = g_strdup_printf (_("Due since %s, but the device has not tried to renew"), due);
          set_check (self, "renewal", CB_CHECK_WARNING, detail,
                     _("Let the device connect to the hub: it renews through the hub once its "
                       "renewal point has passed"));
        }
      else if (cb_device_diag_get_has_validity (self->diag) && renew_at > 0)
        {
          detail = g_strdup_printf (_("No renewal yet; the device renews from %s"), due);
          set_check (self, "renewal", CB_CHECK_PASS, detail, NULL);
        }
      else
        set_check (self, "renewal", CB_CHECK_PASS, _("No renewal yet"), NULL);
      return;
    }

  if (g_strcmp0 (state, "renewed") == 0)
    {
      detail = g_strdup_printf (_("Renewed through the hub on %s"), at);
      set_check (self, "renewal", CB_CHECK_PASS, detail, NULL);
    }
  else if (g_strcmp0 (state, "reregistered") == 0)
    {
      detail = g_strdup_printf (_("Its certificate had expired: the device registered with DPS "
                                  "again on %s"), at);
      set_check (self, "renewal", CB_CHECK_WARNING, detail,
                 _("Find out why the device did not renew before expiry (was it offline?)"));
    }
  else if (g_strcmp0 (state, "requested") == 0)
    {
      detail = g_strdup_printf (_("Requested on %s; waiting for the hub's answer"), at);
      if (now - when < 600)
        set_check (self, "renewal", CB_CHECK_PASS, detail, NULL);
      else
        set_check (self, "renewal", CB_CHECK_WARNING, detail,
                   _("The hub has not answered for more than ten minutes: check the hub "
                     "connection"));
    }
  else
    {
      detail = g_strdup_printf (_("Failed on %s: %s"), at,
                                error != NULL && *error != '\0' ? error : _("no reason given"));
      set_check (self, "renewal", CB_CHECK_FAIL, detail,
                 _("Look at the hub connection: a revoked device cannot renew and must be "
                   "provisioned again, a disabled one enabled"));
    }
}

/* ---- the checks that ask the services --------------------------------------------------- */

static void
list_policies_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(GPtrArray) policies = NULL;
  g_autoptr(GError) error = NULL;
  CbCertificate *issuer;

  policies = cb_adr_client_list_policies_finish (CB_ADR_CLIENT (object), result, &error);
  if (policies == NULL && handle_cancelled (self, error))
    return;

  issuer = g_ptr_array_index (self->chain, 1);
  if (policies == NULL)
    {
      g_autofree char *reason = cb_error_text (error);
      set_check (self, "issuer", CB_CHECK_WARNING, reason,
                 _("Sign in with an account that may read the namespace's policies"));
    }
  else
    {
      CbPolicy *match = NULL;

      for (guint i = 0; i < policies->len; i++)
        {
          CbPolicy *policy = g_ptr_array_index (policies, i);
          gint64 not_before = cb_policy_get_ca_not_before (policy);

          /* A rotated ICA of the stable model keeps its name and subject: the current one is
           * the one whose validity started when the issuer's did. */
          if (g_strcmp0 (cb_policy_get_ca_subject (policy), cb_certificate_get_subject (issuer)) == 0 &&
              (not_before == 0 || not_before == cb_certificate_get_not_before (issuer)))
            match = policy;
        }

      if (match != NULL)
        {
          g_autofree char *detail =
            g_strdup_printf (_("Issued by %s, the current issuing CA of policy “%s”"),
                             cb_certificate_get_subject (issuer), cb_policy_get_name (match));
          set_check (self, "issuer", CB_CHECK_PASS, detail, NULL);
          self->signals.issuer = CB_DEVICE_ISSUER_CURRENT;
        }
      else
        {
          g_autofree char *detail =
            g_strdup_printf (_("Issued by %s, which no policy of the namespace uses now: its "
                               "issuer was revoked (rotated) or its policy deleted"),
                             cb_certificate_get_subject (issuer));

          self->signals.issuer = CB_DEVICE_ISSUER_REPLACED;
          set_check (self, "issuer", CB_CHECK_FAIL, detail,
                     _("Provision the device again to get a certificate from the current "
                       "issuing CA"));
        }
    }
  finish_one (self);
}

static void
get_device_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(JsonObject) device = NULL;
  g_autoptr(GError) error = NULL;
  const char *status;

  device = cb_hub_client_object_finish (CB_HUB_CLIENT (object), result, &error);
  if (device == NULL && handle_cancelled (self, error))
    return;

  if (device == NULL && g_error_matches (error, CB_API_ERROR, CB_API_ERROR_NOT_FOUND))
    {
      g_autofree char *detail = g_strdup_printf (_("The hub has no device “%s”"), self->device_id);
      set_check (self, "enabled", CB_CHECK_FAIL, detail,
                 _("Provision the device again: registration creates the hub identity"));
    }
  else if (device == NULL)
    {
      g_autofree char *reason = cb_error_text (error);
      set_check (self, "enabled", CB_CHECK_WARNING, reason,
                 _("Check the connection and the account's hub permissions"));
    }
  else
    {
      status = json_object_get_string_member_with_default (device, "status", "enabled");
      self->signals.disabled = g_strcmp0 (status, "disabled") == 0;
      if (!cb_time_parse_iso8601 (json_object_get_string_member_with_default (device,
                                                                              "lastActivityTime",
                                                                              NULL),
                                  &self->signals.last_activity))
        self->signals.last_activity = 0;
      if (g_strcmp0 (status, "disabled") == 0)
        {
          g_autofree char *detail = g_strdup_printf (_("“%s” is disabled in the hub: it cannot "
                                                       "connect"), self->device_id);
          set_check (self, "enabled", CB_CHECK_FAIL, detail,
                     _("Enable the device on the Registry page if it should connect"));
        }
      else
        {
          g_autofree char *detail = g_strdup_printf (_("“%s” is enabled"), self->device_id);
          set_check (self, "enabled", CB_CHECK_PASS, detail, NULL);
        }
    }
  finish_one (self);
}

static void
get_twin_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(JsonObject) twin = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *reported = NULL;
  JsonObject *certificate = NULL;
  gint64 from = 0;
  gint64 until = 0;
  CbCertificate *cert = leaf (self);

  twin = cb_hub_client_object_finish (CB_HUB_CLIENT (object), result, &error);
  if (twin == NULL && handle_cancelled (self, error))
    return;

  if (twin != NULL && json_object_has_member (twin, "properties"))
    {
      JsonObject *props = json_object_get_object_member (twin, "properties");

      if (props != NULL && json_object_has_member (props, "reported"))
        reported = json_object_get_object_member (props, "reported");
      if (reported != NULL && json_object_has_member (reported, "certificate"))
        certificate = json_object_get_object_member (reported, "certificate");
    }

  if (twin == NULL)
    {
      g_autofree char *reason = cb_error_text (error);
      set_check (self, "twin", CB_CHECK_WARNING, reason,
                 _("Check that the device exists in the hub"));
    }
  else if (certificate == NULL ||
           !cb_time_parse_iso8601 (json_object_get_string_member_with_default (certificate,
                                                                               "validFrom", ""),
                                   &from) ||
           !cb_time_parse_iso8601 (json_object_get_string_member_with_default (certificate,
                                                                               "validUntil", ""),
                                   &until))
    {
      set_check (self, "twin", CB_CHECK_WARNING,
                 _("The twin reports no certificate dates"),
                 _("Let the device connect to the hub once: it reports its certificate's dates "
                   "in properties.reported.certificate"));
    }
  else if (from != cb_certificate_get_not_before (cert) || until != cb_certificate_get_not_after (cert))
    {
      g_autofree char *reported_until = format_date (until);
      g_autofree char *cert_until = format_date (cb_certificate_get_not_after (cert));
      g_autofree char *detail = g_strdup_printf (_("The twin reports a certificate valid until %s, "
                                                   "the device holds one valid until %s"),
                                                 reported_until, cert_until);
      set_check (self, "twin", CB_CHECK_WARNING, detail,
                 _("The device has not reported since its certificate changed: let it connect, "
                   "or look for a second device with the same id"));
    }
  else
    set_check (self, "twin", CB_CHECK_PASS,
               _("validFrom and validUntil equal the certificate's dates"), NULL);
  finish_one (self);
}

static void
check_chain_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(CbChainVerdict) answer = NULL;
  g_autoptr(GError) error = NULL;
  const char *verdict;
  const char *reason;

  answer = cb_sandbox_client_check_chain_finish (result, &error);
  if (answer == NULL && handle_cancelled (self, error))
    return;

  if (answer == NULL)
    {
      g_autofree char *detail = g_strdup_printf (_("The sandbox could not be asked: %s"),
                                                 error != NULL ? error->message : _("no answer"));
      set_check (self, "identifier", CB_CHECK_WARNING, detail,
                 _("Make sure the sandbox is running, then diagnose again"));
      finish_one (self);
      return;
    }

  verdict = answer->verdict != NULL ? answer->verdict : "";
  reason = answer->reason != NULL ? answer->reason : "";

  /* The sandbox hub would refuse this chain now: a refusal, unless a real one is reported. */
  if (!answer->accepted && !self->signals.refused)
    {
      self->signals.refused = TRUE;
      cb_set_str (&self->refused_verdict, verdict);
      cb_set_str (&self->refused_reason, reason);
    }

  if (answer->accepted)
    set_check (self, "identifier", CB_CHECK_PASS,
               _("The hub would accept this certificate now"), NULL);
  else if (g_strcmp0 (verdict, "revoked-identifier") == 0)
    {
      g_autofree char *detail = g_strdup_printf (_("Revoked: the device's credential identifier was "
                                                   "rotated since this certificate was issued, so "
                                                   "the hub refuses it (%s)"), reason);
      set_check (self, "identifier", CB_CHECK_FAIL, detail,
                 _("Provision the device again to get a certificate with the current identifier "
                   "(enable it first if the revoke also disabled it)"));
    }
  else if (g_strcmp0 (verdict, "revoked-issuer") == 0)
    {
      g_autofree char *detail = g_strdup_printf (_("Revoked issuer: %s"), reason);
      set_check (self, "identifier", CB_CHECK_FAIL, detail,
                 _("Provision the device again: new registrations get the new issuing CA"));
    }
  else
    {
      g_autofree char *detail = g_strdup_printf (_("The hub would refuse it (%s): %s"), verdict, reason);
      set_check (self, "identifier", CB_CHECK_FAIL, detail,
                 _("Fix the cause above, then provision the device again"));
    }
  finish_one (self);
}

static void
check_identifier (CbDiagnosis *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);

  /* Azure publishes no way to ask whether the hub would accept a chain; the sandbox does. */
  if (cb_profile_get_kind (profile) != CB_PROFILE_KIND_SANDBOX ||
      cb_profile_get_sandbox_endpoint (profile) == NULL ||
      cb_context_get_http (self->context) == NULL)
    {
      set_check (self, "identifier", CB_CHECK_WARNING,
                 _("Azure does not say whether a device's credential identifier is current"),
                 _("Watch the device's next connection; if the hub refuses it, provision it "
                   "again"));
      return;
    }

  self->pending++;
  cb_sandbox_client_check_chain_async (cb_context_get_http (self->context), profile,
                                       self->device_id, self->chain, self->cancellable,
                                       check_chain_cb, g_object_ref (self));
}

/* What to do about a refusal, by the sandbox hub's verdict. */
static const char *
refusal_advice (const char *verdict)
{
  if (g_strcmp0 (verdict, "revoked-identifier") == 0)
    return _("A revoked device must be provisioned again: that gives it a certificate with the "
             "current credential identifier (enable it first if the revoke also disabled it)");
  if (g_strcmp0 (verdict, "device-disabled") == 0)
    return _("Enable the device on the Registry page if it should connect");
  if (g_strcmp0 (verdict, "expired") == 0)
    return _("Provision the device again; then find out why it did not renew itself");
  if (g_strcmp0 (verdict, "not-yet-valid") == 0)
    return _("Check the clock of the station and of the device");
  if (g_strcmp0 (verdict, "unknown-device") == 0)
    return _("Provision the device again: registration creates the hub identity");
  if (g_strcmp0 (verdict, "revoked-issuer") == 0 || g_strcmp0 (verdict, "unknown-issuer") == 0)
    return _("Provision the device again: new registrations get the current issuing CA");
  if (g_strcmp0 (verdict, "wrong-name") == 0)
    return _("The certificate's name is not the device id: provision the device again with the "
             "right registration ID");
  return _("A revoked device must be provisioned again, a disabled one enabled; the device log "
           "on the bench page tells more");
}

/* The hub row from the device's diag and, when there is one, the sandbox hub's report. */
static void
set_hub_check (CbDiagnosis     *self,
               CbHubConnectionReport *report)
{
  const char *state = cb_device_diag_get_hub_state (self->diag);
  const char *hub_error = cb_device_diag_get_hub_error (self->diag);
  const char *host = cb_device_diag_get_hub (self->diag);
  gint64 changed = cb_device_diag_get_hub_time (self->diag);
  g_autofree char *since = format_date (changed);
  g_autofree char *detail = NULL;
  gboolean has_error = hub_error != NULL && *hub_error != '\0';

  if (host == NULL)
    host = "?";

  /* The sandbox saw a refusal the device has not caught up with (or reported first). */
  if (report != NULL && report->has_attempt && !report->accepted &&
      (g_strcmp0 (state, "connected") != 0 || report->attempt_time >= changed))
    {
      g_autofree char *when = format_date (report->attempt_time);

      self->signals.refused = TRUE;
      cb_set_str (&self->refused_verdict, report->verdict);
      cb_set_str (&self->refused_reason, report->reason);

      detail = g_strdup_printf (_("Refused on %s: %s (the sandbox hub says %s)%s%s"), when,
                                report->reason ? report->reason : _("no reason given"),
                                report->verdict ? report->verdict : "?",
                                has_error ? _("; the device says: ") : "",
                                has_error ? hub_error : "");
      set_check (self, "hub", CB_CHECK_FAIL, detail, refusal_advice (report->verdict));
      return;
    }

  if (g_strcmp0 (state, "connected") == 0)
    {
      detail = g_strdup_printf (_("Connected to %s since %s"), host, since);
      if (report != NULL && g_strcmp0 (report->connection_state, "Connected") == 0)
        {
          g_autofree char *confirmed = g_strdup_printf (_("%s; the sandbox hub sees it connected"),
                                                        detail);
          set_check (self, "hub", CB_CHECK_PASS, confirmed, NULL);
        }
      else
        set_check (self, "hub", CB_CHECK_PASS, detail, NULL);
    }
  else if (g_strcmp0 (state, "refused") == 0)
    {
      detail = g_strdup_printf (_("%s refused the connection on %s: %s"), host, since,
                                has_error ? hub_error : _("no reason given"));
      set_check (self, "hub", CB_CHECK_FAIL, detail, refusal_advice (NULL));
    }
  else if (g_strcmp0 (state, "unreachable") == 0)
    {
      detail = g_strdup_printf (_("%s could not be reached (since %s): %s"), host, since,
                                has_error ? hub_error : _("no reason given"));
      set_check (self, "hub", CB_CHECK_FAIL, detail,
                 _("Check the device's network and the hub's address; provision the device "
                   "again to give it the hub"));
    }
  else if (g_strcmp0 (state, "connecting") == 0)
    {
      detail = g_strdup_printf (_("Connecting to %s"), host);
      set_check (self, "hub", CB_CHECK_WARNING, detail,
                 _("Diagnose again in a moment"));
    }
  else if (g_strcmp0 (state, "disconnected") == 0)
    {
      detail = g_strdup_printf (_("Disconnected from %s since %s%s%s"), host, since,
                                has_error ? ": " : "", has_error ? hub_error : "");
      set_check (self, "hub", CB_CHECK_WARNING, detail,
                 _("The device reconnects by itself; if it stays disconnected, look at its log "
                   "on the bench page"));
    }
  else
    set_check (self, "hub", CB_CHECK_WARNING,
               _("The device has no hub to connect to (never connected)"),
               _("Provision the device with the hub check on: the run's last step gives it the "
                 "hub"));
}

static void
connection_report_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(CbHubConnectionReport) report = NULL;
  g_autoptr(GError) error = NULL;

  report = cb_sandbox_client_get_connection_finish (result, &error);
  if (report == NULL && handle_cancelled (self, error))
    return;
  if (report == NULL)
    g_debug ("No connection report for %s: %s", self->device_id, error->message);

  set_hub_check (self, report);
  finish_one (self);
}

static void
check_hub_connection (CbDiagnosis *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);

  if (self->diag == NULL)
    return;   /* diag_cb already said why */

  if (cb_device_diag_get_hub_state (self->diag) == NULL)
    {
      set_check (self, "hub", CB_CHECK_WARNING,
                 _("The device does not report its hub connection"),
                 _("Update the device firmware to one that connects to the hub"));
      return;
    }

  /* Only the sandbox can say why its hub refused a device; on Azure the device's word is all. */
  if (cb_profile_get_kind (profile) != CB_PROFILE_KIND_SANDBOX ||
      cb_profile_get_sandbox_endpoint (profile) == NULL ||
      cb_context_get_http (self->context) == NULL)
    {
      set_hub_check (self, NULL);
      return;
    }

  self->pending++;
  cb_sandbox_client_get_connection_async (cb_context_get_http (self->context), profile,
                                          self->device_id, self->cancellable,
                                          connection_report_cb, g_object_ref (self));
}

static void
state_info_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(GError) error = NULL;
  CbDeviceStateInfo *info;

  info = cb_device_state_info_load_finish (result, &error);
  if (info == NULL && handle_cancelled (self, error))
    return;
  g_clear_pointer (&self->state_info, cb_device_state_info_unref);
  self->state_info = info;
  finish_one (self);
}

static void
start_service_checks (CbDiagnosis *self)
{
  CbCertificate *cert = leaf (self);

  self->device_id = g_strdup (cb_certificate_get_common_name (cert));
  if (self->device_id == NULL)
    {
      fail_remaining (self, _("The leaf certificate has no common name, so the device id is unknown"));
      return;
    }

  if (cb_context_get_adr (self->context) != NULL && self->chain->len >= 2)
    {
      self->pending++;
      cb_adr_client_list_policies_async (cb_context_get_adr (self->context), self->cancellable,
                                         list_policies_cb, g_object_ref (self));
    }
  else
    set_check (self, "issuer", CB_CHECK_WARNING, _("The chain has no issuing CA to compare"),
               _("Provision the device again"));

  /* The revocations from the activity log, for the effective state. */
  self->pending++;
  cb_device_state_info_load_async (self->context,
                                   cb_profile_get_credential_policy (cb_context_get_profile (self->context)),
                                   cb_app_settings_get_renewal_fraction (), self->cancellable,
                                   state_info_cb, g_object_ref (self));

  if (cb_context_get_hub (self->context) != NULL)
    {
      self->pending += 2;
      cb_hub_client_get_device_async (cb_context_get_hub (self->context), self->device_id,
                                      self->cancellable, get_device_cb, g_object_ref (self));
      cb_hub_client_get_twin_async (cb_context_get_hub (self->context), self->device_id,
                                    self->cancellable, get_twin_cb, g_object_ref (self));
    }

  check_identifier (self);
  check_hub_connection (self);
}

/* ---- reading the device ----------------------------------------------------------------- */

static void
diag_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(GError) error = NULL;

  self->diag = cb_device_driver_diagnose_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (self->diag == NULL && handle_cancelled (self, error))
    return;

  if (self->diag != NULL)
    {
      check_device_diag (self);
      check_renewal (self);
    }
  else
    {
      static const char * const from_diag[] = { "device", "hub", "renewal" };
      gboolean unsupported = g_error_matches (error, CB_DEVICE_DRIVER_ERROR,
                                              CB_DEVICE_DRIVER_ERROR_NOT_SUPPORTED);
      g_autofree char *detail = unsupported
        /* Translators: %s is the device driver's reason */
        ? g_strdup_printf (_("Not available on this device: %s"), error->message)
        : g_strdup_printf (_("The device did not answer diag: %s"), error->message);

      /* A device without diagnostics is not judged on them: neither passed nor failed. */
      for (guint i = 0; i < G_N_ELEMENTS (from_diag); i++)
        set_check (self, from_diag[i], unsupported ? CB_CHECK_NOT_AVAILABLE : CB_CHECK_WARNING,
                   detail,
                   unsupported ? _("Check these on the service side: the device cannot report them")
                               : _("Update the device firmware to one that supports diag"));
    }

  g_signal_emit (self, diagnosis_signals[SIGNAL_DEVICE_READ], 0);
  if (is_ready (self))
    start_service_checks (self);
  else
    fail_remaining (self, _("Not connected to the registry and the hub"));
  finish_one (self);
}

static void
get_chain_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GError) error = NULL;

  der = cb_device_driver_read_chain_finish (CB_DEVICE_DRIVER (object), result, &error);
  if (der == NULL && handle_cancelled (self, error))
    return;

  if (der != NULL)
    self->chain = cb_provisioning_split_chain (der, &error);

  if (self->chain == NULL)
    {
      g_autofree char *detail = g_strdup_printf (_("No certificate chain could be read: %s"),
                                                 error->message);
      g_signal_emit (self, diagnosis_signals[SIGNAL_DEVICE_READ], 0);
      g_signal_emit (self, diagnosis_signals[SIGNAL_FACTS_CHANGED], 0);
      for (guint i = 0; i < G_N_ELEMENTS (check_order); i++)
        set_check (self, check_order[i].id, CB_CHECK_FAIL, detail,
                   _("Provision the device on the bench page: it has no active certificate"));
      finish_one (self);
      return;
    }

  g_signal_emit (self, diagnosis_signals[SIGNAL_FACTS_CHANGED], 0);
  if (check_chain (self))
    confirm_namespace_root (self);
  check_validity (self);
  cb_device_driver_diagnose_async (self->driver, self->cancellable, diag_cb, g_object_ref (self));
}

static void
identify_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(CbDeviceInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = cb_device_driver_identify_finish (CB_DEVICE_DRIVER (object), result, &error);
  g_set_object (&self->info, info);
  if (info == NULL)
    {
      g_autofree char *detail = NULL;

      if (handle_cancelled (self, error))
        return;
      detail = g_strdup_printf (_("The device did not answer: %s"), error->message);
      g_signal_emit (self, diagnosis_signals[SIGNAL_DEVICE_READ], 0);
      fail_remaining (self, detail);
      finish_one (self);
      return;
    }

  cb_device_driver_read_chain_async (self->driver, CB_DEVICE_SLOT_ACTIVE, self->cancellable,
                                     get_chain_cb, g_object_ref (self));
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(CbDiagnosis) self = user_data;
  g_autoptr(GError) error = NULL;

  self->driver = cb_device_drivers_open_finish (result, &error);
  if (self->driver == NULL)
    {
      if (handle_cancelled (self, error))
        return;
      g_signal_emit (self, diagnosis_signals[SIGNAL_DEVICE_READ], 0);
      g_signal_emit (self, diagnosis_signals[SIGNAL_FACTS_CHANGED], 0);
      fail_remaining (self, error->message);
      finish_one (self);
      return;
    }
  cb_device_driver_identify_async (self->driver, self->cancellable, identify_cb,
                                   g_object_ref (self));
}

/* Forgets the last run's findings and facts. */
static void
reset_run (CbDiagnosis *self,
           const char  *port_path,
           const char  *source)
{
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_object (&self->diag);
  g_clear_object (&self->info);
  g_clear_pointer (&self->device_id, g_free);
  cb_set_str (&self->port_path, port_path);
  cb_set_str (&self->source, source);
  g_clear_pointer (&self->state_info, cb_device_state_info_unref);
  memset (&self->signals, 0, sizeof self->signals);
  g_clear_pointer (&self->refused_verdict, g_free);
  g_clear_pointer (&self->refused_reason, g_free);
  g_clear_pointer (&self->state_reason, g_free);
  self->has_state = FALSE;
  self->disposed = FALSE;

  reset_checks (self);
}

void
cb_diagnosis_run_chain (CbDiagnosis *self,
                        GPtrArray   *chain,
                        const char  *source)
{
  static const char * const from_device[] = { "device", "hub", "renewal" };

  g_return_if_fail (CB_IS_DIAGNOSIS (self));
  g_return_if_fail (CB_IS_CONTEXT (self->context));
  g_return_if_fail (chain != NULL && chain->len > 0);
  g_return_if_fail (source != NULL);

  if (self->pending > 0)
    return;

  reset_run (self, NULL, source);
  self->chain = g_ptr_array_ref (chain);
  set_pending (self, 1);
  g_signal_emit (self, diagnosis_signals[SIGNAL_DEVICE_READ], 0);
  g_signal_emit (self, diagnosis_signals[SIGNAL_FACTS_CHANGED], 0);

  /* The same checks as for a device's chain, in the same order. */
  if (check_chain (self))
    confirm_namespace_root (self);
  check_validity (self);
  for (guint i = 0; i < G_N_ELEMENTS (from_device); i++)
    set_check (self, from_device[i], CB_CHECK_NOT_AVAILABLE,
               _("Checked from a file: only the device itself reports this"),
               _("Diagnose the device on its port to check this too"));
  if (is_ready (self))
    start_service_checks (self);
  else
    fail_remaining (self, _("Not connected to the registry and the hub"));
  finish_one (self);
}

void
cb_diagnosis_set_driver_name (CbDiagnosis *self,
                              const char  *name)
{
  g_return_if_fail (CB_IS_DIAGNOSIS (self));
  cb_set_str (&self->driver_name, g_strcmp0 (name, CB_DEVICE_DRIVER_AUTO) == 0 ? NULL : name);
}

void
cb_diagnosis_run (CbDiagnosis *self,
                  const char  *port_path,
                  guint        baud)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CB_IS_DIAGNOSIS (self));
  g_return_if_fail (CB_IS_CONTEXT (self->context));
  g_return_if_fail (port_path != NULL);

  if (self->pending > 0)
    return;

  reset_run (self, port_path, NULL);

  self->port = cb_serial_port_open (port_path, baud != 0 ? baud : CB_SERIAL_PORT_DEFAULT_BAUD,
                                    &error);
  if (self->port == NULL)
    {
      g_autofree char *detail = g_strdup_printf (_("%s could not be opened: %s"), port_path,
                                                 error->message);
      g_signal_emit (self, diagnosis_signals[SIGNAL_DEVICE_READ], 0);
      g_signal_emit (self, diagnosis_signals[SIGNAL_FACTS_CHANGED], 0);
      fail_remaining (self, detail);
      return;
    }

  /* The driver pinned, or the one whose probe answers (SMP, then AT). */
  set_pending (self, 1);
  cb_device_drivers_open_async (self->port, self->driver_name, 0, self->cancellable,
                                open_cb, g_object_ref (self));
}

/* ---- GObject ---------------------------------------------------------------------------- */

static void
cb_diagnosis_dispose (GObject *object)
{
  CbDiagnosis *self = CB_DIAGNOSIS (object);

  cb_diagnosis_stop (self);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cb_diagnosis_parent_class)->dispose (object);
}

static void
cb_diagnosis_finalize (GObject *object)
{
  CbDiagnosis *self = CB_DIAGNOSIS (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->checks);
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_object (&self->diag);
  g_clear_object (&self->info);
  g_free (self->device_id);
  g_free (self->port_path);
  g_free (self->source);
  g_clear_pointer (&self->state_info, cb_device_state_info_unref);
  g_free (self->refused_verdict);
  g_free (self->refused_reason);
  g_free (self->state_reason);

  g_free (self->driver_name);
  G_OBJECT_CLASS (cb_diagnosis_parent_class)->finalize (object);
}

static void
cb_diagnosis_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CbDiagnosis *self = CB_DIAGNOSIS (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->pending > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_diagnosis_class_init (CbDiagnosisClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_diagnosis_dispose;
  object_class->finalize = cb_diagnosis_finalize;
  object_class->get_property = cb_diagnosis_get_property;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The device part is done (read, or it could not be): what remains asks the services. */
  diagnosis_signals[SIGNAL_DEVICE_READ] =
    g_signal_new ("device-read", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
  /* The device's chain was read (cb_diagnosis_get_leaf()), or could not be (NULL). */
  diagnosis_signals[SIGNAL_FACTS_CHANGED] =
    g_signal_new ("facts-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 0);
}

static void
cb_diagnosis_init (CbDiagnosis *self)
{
  self->checks = g_list_store_new (CB_TYPE_DIAGNOSTIC_CHECK);
}

CbDiagnosis *
cb_diagnosis_new (CbContext *context)
{
  CbDiagnosis *self = g_object_new (CB_TYPE_DIAGNOSIS, NULL);

  cb_diagnosis_set_context (self, context);
  return self;
}

void
cb_diagnosis_set_context (CbDiagnosis *self,
                          CbContext   *context)
{
  g_return_if_fail (CB_IS_DIAGNOSIS (self));
  g_return_if_fail (context == NULL || CB_IS_CONTEXT (context));

  g_set_object (&self->context, context);
}

void
cb_diagnosis_cancel (CbDiagnosis *self)
{
  g_return_if_fail (CB_IS_DIAGNOSIS (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

void
cb_diagnosis_stop (CbDiagnosis *self)
{
  g_return_if_fail (CB_IS_DIAGNOSIS (self));

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  if (self->port != NULL)
    cb_serial_port_close (self->port);
  g_clear_object (&self->driver);
  g_clear_object (&self->port);
}

gboolean
cb_diagnosis_get_running (CbDiagnosis *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), FALSE);
  return self->pending > 0;
}

GListModel *
cb_diagnosis_get_checks (CbDiagnosis *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);
  return G_LIST_MODEL (self->checks);
}

CbDiagnosticCheck *
cb_diagnosis_lookup_check (CbDiagnosis *self,
                           const char  *id)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->checks)); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (G_LIST_MODEL (self->checks), i);

      if (g_strcmp0 (cb_diagnostic_check_get_id (check), id) == 0)
        return check;   /* the store keeps it alive */
    }
  return NULL;
}

CbCertificate *
cb_diagnosis_get_leaf (CbDiagnosis *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);
  return leaf (self);
}

GPtrArray *
cb_diagnosis_get_chain (CbDiagnosis *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);
  return self->chain;
}

CbDeviceDiag *
cb_diagnosis_get_diag (CbDiagnosis *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);
  return self->diag;
}

const char *
cb_diagnosis_get_port_path (CbDiagnosis *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);
  return self->port_path;
}

static void
append_findings (CbDiagnosis *self,
                 GString     *report)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->checks)); i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (G_LIST_MODEL (self->checks), i);
      const char *detail = cb_diagnostic_check_get_detail (check);
      const char *advice = cb_diagnostic_check_get_advice (check);

      g_string_append_printf (report, "[%s] %s\n",
                              cb_check_status_to_label (cb_diagnostic_check_get_status (check)),
                              cb_diagnostic_check_get_title (check));
      if (detail != NULL)
        g_string_append_printf (report, "    %s\n", detail);
      if (advice != NULL)
        g_string_append_printf (report, _("    What to do: %s\n"), advice);
    }
}

char *
cb_diagnosis_dup_findings_text (CbDiagnosis *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);

  append_findings (self, text);
  return g_string_free (text, FALSE);
}

gboolean
cb_diagnosis_get_state (CbDiagnosis    *self,
                        CbDeviceState  *state,
                        const char    **reason)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), FALSE);

  if (!self->has_state)
    return FALSE;
  if (state != NULL)
    *state = self->state;
  if (reason != NULL)
    *reason = self->state_reason;
  return TRUE;
}

char *
cb_diagnosis_dup_report (CbDiagnosis *self)
{
  GString *report;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H:%M:%S UTC");
  g_autofree char *service_time = format_date (service_now (self));
  g_autofree char *verdict = NULL;
  g_autofree char *first = NULL;
  CbCertificate *cert;

  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);

  cert = leaf (self);
  report = g_string_new (NULL);
  verdict = cb_diagnosis_dup_verdict (self, &first);
  g_string_append_printf (report, _("Certbench diagnostics, %s\n"), stamp);
  if (verdict != NULL)
    g_string_append_printf (report, "%s\n", verdict);
  if (first != NULL)
    g_string_append_printf (report, _("What to do first: %s\n"), first);
  g_string_append_printf (report, _("App version: %s\n"), PACKAGE_VERSION);
  g_string_append_printf (report, _("Service time: %s\n"), service_time);
  if (self->context != NULL && cb_context_get_profile (self->context) != NULL)
    g_string_append_printf (report, _("Connection: %s\n"),
                            cb_profile_get_name (cb_context_get_profile (self->context)));
  if (self->port_path != NULL)
    g_string_append_printf (report, _("Port: %s\n"), self->port_path);
  if (self->source != NULL)
    g_string_append_printf (report, _("Checked from: %s\n"), self->source);
  if (self->info != NULL && cb_device_info_get_serial (self->info) != NULL)
    g_string_append_printf (report, _("Hardware serial: %s\n"), cb_device_info_get_serial (self->info));
  if (self->device_id != NULL || (cert != NULL && cb_certificate_get_common_name (cert) != NULL))
    g_string_append_printf (report, _("Registration ID: %s\n"),
                            self->device_id != NULL ? self->device_id
                                                    : cb_certificate_get_common_name (cert));
  if (cert != NULL)
    {
      g_autofree char *from = format_date (cb_certificate_get_not_before (cert));
      g_autofree char *until = format_date (cb_certificate_get_not_after (cert));

      g_string_append_printf (report, _("Device certificate: %s\n"), cb_certificate_get_subject (cert));
      g_string_append_printf (report, _("Issuer: %s\n"), cb_certificate_get_issuer (cert));
      g_string_append_printf (report, _("Serial: %s\n"), cb_certificate_get_serial (cert));
      g_string_append_printf (report, _("Valid: %s to %s\n"), from, until);
      g_string_append_printf (report, _("SHA-256: %s\n"), cb_certificate_get_sha256_fingerprint (cert));
    }
  if (self->has_state)
    g_string_append_printf (report, _("State: %s: %s\n"), cb_device_state_to_label (self->state),
                            self->state_reason);
  g_string_append_c (report, '\n');
  append_findings (self, report);

  return g_string_free (report, FALSE);
}



const char *
cb_diagnosis_get_source (CbDiagnosis *self)
{
  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);
  return self->source;
}

char *
cb_diagnosis_dup_verdict (CbDiagnosis  *self,
                          char        **first_advice)
{
  GListModel *checks;
  CbDiagnosticCheck *first = NULL;
  guint n, passed = 0, not_available = 0;
  char *verdict;

  g_return_val_if_fail (CB_IS_DIAGNOSIS (self), NULL);

  if (first_advice != NULL)
    *first_advice = NULL;
  checks = G_LIST_MODEL (self->checks);
  n = g_list_model_get_n_items (checks);
  if (n == 0 || self->pending > 0)
    return NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbDiagnosticCheck) check = g_list_model_get_item (checks, i);

      switch (cb_diagnostic_check_get_status (check))
        {
        case CB_CHECK_PASS:
          passed++;
          break;
        case CB_CHECK_NOT_AVAILABLE:
          not_available++;
          break;
        case CB_CHECK_FAIL:
          /* A failure comes before any warning, whatever their order. */
          if (first == NULL || cb_diagnostic_check_get_status (first) != CB_CHECK_FAIL)
            g_set_object (&first, check);
          break;
        case CB_CHECK_WARNING:
        case CB_CHECK_PENDING:
        default:
          if (first == NULL)
            g_set_object (&first, check);
          break;
        }
    }

  if (not_available > 0)
    /* Translators: "6 of 6 checks passed (3 not available)" */
    verdict = g_strdup_printf (ngettext ("%u of %u check passed (%u not available)",
                                         "%u of %u checks passed (%u not available)",
                                         n - not_available),
                               passed, n - not_available, not_available);
  else
    verdict = g_strdup_printf (ngettext ("%u of %u check passed", "%u of %u checks passed", n),
                               passed, n);

  if (first != NULL && first_advice != NULL)
    {
      const char *advice = cb_diagnostic_check_get_advice (first);

      /* Translators: what to do first: "advice (the check's title)" */
      *first_advice = g_strdup_printf (_("%s (%s)"),
                                       advice != NULL ? advice : cb_diagnostic_check_get_detail (first),
                                       cb_diagnostic_check_get_title (first));
    }
  g_clear_object (&first);
  return verdict;
}
