/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-fleet-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-bulk-bar.h"
#include "cb-device-table.h"
#include "cb-fleet-page.h"
#include "cb-page-context.h"
#include "cb-error-text.h"
#include "cb-x509.h"

#define N_STATES CB_DEVICE_N_STATES
#define DEFAULT_VALIDITY_DAYS 30

struct _CbFleetPage
{
  AdwBin              parent_instance;

  CbContext          *context;
  CbDeviceListModel  *devices;
  GtkMultiSelection  *device_selection;
  GSettings          *settings;
  CbDeviceStateInfo  *info;             /* the signals the counts were made with */
  AdwActionRow       *rows[N_STATES];
  GtkLabel           *count_labels[N_STATES];
  guint               counts[N_STATES];
  guint               total;
  guint               validity_days;
  double              fraction;
  gint64              now;
  guint               pending;
  guint               generation;
  guint               rounds;           /* rounds of counts started, for tests */
  gboolean            stale;            /* a reload waits for the page to be shown */
  gboolean            failed;
  int                 group;            /* the group shown, -1 none */
  gboolean            relist;           /* after a bulk run: list the group again */

  AdwToastOverlay    *toast_overlay;
  GtkStack           *main_stack;
  AdwStatusPage      *error_status;
  GtkLabel           *total_label;
  GtkLabel           *basis_label;
  GtkDrawingArea     *bar;
  GtkListBox         *states_list;
  GtkLabel           *group_label;
  GtkSpinner         *devices_spinner;
  CbDeviceTable      *device_table;
  CbBulkBar          *bulk_bar;
};

