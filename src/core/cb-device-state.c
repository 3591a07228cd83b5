/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-device-state"

/* The effective device state: one pure rule set, so the device list, the fleet counts (hub
 * queries), Diagnostics and the dialogs can never disagree.
 *
 * Signals and where real Azure gives them:
 *   - twin properties.reported.certificate.validFrom/validUntil (device convention) [DOC]
 *   - twin status enabled/disabled, lastActivityTime [SDK]
 *   - device revokes and issuer revokes: the Azure Monitor activity log of the namespace
 *     (Succeeded .../devices/revoke/action, .../policies/revokeIssuer/action) [DOC]; in the
 *     certificate-authority model .../registryDevices/authenticationProfiles/
 *     revokeCertificates/action and an ICA's .../certificateAuthorities/revokeAndRotate/action,
 *     which revokes the issuer of every policy under it; ARM exposes no revocation field on the
 *     device, and the per-device credential identifier is internal
 *   - the policy's current issuing CA validityNotBefore [SPEC]
 *   - sandbox only (a refinement, never required): the hub's last refused attempt and verdict
 *
 * Issuer revoked, counted with hub queries: the twin carries no issuer, so a certificate
 * "comes from the revoked issuer" when its reported validFrom is earlier than the current
 * issuing CA's validityNotBefore, once the activity log shows a revokeIssuer on the policy.
 * Leaf and CA are back-dated alike (the sandbox: 5 min), so a leaf of the new CA never
 * starts before it. The twin does not say which policy issued a certificate: with several
 * policies the rule is applied for the policy the view is about.
 *
 * Device revoked: a revoke event at T takes every certificate issued before T. The reported
 * validFrom < T says the certificate predates it; leaves are back-dated, so a device that got
 * its new certificate minutes after T would still look revoked: the hub's lastActivityTime
 * after T (it accepted the device since) clears that. Activity logs keep 90 days and leaves
 * live at most 90 days, so an older revoke has no certificate left to matter.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "cb-activity-event.h"
#include "cb-device-state.h"
#include "cb-util.h"
#include "cb-x509.h"

#define VALID_FROM   "properties.reported.certificate.validFrom"
#define VALID_UNTIL  "properties.reported.certificate.validUntil"

/* ---- revocations ------------------------------------------------------------------------ */

struct _CbRevocations
{
  GHashTable *devices;   /* device id -> gint64 * */
  GHashTable *issuers;   /* policy name -> gint64 * */
  GHashTable *cas;       /* intermediate CA name -> gint64 * (revokeAndRotate) */
};

CbRevocations *
cb_revocations_new (void)
{
  CbRevocations *self = g_new0 (CbRevocations, 1);

  self->devices = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->issuers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->cas = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
cb_revocations_free (CbRevocations *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->devices);
  g_hash_table_unref (self->issuers);
  g_hash_table_unref (self->cas);
  g_free (self);
}

static void
add_latest (GHashTable *table,
            const char *key,
            gint64      when)
{
  gint64 *old = g_hash_table_lookup (table, key);

  if (old != NULL)
    {
      *old = MAX (*old, when);
      return;
    }
  g_hash_table_insert (table, g_strdup (key), g_memdup2 (&when, sizeof when));
}

/* 0 when the table (of a NULL CbRevocations) or the key is missing. */
static gint64
get_latest (GHashTable *table,
            const char *key)
{
  gint64 *when = table != NULL && key != NULL ? g_hash_table_lookup (table, key) : NULL;

  return when != NULL ? *when : 0;
}

void
cb_revocations_add_device (CbRevocations *self,
                           const char    *device_id,
                           gint64         when)
{
  g_return_if_fail (self != NULL && device_id != NULL);
  add_latest (self->devices, device_id, when);
}

gint64
cb_revocations_get_device (const CbRevocations *self,
                           const char          *device_id)
{
  return get_latest (self != NULL ? self->devices : NULL, device_id);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

GPtrArray *
cb_revocations_list_devices (const CbRevocations *self)
{
  GPtrArray *ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  if (self == NULL)
    return ids;
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, key);
  g_ptr_array_sort (ids, compare_strings);
  return ids;
}

