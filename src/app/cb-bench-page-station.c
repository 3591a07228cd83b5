/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-page"

/* The bench page's station: its health banner and rows, the choosers that fix it, the
 * registration ID template, and what the page enables as the context changes
 * (cb-bench-page-private.h). */

#include "config.h"

#include <glib/gi18n.h>

#include "cb-registration-template.h"

#include "cb-bench-page-private.h"

/* ---- Station settings ------------------------------------------------------------------- */

static void
set_row_subtitle (AdwActionRow *row,
                  const char   *text)
{
  adw_action_row_set_subtitle (row, text != NULL && *text != '\0' ? text : _("Not set"));
}

/* ---- Station health: the banner, the rows and the choosers ----------------------------- */

static gboolean
is_policy_problem (CbStationProblem problem)
{
  return problem == CB_STATION_NO_POLICY || problem == CB_STATION_POLICY_MISSING ||
         problem == CB_STATION_POLICY_CANNOT_ISSUE;
}

static void
show_health (CbBenchPage *self)
{
  CbStationHealth *health = self->health;
  g_autofree char *text = health != NULL ? cb_station_health_describe (health) : NULL;
  g_autofree char *subtitle = NULL;

  gtk_label_set_label (self->station_bar_label, text != NULL ? text : "");
  gtk_info_bar_set_revealed (self->station_bar, text != NULL);
  if (text == NULL)
    return;

  gtk_button_set_label (self->station_bar_button,
                        is_policy_problem (health->problem) ? _("Choose _Policy…")
                                                            : _("Choose _Enrollment Group…"));

  /* The rows say it too, where the station's settings are. */
  switch (health->problem)
    {
    case CB_STATION_ENROLLMENT_MISSING:
      /* Translators: an enrollment group id */
      subtitle = g_strdup_printf (_("%s · no longer exists"), health->enrollment_group);
      adw_action_row_set_subtitle (self->enrollment_row, subtitle);
      break;
    case CB_STATION_ENROLLMENT_DISABLED:
      subtitle = g_strdup_printf (_("%s · disabled"), health->enrollment_group);
      adw_action_row_set_subtitle (self->enrollment_row, subtitle);
      break;
    case CB_STATION_POLICY_MISSING:
      /* Translators: a policy name */
      subtitle = g_strdup_printf (_("%s · no longer exists"), health->policy);
      adw_action_row_set_subtitle (self->policy_row, subtitle);
      break;
    case CB_STATION_POLICY_CANNOT_ISSUE:
      subtitle = g_strdup_printf (_("%s · cannot issue yet"), health->policy);
      adw_action_row_set_subtitle (self->policy_row, subtitle);
      break;
    case CB_STATION_OK:
    case CB_STATION_NO_ENROLLMENT:
    case CB_STATION_NO_POLICY:
    default:
      break;
    }
}

static void
check_station_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  GWeakRef *ref = user_data;
  g_autoptr(CbBenchPage) self = g_weak_ref_get (ref);
  g_autoptr(CbStationHealth) health = NULL;
  g_autoptr(GError) error = NULL;

  g_weak_ref_clear (ref);
  g_free (ref);
  health = cb_station_check_finish (CB_CONTEXT (object), result, &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      self->context == NULL)
    return;
  /* Not knowing is not a problem to announce: the next run or check tells. */
  if (health == NULL)
    g_debug ("The station could not be checked: %s", error->message);

  g_clear_pointer (&self->health, cb_station_health_free);
  self->health = g_steal_pointer (&health);
  _cb_bench_page_update_station (self);
}

void
_cb_bench_page_check_station (CbBenchPage *self)
{
  GWeakRef *ref;

  if (self->health_cancellable != NULL)
    g_cancellable_cancel (self->health_cancellable);
  g_clear_object (&self->health_cancellable);

  if (self->context == NULL || cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    {
      g_clear_pointer (&self->health, cb_station_health_free);
      show_health (self);
      return;
    }

  self->health_cancellable = g_cancellable_new ();
  /* A weak reference: a check still on its way must not keep a closed page (and its Virtual
   * device, which follows the sandbox's clock) alive. */
  ref = g_new0 (GWeakRef, 1);
  g_weak_ref_init (ref, self);
  cb_station_check_async (self->context, self->health_cancellable, check_station_cb, ref);
}

/* Coming back to the bench (after deleting a policy on the Registry page, say) shows the
 * station as the services have it now. */
void
_cb_bench_page_on_map_cb (CbBenchPage *self)
{
  g_assert (CB_IS_BENCH_PAGE (self));
  _cb_bench_page_check_station (self);
}

void
_cb_bench_page_on_station_changed_cb (CbBenchPage *self)
{
  g_assert (CB_IS_BENCH_PAGE (self));

  /* The next run registers with the new group's key and checks against the new policy. */
  _cb_bench_page_invalidate_config (self);
  _cb_bench_page_update_station (self);
  _cb_bench_page_check_station (self);
}

static void
open_chooser (CbBenchPage          *self,
              CbStationChooserKind  kind)
{
  CbStationChooser *chooser = cb_station_chooser_new (self->context, kind);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (chooser), GTK_WINDOW (root));
  if (self->chooser != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->chooser), (gpointer *) &self->chooser);
  self->chooser = chooser;
  g_object_add_weak_pointer (G_OBJECT (chooser), (gpointer *) &self->chooser);
  gtk_window_present (GTK_WINDOW (chooser));
}