G_DEFINE_FINAL_TYPE (CbFleetPage, cb_fleet_page, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_CONTEXT,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* GNOME HIG palette colours, one per CbDeviceState. */
static const GdkRGBA state_colors[N_STATES] = {
  { 0.647f, 0.114f, 0.176f, 1.0f },   /* revoked: red 5 */
  { 0.569f, 0.255f, 0.675f, 1.0f },   /* issuer revoked: purple 3 */
  { 0.369f, 0.361f, 0.392f, 1.0f },   /* disabled: dark 1 */
  { 0.878f, 0.106f, 0.141f, 1.0f },   /* expired: red 3 */
  { 0.596f, 0.416f, 0.267f, 1.0f },   /* refused: brown 3 */
  { 1.000f, 0.471f, 0.000f, 1.0f },   /* renewal due: orange 3 */
  { 0.180f, 0.761f, 0.494f, 1.0f },   /* healthy: green 4 */
  { 0.604f, 0.600f, 0.588f, 1.0f },   /* not reporting: light 5 */
  { 0.753f, 0.749f, 0.737f, 1.0f },   /* unknown: light 4 */
};

/* What each group means, under its name. */
static const char *
state_description (CbDeviceState state)
{
  switch (state)
    {
    case CB_DEVICE_STATE_REVOKED:
      return _("Its certificates were revoked: the device must be provisioned again");
    case CB_DEVICE_STATE_ISSUER_REVOKED:
      return _("Its certificate comes from a revoked issuing CA: the device must be provisioned "
               "again");
    case CB_DEVICE_STATE_DISABLED:
      return _("Disabled in the hub: the device cannot connect until it is enabled");
    case CB_DEVICE_STATE_EXPIRED:
      return _("The certificate's end date has passed: the device cannot connect");
    case CB_DEVICE_STATE_REFUSED:
      return _("The hub refused its last connection");
    case CB_DEVICE_STATE_RENEWAL_DUE:
      return _("Still valid, but the device should have renewed by now");
    case CB_DEVICE_STATE_HEALTHY:
      return _("Valid, not revoked and not yet due for renewal");
    case CB_DEVICE_STATE_NOT_REPORTING:
      return _("The twin reports no certificate dates");
    case CB_DEVICE_STATE_UNKNOWN:
    case CB_DEVICE_N_STATES:
    default:
      return _("Valid dates, but whether the device was revoked could not be read");
    }
}

/* The hub can count a state from twins (the refusal is only in the sandbox's report). */
static gboolean
is_countable (CbDeviceState state)
{
  return state != CB_DEVICE_STATE_REFUSED;
}

/* Whether a state can have members under these signals: no query for one that cannot. */
static gboolean
can_occur (CbDeviceState            state,
           const CbDeviceStateInfo *info)
{
  g_autoptr(GPtrArray) revoked = cb_revocations_list_devices (info->revocations);

  switch (state)
    {
    case CB_DEVICE_STATE_REVOKED:
      return revoked->len > 0;
    case CB_DEVICE_STATE_ISSUER_REVOKED:
      return info->context.issuer_rotated_at > 0;
    case CB_DEVICE_STATE_HEALTHY:
      return info->context.revocations_known;
    case CB_DEVICE_STATE_UNKNOWN:
      return !info->context.revocations_known;
    case CB_DEVICE_STATE_REFUSED:
      return FALSE;
    default:
      return TRUE;
    }
}

static gboolean
is_ready (CbFleetPage *self)
{
  return self->context != NULL &&
         cb_context_get_state (self->context) == CB_CONTEXT_STATE_READY &&
         cb_context_get_hub (self->context) != NULL;
}

static void
set_pending (CbFleetPage *self,
             guint        pending)
{
  gboolean was_loading = self->pending > 0;

  self->pending = pending;
  if (was_loading != (pending > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
draw_bar (GtkDrawingArea *area,
          cairo_t        *cr,
          int             width,
          int             height,
          gpointer        user_data)
{
  CbFleetPage *self = user_data;
  double x = 0;
  double radius = 6;

  /* A rounded track, then one segment per state in proportion to its count. */
  cairo_new_sub_path (cr);
  cairo_arc (cr, width - radius, radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, width - radius, height - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, radius, height - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, radius, radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
  cairo_clip_preserve (cr);
  cairo_set_source_rgba (cr, 0.5, 0.5, 0.5, 0.15);
  cairo_fill (cr);

  if (self->total == 0)
    return;

  for (guint i = 0; i < N_STATES; i++)
    {
      double w = (double) width * self->counts[i] / self->total;

      gdk_cairo_set_source_rgba (cr, &state_colors[i]);
      cairo_rectangle (cr, x, 0, w, height);
      cairo_fill (cr);
      x += w;
    }
}

static void
draw_swatch (GtkDrawingArea *area,
             cairo_t        *cr,
             int             width,
             int             height,
             gpointer        user_data)
{
  const GdkRGBA *color = user_data;

  gdk_cairo_set_source_rgba (cr, color);
  cairo_arc (cr, width / 2.0, height / 2.0, MIN (width, height) / 2.0, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
update_summary (CbFleetPage *self)
{
  g_autofree char *total = NULL;
  g_autofree char *basis = NULL;

  for (guint i = 0; i < N_STATES; i++)
    {
      g_autofree char *text = NULL;
      gboolean always;

      if (self->rows[i] == NULL)
        continue;
      text = g_strdup_printf ("%u", self->counts[i]);
      gtk_label_set_text (self->count_labels[i], text);
      /* The rare groups show only when they have members. */
      always = i == CB_DEVICE_STATE_EXPIRED || i == CB_DEVICE_STATE_RENEWAL_DUE ||
               i == CB_DEVICE_STATE_HEALTHY || i == CB_DEVICE_STATE_NOT_REPORTING;
      gtk_widget_set_visible (GTK_WIDGET (self->rows[i]), always || self->counts[i] > 0);
    }

  total = g_strdup_printf (ngettext ("%u Device", "%u Devices", self->total), self->total);
  if (self->info != NULL && !self->info->context.revocations_known)
    basis = g_strdup_printf (_("Renewal point at %.0f %% of a %u-day certificate lifetime; "
                               "counted from the certificate dates the twins report. Revocations "
                               "could not be read, so no device counts as healthy"),
                             self->fraction * 100, self->validity_days);
  else
    basis = g_strdup_printf (_("Renewal point at %.0f %% of a %u-day certificate lifetime; "
                               "counted from the certificate dates the twins report and the "
                               "revocations in the activity log"),
                             self->fraction * 100, self->validity_days);
  gtk_label_set_text (self->total_label, total);
  gtk_label_set_text (self->basis_label, basis);
  gtk_widget_queue_draw (GTK_WIDGET (self->bar));
}

/* The open group's heading, with its count. */
static void
update_group_label (CbFleetPage *self)
{
  g_autofree char *title = NULL;

  if (self->group < 0)
    return;
  title = g_strdup_printf (ngettext ("%s: %u device", "%s: %u devices", self->counts[self->group]),
                           cb_device_state_to_label (self->group), self->counts[self->group]);
  gtk_label_set_text (self->group_label, title);
}

typedef struct
{
  CbFleetPage *self;
  guint        generation;
  int          index;   /* a CbDeviceState, or -1 for the total */
} CountOp;

static void
count_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  CountOp *op = user_data;
  g_autoptr(CbFleetPage) self = op->self;
  g_autoptr(CbHubQueryPage) page = NULL;
  g_autoptr(GError) error = NULL;
  guint n = 0;

  page = cb_hub_client_query_finish (CB_HUB_CLIENT (object), result, &error);
  if (op->generation != self->generation)
    {
      g_free (op);
      return;
    }

  if (page == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !self->failed)
        {
          g_autofree char *reason = cb_error_text (error);

          self->failed = TRUE;
          adw_status_page_set_description (self->error_status, reason);
          gtk_stack_set_visible_child_name (self->main_stack, "error");
        }
    }
  else if (page->items != NULL && json_array_get_length (page->items) > 0 &&
           JSON_NODE_HOLDS_OBJECT (json_array_get_element (page->items, 0)))
    {
      JsonObject *row = json_node_get_object (json_array_get_element (page->items, 0));
      n = json_object_get_int_member_with_default (row, "n", 0);
    }

  if (op->index < 0)
    self->total = n;
  else
    self->counts[op->index] = n;

  set_pending (self, self->pending - 1);
  if (self->pending == 0 && !self->failed)
    {
      update_summary (self);
      update_group_label (self);
      if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "devices") != 0)
        gtk_stack_set_visible_child_name (self->main_stack, "summary");
    }
  g_free (op);
}

static void
count (CbFleetPage *self,
       int          index,
       const char  *condition)
{
  g_autofree char *query = NULL;
  CountOp *op = g_new0 (CountOp, 1);

  op->self = g_object_ref (self);
  op->generation = self->generation;
  op->index = index;

  if (condition != NULL)
    query = g_strdup_printf ("SELECT COUNT() AS n FROM devices WHERE %s", condition);
  else
    query = g_strdup ("SELECT COUNT() AS n FROM devices");
  cb_hub_client_query_async (cb_context_get_hub (self->context), query, 0, NULL,
                             cb_context_get_cancellable (self->context), count_cb, op);
}

static void
start_counts (CbFleetPage *self)
{
  guint n = 1;

  self->rounds++;
  self->now = self->info->context.now;
  self->validity_days = self->info->context.validity_days;
  self->failed = FALSE;
  memset (self->counts, 0, sizeof self->counts);

  for (guint i = 0; i < N_STATES; i++)
    n += is_countable (i) && can_occur (i, self->info);
  set_pending (self, n);

  count (self, -1, NULL);
  for (guint i = 0; i < N_STATES; i++)
    {
      g_autofree char *condition = NULL;

      if (!is_countable (i) || !can_occur (i, self->info))
        continue;
      condition = cb_device_state_build_condition (i, &self->info->context);
      count (self, i, condition);
    }
}

static void
state_info_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  CountOp *op = user_data;
  g_autoptr(CbFleetPage) self = op->self;
  g_autoptr(CbDeviceStateInfo) info = NULL;
  guint generation = op->generation;

  g_free (op);
  info = cb_device_state_info_load_finish (result, NULL);
  /* A newer reload owns the counts now. */
  if (info == NULL || generation != self->generation || !is_ready (self))
    return;

  g_clear_pointer (&self->info, cb_device_state_info_unref);
  self->info = g_steal_pointer (&info);
  start_counts (self);
  /* A bulk run changed the group's devices: its list is read with the new signals. */
  if (self->relist && self->group >= 0)
    {
      self->relist = FALSE;
      cb_fleet_page_show_group (self, self->group);
    }
}

void
cb_fleet_page_reload (CbFleetPage *self)
{
  g_return_if_fail (CB_IS_FLEET_PAGE (self));

  self->generation++;
  set_pending (self, 0);

  if (self->context == NULL)
    return;

  if (!cb_page_context_show_state (self->context, self->main_stack, self->error_status,
                                   _("Sign in to the connection to see its fleet")))
    return;

  if (!is_ready (self))
    return;

  /* Counting a large fleet costs the hub a scan per group: never for a hidden page. Being
   * shown counts then (cb_fleet_page_map). */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      self->stale = TRUE;
      return;
    }
  self->stale = FALSE;

  adw_status_page_set_title (self->error_status, _("The Fleet Could Not Be Counted"));
  self->fraction = self->settings != NULL
                   ? g_settings_get_double (self->settings, "renewal-fraction")
                   : CB_DEFAULT_RENEWAL_FRACTION;
  set_pending (self, 1);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "summary") != 0)
    gtk_stack_set_visible_child_name (self->main_stack, "loading");

  {
    CountOp *op = g_new0 (CountOp, 1);

    /* The revocations and the policy's issuing CA first: the counts depend on them. */
    op->self = g_object_ref (self);
    op->generation = self->generation;
    cb_device_state_info_load_async (self->context,
                                     cb_profile_get_credential_policy (cb_context_get_profile (self->context)),
                                     self->fraction, cb_context_get_cancellable (self->context),
                                     state_info_cb, op);
  }
}