void
cb_revocations_add_issuer (CbRevocations *self,
                           const char    *policy_name,
                           gint64         when)
{
  g_return_if_fail (self != NULL && policy_name != NULL);
  add_latest (self->issuers, policy_name, when);
}

gint64
cb_revocations_get_issuer (const CbRevocations *self,
                           const char          *policy_name)
{
  return get_latest (self != NULL ? self->issuers : NULL, policy_name);
}

void
cb_revocations_add_certificate_authority (CbRevocations *self,
                                          const char    *ca_name,
                                          gint64         when)
{
  g_return_if_fail (self != NULL && ca_name != NULL);
  add_latest (self->cas, ca_name, when);
}

gint64
cb_revocations_get_certificate_authority (const CbRevocations *self,
                                          const char          *ca_name)
{
  return get_latest (self != NULL ? self->cas : NULL, ca_name);
}

/* The value after "/<collection>/" in an ARM id, case-insensitively. */
static char *
id_segment (const char *id,
            const char *collection)
{
  g_auto(GStrv) parts = g_strsplit (id, "/", -1);

  for (guint i = 0; parts[i] != NULL && parts[i + 1] != NULL; i++)
    if (g_ascii_strcasecmp (parts[i], collection) == 0 && parts[i + 1][0] != '\0')
      return g_strdup (parts[i + 1]);
  return NULL;
}

void
cb_revocations_add_events (CbRevocations *self,
                           GPtrArray     *events,
                           const char    *namespace_id)
{
  g_autofree char *prefix = NULL;

  g_return_if_fail (self != NULL);

  if (namespace_id != NULL)
    prefix = g_ascii_strdown (namespace_id, -1);

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      CbActivityEvent *event = g_ptr_array_index (events, i);
      const char *operation = cb_activity_event_get_operation_name (event);
      const char *resource = cb_activity_event_get_resource_id (event);
      g_autofree char *lower = NULL;

      if (operation == NULL || resource == NULL ||
          g_ascii_strcasecmp (cb_activity_event_get_status (event) != NULL
                                ? cb_activity_event_get_status (event) : "", "Succeeded") != 0)
        continue;
      lower = g_ascii_strdown (resource, -1);
      if (prefix != NULL && !g_str_has_prefix (lower, prefix))
        continue;

      if (g_ascii_strcasecmp (operation,
                              "Microsoft.DeviceRegistry/namespaces/devices/revoke/action") == 0)
        {
          g_autofree char *device = id_segment (resource, "devices");

          if (device != NULL)
            cb_revocations_add_device (self, device, cb_activity_event_get_time (event));
        }
      else if (g_ascii_strcasecmp (operation, "Microsoft.DeviceRegistry/namespaces/credentials/"
                                              "policies/revokeIssuer/action") == 0)
        {
          g_autofree char *policy = id_segment (resource, "policies");

          if (policy != NULL)
            cb_revocations_add_issuer (self, policy, cb_activity_event_get_time (event));
        }
      else if (g_ascii_strcasecmp (operation, "Microsoft.DeviceRegistry/namespaces/registryDevices/"
                                              "authenticationProfiles/revokeCertificates/"
                                              "action") == 0)
        {
          /* The registry device's, or the device row's it is a view of. */
          g_autofree char *device = id_segment (resource, "registryDevices");

          if (device == NULL)
            device = id_segment (resource, "devices");
          if (device != NULL)
            cb_revocations_add_device (self, device, cb_activity_event_get_time (event));
        }
      else if (g_ascii_strcasecmp (operation, "Microsoft.DeviceRegistry/namespaces/"
                                              "certificateAuthorities/revokeAndRotate/"
                                              "action") == 0)
        {
          g_autofree char *ca = id_segment (resource, "certificateAuthorities");

          if (ca != NULL)
            cb_revocations_add_certificate_authority (self, ca,
                                                      cb_activity_event_get_time (event));
        }
    }
}

/* ---- labels ----------------------------------------------------------------------------- */