void
_cb_bench_page_choose_policy_action (GtkWidget  *widget,
                                     const char *action_name,
                                     GVariant   *parameter)
{
  open_chooser (CB_BENCH_PAGE (widget), CB_STATION_CHOOSER_POLICY);
}

void
_cb_bench_page_choose_enrollment_action (GtkWidget  *widget,
                                         const char *action_name,
                                         GVariant   *parameter)
{
  open_chooser (CB_BENCH_PAGE (widget), CB_STATION_CHOOSER_ENROLLMENT_GROUP);
}

void
_cb_bench_page_fix_station_action (GtkWidget  *widget,
                                   const char *action_name,
                                   GVariant   *parameter)
{
  CbBenchPage *self = CB_BENCH_PAGE (widget);

  open_chooser (self, self->health != NULL && is_policy_problem (self->health->problem)
                        ? CB_STATION_CHOOSER_POLICY : CB_STATION_CHOOSER_ENROLLMENT_GROUP);
}

void
_cb_bench_page_update_station (CbBenchPage *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);
  g_autofree char *enrollment = NULL;

  if (profile == NULL)
    {
      set_row_subtitle (self->policy_row, NULL);
      set_row_subtitle (self->enrollment_row, NULL);
      return;
    }
  set_row_subtitle (self->policy_row, cb_profile_get_credential_policy (profile));
  if (cb_profile_get_enrollment_group_id (profile) != NULL)
    /* Translators: enrollment group id and the DPS it is in */
    enrollment = g_strdup_printf (_("%s in %s (ID scope %s)"),
                                  cb_profile_get_enrollment_group_id (profile),
                                  cb_profile_get_dps_name (profile) != NULL
                                    ? cb_profile_get_dps_name (profile) : "DPS",
                                  cb_profile_get_dps_id_scope (profile) != NULL
                                    ? cb_profile_get_dps_id_scope (profile) : "?");
  set_row_subtitle (self->enrollment_row, enrollment);
  show_health (self);
}

gboolean
cb_bench_page_set_registration_template (CbBenchPage  *self,
                                         const char   *template_text,
                                         GError      **error)
{
  g_return_val_if_fail (CB_IS_BENCH_PAGE (self), FALSE);
  g_return_val_if_fail (template_text != NULL, FALSE);

  if (g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->template_row)), template_text) != 0)
    gtk_editable_set_text (GTK_EDITABLE (self->template_row), template_text);

  if (!cb_registration_template_check (template_text, error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->template_row), "error");
      return FALSE;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->template_row), "error");
  if (self->settings != NULL)
    g_settings_set_string (self->settings, "registration-id-template", template_text);
  /* Runs already going keep the template they started with. */
  _cb_bench_page_invalidate_config (self);
  return TRUE;
}

void
_cb_bench_page_on_template_row_apply_cb (CbBenchPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->template_row)));

  g_assert (CB_IS_BENCH_PAGE (self));

  if (!cb_bench_page_set_registration_template (self, text, &error))
    _cb_bench_page_toast (self, error->message);
  else
    _cb_bench_page_toast (self, _("Registration ID template saved"));
}

void
_cb_bench_page_update_actions (CbBenchPage *self)
{
  /* A run registers through DPS and checks the issued chain against the policy it reads through
   * ARM, so it waits until the connection is ready (signed in): pressed earlier, it would fail
   * at the chain check with "the policy's validity is unknown". */
  gboolean can_run = cb_context_get_profile (self->context) != NULL &&
                     cb_context_get_dps (self->context) != NULL &&
                     cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY;

  gboolean ready = cb_context_get_profile (self->context) != NULL &&
                   cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.choose-policy", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.choose-enrollment", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.fix-station", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.provision", can_run);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "bench.provision-selected", can_run);
}

/* The virtual device keeps the clock of the sandbox the station works with. */
void
_cb_bench_page_update_virtual_device_clock (CbBenchPage *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);
  const char *sandbox = profile != NULL ? cb_profile_get_sandbox_endpoint (profile) : NULL;
  g_autofree char *url = NULL;

  if (self->virtual_device == NULL ||
      cb_context_get_state (self->context) != CB_CONTEXT_STATE_READY)
    return;
  if (sandbox != NULL && *sandbox != '\0')
    url = g_strconcat (sandbox, "/sandbox/clock", NULL);
  cb_virtual_device_follow_clock (self->virtual_device, url,
                                  url != NULL ? cb_profile_get_pinned_ca_file (profile) : NULL);
}

void
_cb_bench_page_on_context_changed (CbBenchPage *self)
{
  _cb_bench_page_invalidate_config (self);
  _cb_bench_page_update_station (self);
  _cb_bench_page_update_actions (self);
  _cb_bench_page_update_virtual_device_clock (self);
  _cb_bench_page_check_station (self);
}

void
_cb_bench_page_on_renewal_fraction_changed (CbBenchPage *self)
{
  CbBenchSession *s = NULL;

  if (self->selected_path != NULL)
    s = _cb_bench_page_lookup_session (self, self->selected_path, FALSE);
  if (s != NULL)
    _cb_bench_page_show_chain (self, s);
}