void
cb_fleet_page_show_group (CbFleetPage   *self,
                          CbDeviceState  state)
{
  g_autofree char *condition = NULL;

  g_return_if_fail (CB_IS_FLEET_PAGE (self));
  g_return_if_fail (state < N_STATES);

  if (!is_ready (self))
    return;

  if (self->info == NULL)
    self->info = cb_device_state_info_new (cb_context_get_service_now (self->context),
                                           self->fraction != 0 ? self->fraction
                                                               : CB_DEFAULT_RENEWAL_FRACTION);

  /* The list uses the same signals and cut-offs as the counts it came from. */
  self->group = state;
  condition = cb_device_state_build_condition (state, &self->info->context);
  update_group_label (self);

  cb_device_list_model_set_hub (self->devices, cb_context_get_hub (self->context));
  cb_device_list_model_set_cancellable (self->devices, cb_context_get_cancellable (self->context));
  cb_device_list_model_set_state_info (self->devices, self->info);
  cb_device_list_model_set_condition (self->devices, condition);
  cb_device_list_model_reload (self->devices);
  gtk_stack_set_visible_child_name (self->main_stack, "devices");
}

static void
show_group_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  int state = g_variant_get_int32 (parameter);

  if (state >= 0 && state < N_STATES)
    cb_fleet_page_show_group (CB_FLEET_PAGE (widget), state);
}