const char *
cb_device_state_to_label (CbDeviceState state)
{
  switch (state)
    {
    case CB_DEVICE_STATE_REVOKED:
      return _("Revoked");
    case CB_DEVICE_STATE_ISSUER_REVOKED:
      return _("Needs re-provisioning");
    case CB_DEVICE_STATE_DISABLED:
      return _("Disabled");
    case CB_DEVICE_STATE_EXPIRED:
      return _("Expired");
    case CB_DEVICE_STATE_REFUSED:
      return _("Refused");
    case CB_DEVICE_STATE_RENEWAL_DUE:
      return _("Renewal due");
    case CB_DEVICE_STATE_HEALTHY:
      return _("Healthy");
    case CB_DEVICE_STATE_NOT_REPORTING:
      return _("Not reporting");
    case CB_DEVICE_STATE_UNKNOWN:
    case CB_DEVICE_N_STATES:
    default:
      return _("Unknown");
    }
}

const char *
cb_device_state_to_string (CbDeviceState state)
{
  static const char * const names[] = {
    "revoked", "issuer-revoked", "disabled", "expired", "refused", "renewal-due", "healthy",
    "not-reporting", "unknown",
  };

  return state < G_N_ELEMENTS (names) ? names[state] : "unknown";
}

gboolean
cb_device_state_can_revoke (CbDeviceState state)
{
  /* A revoked device holds nothing the hub accepts; neither does one whose issuer went. */
  return state != CB_DEVICE_STATE_REVOKED && state != CB_DEVICE_STATE_ISSUER_REVOKED;
}

/* ---- evaluation ------------------------------------------------------------------------- */

void
cb_device_signals_init_from_twin (CbDeviceSignals            *signals,
                                  const CbDeviceStateContext *context,
                                  const char                 *device_id,
                                  const char                 *status,
                                  const char                 *valid_from,
                                  const char                 *valid_until,
                                  const char                 *last_activity)
{
  g_return_if_fail (signals != NULL && context != NULL);

  memset (signals, 0, sizeof *signals);
  signals->has_dates = cb_time_parse_iso8601 (valid_from, &signals->valid_from) &&
                       cb_time_parse_iso8601 (valid_until, &signals->valid_until);
  signals->disabled = g_strcmp0 (status, "disabled") == 0;
  if (!cb_time_parse_iso8601 (last_activity, &signals->last_activity))
    signals->last_activity = 0;
  signals->revoked_at = cb_revocations_get_device (context->revocations, device_id);
}

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M UTC") : g_strdup ("—");
}

static void
set_reason (char **reason,
            char  *text)
{
  if (reason != NULL)
    *reason = text;
  else
    g_free (text);
}