static void
show_summary_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CbFleetPage *self = CB_FLEET_PAGE (widget);

  gtk_stack_set_visible_child_name (self->main_stack, self->failed ? "error" : "summary");
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  cb_fleet_page_reload (CB_FLEET_PAGE (widget));
}

/* Counts again and lists the open group again, with what changed (a bulk run's revocations,
 * devices deleted in the Registry). The list stays on screen meanwhile (no Loading page). */
static void
recount_and_relist (CbFleetPage *self)
{
  CountOp *op;

  if (!is_ready (self))
    return;
  self->generation++;
  self->relist = TRUE;
  set_pending (self, 1);
  op = g_new0 (CountOp, 1);
  op->self = g_object_ref (self);
  op->generation = self->generation;
  cb_device_state_info_load_async (self->context,
                                   cb_profile_get_credential_policy (cb_context_get_profile (self->context)),
                                   self->fraction, cb_context_get_cancellable (self->context),
                                   state_info_cb, op);
}

static void
on_bulk_finished_cb (CbFleetPage *self)
{
  recount_and_relist (self);
}

static void
on_loading_changed_cb (CbFleetPage *self)
{
  gtk_spinner_set_spinning (self->devices_spinner, cb_device_list_model_get_loading (self->devices));
}

static void
on_context_changed_cb (CbFleetPage *self)
{
  g_assert (CB_IS_FLEET_PAGE (self));

  memset (self->counts, 0, sizeof self->counts);
  self->total = 0;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "fleet.show-group", is_ready (self));
  cb_bulk_bar_set_context (self->bulk_bar, self->context);
  cb_fleet_page_reload (self);
}