CbDeviceState
cb_device_state_evaluate (const CbDeviceStateContext *context,
                          const CbDeviceSignals      *signals,
                          char                      **reason)
{
  const char *verdict;

  g_return_val_if_fail (context != NULL && signals != NULL, CB_DEVICE_STATE_UNKNOWN);

  verdict = signals->refused ? signals->refused_verdict : NULL;

  /* Revoked: a revoke after the certificate was issued, and no accepted connection since. */
  if ((signals->revoked_at > 0 &&
       (!signals->has_dates || signals->valid_from < signals->revoked_at) &&
       signals->last_activity <= signals->revoked_at) ||
      g_strcmp0 (verdict, "revoked-identifier") == 0)
    {
      if (signals->revoked_at > 0)
        {
          g_autofree char *when = format_time (signals->revoked_at);

          set_reason (reason, g_strdup_printf (signals->disabled
                                                 ? _("Its certificates were revoked on %s and it "
                                                     "is disabled: enable it, then provision it "
                                                     "again")
                                                 : _("Its certificates were revoked on %s: the hub "
                                                     "refuses them; provision it again"),
                                               when));
        }
      else
        set_reason (reason, g_strdup (_("The hub refuses its certificate as revoked: provision "
                                        "it again")));
      return CB_DEVICE_STATE_REVOKED;
    }

  if ((context->issuer_rotated_at > 0 && signals->has_dates &&
       signals->valid_from < context->issuer_rotated_at) ||
      signals->issuer == CB_DEVICE_ISSUER_REPLACED ||
      g_strcmp0 (verdict, "revoked-issuer") == 0 || g_strcmp0 (verdict, "unknown-issuer") == 0)
    {
      set_reason (reason, g_strdup (_("Its certificate comes from an issuing CA that was revoked "
                                      "or replaced: the hub refuses it; provision it again")));
      return CB_DEVICE_STATE_ISSUER_REVOKED;
    }

  if (signals->disabled || g_strcmp0 (verdict, "device-disabled") == 0)
    {
      set_reason (reason, g_strdup (_("The device is disabled: the hub refuses it until it is "
                                      "enabled")));
      return CB_DEVICE_STATE_DISABLED;
    }

  if ((signals->has_dates &&
       cb_validity_get_state (signals->valid_from, signals->valid_until, context->now,
                              context->renewal_fraction) == CB_VALIDITY_EXPIRED) ||
      g_strcmp0 (verdict, "expired") == 0)
    {
      g_autofree char *when = format_time (signals->valid_until);

      set_reason (reason, g_strdup_printf (_("Its certificate expired on %s: provision it again"),
                                           when));
      return CB_DEVICE_STATE_EXPIRED;
    }

  if (signals->refused)
    {
      set_reason (reason, g_strdup_printf (_("The hub refused its last connection: %s"),
                                           signals->refused_reason != NULL
                                             ? signals->refused_reason : _("no reason given")));
      return CB_DEVICE_STATE_REFUSED;
    }

  if (!signals->has_dates)
    {
      set_reason (reason, g_strdup (_("The twin reports no certificate dates: the device never "
                                      "reported, so nothing is known about its certificate")));
      return CB_DEVICE_STATE_NOT_REPORTING;
    }

  if (cb_validity_get_state (signals->valid_from, signals->valid_until, context->now,
                             context->renewal_fraction) == CB_VALIDITY_RENEWAL_DUE)
    {
      set_reason (reason, g_strdup (_("Still valid, but past its renewal point: the device "
                                      "should have renewed by now")));
      return CB_DEVICE_STATE_RENEWAL_DUE;
    }

  if (signals->chain_incomplete)
    {
      set_reason (reason, g_strdup (_("Its dates are fine, but its chain is incomplete: without "
                                      "the issuing CA and the root it cannot be judged; add the "
                                      "chain, or the issuing CA, and check again")));
      return CB_DEVICE_STATE_UNKNOWN;
    }

  if (!context->revocations_known)
    {
      set_reason (reason, g_strdup (_("Its dates are fine, but whether it was revoked could not "
                                      "be read from the activity log")));
      return CB_DEVICE_STATE_UNKNOWN;
    }

  set_reason (reason, g_strdup (_("Valid and not yet due for renewal")));
  return CB_DEVICE_STATE_HEALTHY;
}

/* ---- hub-query conditions --------------------------------------------------------------- */

/* Device ids in a query literal: they never hold quotes; drop any rather than break it. */
static void
append_literal (GString    *out,
                const char *text)
{
  g_string_append_c (out, '\'');
  for (const char *p = text; *p != '\0'; p++)
    if (*p != '\'' && *p != '\\')
      g_string_append_c (out, *p);
  g_string_append_c (out, '\'');
}

/* Revoked: the twin form of the rule in evaluate(). */
static void
append_revoked (GString                    *out,
                const CbDeviceStateContext *context,
                gboolean                    negate)
{
  g_autoptr(GPtrArray) ids = cb_revocations_list_devices (context->revocations);

  if (ids->len == 0)
    {
      /* Nothing revoked: always true when negated, never true otherwise. */
      g_string_append (out, negate ? "IS_DEFINED(deviceId)" : "deviceId = ''");
      return;
    }

  g_string_append_c (out, '(');
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      g_autofree char *when = cb_time_format_fixed (cb_revocations_get_device (context->revocations,
                                                                                id));

      if (i > 0)
        g_string_append (out, negate ? " AND " : " OR ");
      if (negate)
        {
          /* Undefined dates make this undefined, never true: such a device stays revoked. */
          g_string_append (out, "(deviceId != ");
          append_literal (out, id);
          g_string_append_printf (out, " OR " VALID_FROM " >= '%s' OR lastActivityTime > '%s')",
                                  when, when);
        }
      else
        {
          g_string_append (out, "(deviceId = ");
          append_literal (out, id);
          g_string_append_printf (out, " AND (NOT IS_DEFINED(" VALID_FROM ") OR " VALID_FROM
                                       " < '%s') AND (NOT IS_DEFINED(lastActivityTime) OR "
                                       "lastActivityTime <= '%s'))", when, when);
        }
    }
  g_string_append_c (out, ')');
}