void
cb_fleet_page_set_context (CbFleetPage *self,
                           CbContext   *context)
{
  g_return_if_fail (CB_IS_FLEET_PAGE (self));

  if (cb_page_context_set (self, &self->context, context,
                           CB_PAGE_CONTEXT_STATE | CB_PAGE_CONTEXT_PROFILE,
                           G_CALLBACK (on_context_changed_cb)))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

/* The fleet changes while the page is hidden (the bench provisions, the registry revokes or
 * deletes): coming back to the summary counts again, as does a reload that waited for the
 * page; coming back to a group's list counts and lists it again. A round still under way is
 * not started again. */
static void
cb_fleet_page_map (GtkWidget *widget)
{
  CbFleetPage *self = CB_FLEET_PAGE (widget);
  const char *shown;

  GTK_WIDGET_CLASS (cb_fleet_page_parent_class)->map (widget);

  if (self->pending != 0 || !is_ready (self))
    return;
  shown = gtk_stack_get_visible_child_name (self->main_stack);
  if (self->stale || g_strcmp0 (shown, "summary") == 0)
    cb_fleet_page_reload (self);
  else if (g_strcmp0 (shown, "devices") == 0 && self->group >= 0)
    recount_and_relist (self);
}

static void
cb_fleet_page_dispose (GObject *object)
{
  CbFleetPage *self = CB_FLEET_PAGE (object);

  self->generation++;
  if (self->devices != NULL)
    g_signal_handlers_disconnect_by_data (self->devices, self);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  cb_page_context_clear (self, &self->context);
  /* AdwBin keeps its own pointer to the template's top widget: drop it first. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_FLEET_PAGE);

  G_OBJECT_CLASS (cb_fleet_page_parent_class)->dispose (object);
}

static void
cb_fleet_page_finalize (GObject *object)
{
  CbFleetPage *self = CB_FLEET_PAGE (object);

  g_clear_object (&self->device_selection);
  g_clear_object (&self->devices);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->info, cb_device_state_info_unref);

  G_OBJECT_CLASS (cb_fleet_page_parent_class)->finalize (object);
}

static void
cb_fleet_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CbFleetPage *self = CB_FLEET_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->pending > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_fleet_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  CbFleetPage *self = CB_FLEET_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      cb_fleet_page_set_context (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_fleet_page_class_init (CbFleetPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_fleet_page_dispose;
  object_class->finalize = cb_fleet_page_finalize;
  object_class->get_property = cb_fleet_page_get_property;
  object_class->set_property = cb_fleet_page_set_property;
  widget_class->map = cb_fleet_page_map;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CB_TYPE_DEVICE_TABLE);
  g_type_ensure (CB_TYPE_BULK_BAR);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-fleet-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, main_stack);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, error_status);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, total_label);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, basis_label);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, bar);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, states_list);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, group_label);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, devices_spinner);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, device_table);
  gtk_widget_class_bind_template_child (widget_class, CbFleetPage, bulk_bar);

  gtk_widget_class_install_action (widget_class, "fleet.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "fleet.show-group", "i", show_group_action);
  gtk_widget_class_install_action (widget_class, "fleet.show-summary", NULL, show_summary_action);
}

static void
cb_fleet_page_init (CbFleetPage *self)
{
  GSettingsSchema *schema;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* One row per countable state, in precedence order; each opens its devices. */
  for (guint i = 0; i < N_STATES; i++)
    {
      GtkWidget *row;
      GtkWidget *swatch;
      GtkWidget *label;
      GtkWidget *arrow;

      if (!is_countable (i))
        continue;
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_device_state_to_label (i));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), state_description (i));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "fleet.show-group");
      gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "i", (gint32) i);

      swatch = gtk_drawing_area_new ();
      gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (swatch), 14);
      gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (swatch), 14);
      gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
      gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw_swatch,
                                      (gpointer) &state_colors[i], NULL);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), swatch);

      label = gtk_label_new ("0");
      gtk_widget_add_css_class (label, "title-3");
      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      arrow = gtk_image_new_from_icon_name ("go-next-symbolic");
      gtk_accessible_update_property (GTK_ACCESSIBLE (arrow), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Show the devices"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);

      gtk_list_box_append (self->states_list, row);
      self->rows[i] = ADW_ACTION_ROW (row);
      self->count_labels[i] = GTK_LABEL (label);
    }
  gtk_drawing_area_set_draw_func (self->bar, draw_bar, self, NULL);

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "io.github.certbench.Certbench", TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new ("io.github.certbench.Certbench");
      g_signal_connect_object (self->settings, "changed::renewal-fraction",
                               G_CALLBACK (cb_fleet_page_reload), self, G_CONNECT_SWAPPED);
      g_settings_schema_unref (schema);
    }
  self->fraction = CB_DEFAULT_RENEWAL_FRACTION;
  self->validity_days = DEFAULT_VALIDITY_DAYS;

  self->devices = cb_device_list_model_new ();
  /* Several devices at once (shift/ctrl-click, Ctrl+A): the bar acts on them. */
  self->device_selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->devices)));
  cb_device_table_set_model (self->device_table, GTK_SELECTION_MODEL (self->device_selection));
  cb_bulk_bar_set_model (self->bulk_bar, GTK_SELECTION_MODEL (self->device_selection), self->devices);
  g_signal_connect_object (self->bulk_bar, "finished", G_CALLBACK (on_bulk_finished_cb), self,
                           G_CONNECT_SWAPPED);
  self->group = -1;
  g_signal_connect_object (self->devices, "notify::loading", G_CALLBACK (on_loading_changed_cb),
                           self, G_CONNECT_SWAPPED);

  update_summary (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "fleet.show-group", FALSE);
}