static void
append_not_issuer_revoked (GString                    *out,
                           const CbDeviceStateContext *context)
{
  g_autofree char *when = NULL;

  if (context->issuer_rotated_at <= 0)
    return;
  when = cb_time_format_fixed (context->issuer_rotated_at);
  g_string_append_printf (out, " AND (NOT IS_DEFINED(" VALID_FROM ") OR " VALID_FROM " >= '%s')",
                          when);
}

/* The states after the revoked, issuer-revoked and disabled ones share this prefix. */
static void
append_none_of_the_above (GString                    *out,
                          const CbDeviceStateContext *context)
{
  append_revoked (out, context, TRUE);
  append_not_issuer_revoked (out, context);
  g_string_append (out, " AND status != 'disabled'");
}

char *
cb_device_state_build_condition (CbDeviceState               state,
                                 const CbDeviceStateContext *context)
{
  GString *out;
  g_autofree char *now_text = NULL;
  g_autofree char *cutoff_text = NULL;
  gint64 lifetime;

  g_return_val_if_fail (context != NULL, NULL);

  out = g_string_new (NULL);
  lifetime = (gint64) context->validity_days * 86400;
  now_text = cb_time_format_fixed (context->now);
  /* Due when now >= notBefore + f * L, that is when validUntil <= now + (1 - f) * L. */
  cutoff_text = cb_time_format_fixed (context->now +
                                      (gint64) ((1.0 - context->renewal_fraction) * lifetime));

  switch (state)
    {
    case CB_DEVICE_STATE_REVOKED:
      append_revoked (out, context, FALSE);
      break;
    case CB_DEVICE_STATE_ISSUER_REVOKED:
      if (context->issuer_rotated_at <= 0)
        {
          g_string_append (out, "deviceId = ''");
          break;
        }
      append_revoked (out, context, TRUE);
      {
        g_autofree char *when = cb_time_format_fixed (context->issuer_rotated_at);
        g_string_append_printf (out, " AND IS_DEFINED(" VALID_FROM ") AND " VALID_FROM " < '%s'",
                                when);
      }
      break;
    case CB_DEVICE_STATE_DISABLED:
      append_revoked (out, context, TRUE);
      append_not_issuer_revoked (out, context);
      g_string_append (out, " AND status = 'disabled'");
      break;
    case CB_DEVICE_STATE_EXPIRED:
      append_none_of_the_above (out, context);
      g_string_append_printf (out, " AND " VALID_UNTIL " < '%s'", now_text);
      break;
    case CB_DEVICE_STATE_RENEWAL_DUE:
      append_none_of_the_above (out, context);
      g_string_append_printf (out, " AND " VALID_UNTIL " >= '%s' AND " VALID_UNTIL " <= '%s'",
                              now_text, cutoff_text);
      break;
    case CB_DEVICE_STATE_HEALTHY:
    case CB_DEVICE_STATE_UNKNOWN:
      if ((state == CB_DEVICE_STATE_HEALTHY) != !!context->revocations_known)
        {
          g_string_append (out, "deviceId = ''");
          break;
        }
      append_none_of_the_above (out, context);
      g_string_append_printf (out, " AND " VALID_UNTIL " > '%s'", cutoff_text);
      break;
    case CB_DEVICE_STATE_NOT_REPORTING:
      append_revoked (out, context, TRUE);
      g_string_append (out, " AND status != 'disabled' AND NOT IS_DEFINED(" VALID_UNTIL ")");
      break;
    case CB_DEVICE_STATE_REFUSED:
    case CB_DEVICE_N_STATES:
    default:
      /* Only the sandbox's connection report says so: no twin matches. */
      g_string_append (out, "deviceId = ''");
      break;
    }

  return g_string_free (out, FALSE);
}

char *
cb_device_state_build_live_condition (const CbDeviceStateContext *context)
{
  GString *out;
  g_autofree char *now_text = NULL;

  g_return_val_if_fail (context != NULL, NULL);

  out = g_string_new (NULL);
  now_text = cb_time_format_fixed (context->now);
  append_revoked (out, context, TRUE);
  append_not_issuer_revoked (out, context);
  g_string_append_printf (out, " AND " VALID_UNTIL " >= '%s'", now_text);
  return g_string_free (out, FALSE);
}