GtkWidget *
cb_fleet_page_new (CbContext *context)
{
  return g_object_new (CB_TYPE_FLEET_PAGE, "context", context, NULL);
}

CbContext *
cb_fleet_page_get_context (CbFleetPage *self)
{
  g_return_val_if_fail (CB_IS_FLEET_PAGE (self), NULL);
  return self->context;
}

gboolean
cb_fleet_page_get_loading (CbFleetPage *self)
{
  g_return_val_if_fail (CB_IS_FLEET_PAGE (self), FALSE);
  return self->pending > 0;
}

guint
cb_fleet_page_get_count (CbFleetPage   *self,
                         CbDeviceState  state)
{
  g_return_val_if_fail (CB_IS_FLEET_PAGE (self), 0);
  g_return_val_if_fail (state < N_STATES, 0);
  return self->counts[state];
}

guint
cb_fleet_page_get_rounds (CbFleetPage *self)
{
  g_return_val_if_fail (CB_IS_FLEET_PAGE (self), 0);
  return self->rounds;
}

guint
cb_fleet_page_get_total (CbFleetPage *self)
{
  g_return_val_if_fail (CB_IS_FLEET_PAGE (self), 0);
  return self->total;
}

CbDeviceListModel *
cb_fleet_page_get_devices (CbFleetPage *self)
{
  g_return_val_if_fail (CB_IS_FLEET_PAGE (self), NULL);
  return self->devices;
}

GtkWidget *
cb_fleet_page_get_bulk_bar (CbFleetPage *self)
{
  g_return_val_if_fail (CB_IS_FLEET_PAGE (self), NULL);
  return GTK_WIDGET (self->bulk_bar);
}
