/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-lifetime-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-x509.h"

#include "cb-lifetime-bar.h"

#define BAR_HEIGHT    8
#define TICK_OVERHANG 3
#define TICK_WIDTH    2
#define TRACK_HEIGHT  (BAR_HEIGHT + 2 * TICK_OVERHANG)
#define LEGEND_GAP    4

/* The bar, and under it a legend of what it draws: the issue date at its start, the expiry
 * at its end, the filled part (used up to now) and the tick (the renewal point). */
struct _CbLifetimeBar
{
  GtkWidget  parent_instance;

  gint64     not_before;
  gint64     not_after;
  gint64     now;
  double     renewal_fraction;

  /* Owned (children) */
  GtkWidget *legend;
  GtkLabel  *issued_label;
  GtkLabel  *expires_label;
  GtkWidget *used_swatch;
  GtkLabel  *used_label;
  GtkLabel  *renewal_label;
};

G_DEFINE_FINAL_TYPE (CbLifetimeBar, cb_lifetime_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_NOT_BEFORE,
  PROP_NOT_AFTER,
  PROP_RENEWAL_FRACTION,
  PROP_NOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gint64
effective_now (CbLifetimeBar *self)
{
  return self->now != 0 ? self->now : g_get_real_time () / G_USEC_PER_SEC;
}

static char *
format_day (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  if (dt == NULL)
    return g_strdup ("?");
  /* Translators: a day in the certificate lifetime legend (strftime format) */
  return g_date_time_format (dt, _("%Y-%m-%d"));
}

static void
update_legend (CbLifetimeBar *self)
{
  g_autofree char *issued = NULL;
  g_autofree char *expires = NULL;
  g_autofree char *used = NULL;
  g_autofree char *renewal = NULL;
  g_autofree char *issued_day = NULL;
  g_autofree char *expires_day = NULL;
  g_autofree char *renewal_day = NULL;
  gint64 renewal_time;
  gboolean valid = self->not_after > self->not_before;

  gtk_widget_set_visible (self->legend, valid);
  if (!valid)
    return;

  renewal_time = self->not_before +
                 (gint64) ((self->not_after - self->not_before) * self->renewal_fraction);
  issued_day = format_day (self->not_before);
  expires_day = format_day (self->not_after);
  renewal_day = format_day (renewal_time);
  /* Translators: the start of the lifetime bar, %s is a day */
  issued = g_strdup_printf (_("Issued %s"), issued_day);
  /* Translators: the end of the lifetime bar, %s is a day */
  expires = g_strdup_printf (_("Expires %s"), expires_day);
  /* Translators: the filled part of the lifetime bar, up to now */
  used = g_strdup_printf (_("Used until now: %d %%"),
                          (int) (cb_lifetime_bar_get_fraction_used (self) * 100 + 0.5));
  /* Translators: the tick on the lifetime bar; %s is a day, %d the percentage */
  renewal = g_strdup_printf (_("Renewal point: %s (%d %%)"), renewal_day,
                             (int) (self->renewal_fraction * 100 + 0.5));

  /* The swatch has the fill's colour. */
  gtk_widget_remove_css_class (self->used_swatch, "warning");
  gtk_widget_remove_css_class (self->used_swatch, "error");
  switch (cb_validity_get_state (self->not_before, self->not_after, effective_now (self),
                                 self->renewal_fraction))
    {
    case CB_VALIDITY_EXPIRED:
      gtk_widget_add_css_class (self->used_swatch, "error");
      break;
    case CB_VALIDITY_RENEWAL_DUE:
      gtk_widget_add_css_class (self->used_swatch, "warning");
      break;
    case CB_VALIDITY_NOT_YET_VALID:
    case CB_VALIDITY_VALID:
    default:
      break;
    }
  gtk_widget_queue_draw (self->used_swatch);

  gtk_label_set_label (self->issued_label, issued);
  gtk_label_set_label (self->expires_label, expires);
  gtk_label_set_label (self->used_label, used);
  gtk_label_set_label (self->renewal_label, renewal);
}

static void
update_accessible (CbLifetimeBar *self)
{
  double used = cb_lifetime_bar_get_fraction_used (self);
  g_autofree char *text = NULL;

  if (self->not_after <= self->not_before)
    text = g_strdup (_("No validity"));
  else
    text = g_strdup_printf (_("%d %% of the lifetime used, renewal at %d %%"),
                            (int) (used * 100 + 0.5), (int) (self->renewal_fraction * 100 + 0.5));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 100.0,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, used * 100,
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
                                  -1);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), text);
  update_legend (self);
}

static void
lookup_color (GtkWidget  *widget,
              const char *name,
              const char *fallback,
              GdkRGBA    *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color))
    gdk_rgba_parse (color, fallback);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
cb_lifetime_bar_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  CbLifetimeBar *self = CB_LIFETIME_BAR (widget);
  int width = gtk_widget_get_width (widget);
  int height = MIN (gtk_widget_get_height (widget), TRACK_HEIGHT);
  float top = (height - BAR_HEIGHT) / 2.0f;
  GskRoundedRect trough;
  GdkRGBA fg, fill, tick;
  gint64 now = effective_now (self);
  double used = cb_lifetime_bar_get_fraction_used (self);
  CbValidityState state;

  if (width <= 0 || height <= 0)
    return;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  gsk_rounded_rect_init_from_rect (&trough, &GRAPHENE_RECT_INIT (0, top, width, BAR_HEIGHT),
                                   BAR_HEIGHT / 2.0f);
  gtk_snapshot_push_rounded_clip (snapshot, &trough);
  {
    GdkRGBA bg = fg;

    bg.alpha = 0.15f;
    gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (0, top, width, BAR_HEIGHT));
  }

  if (self->not_after > self->not_before)
    {
      state = cb_validity_get_state (self->not_before, self->not_after, now,
                                     self->renewal_fraction);
      switch (state)
        {
        case CB_VALIDITY_EXPIRED:
          lookup_color (widget, "error_color", "#e01b24", &fill);
          break;
        case CB_VALIDITY_RENEWAL_DUE:
          lookup_color (widget, "warning_color", "#e5a50a", &fill);
          break;
        case CB_VALIDITY_NOT_YET_VALID:
        case CB_VALIDITY_VALID:
        default:
          lookup_color (widget, "accent_color", "#3584e4", &fill);
          break;
        }
      gtk_snapshot_append_color (snapshot, &fill,
                                 &GRAPHENE_RECT_INIT (0, top, (float) (width * used), BAR_HEIGHT));
    }
  gtk_snapshot_pop (snapshot);

  if (self->not_after > self->not_before)
    {
      float x = (float) (width * self->renewal_fraction) - TICK_WIDTH / 2.0f;
      float tick_top = MAX (0, top - TICK_OVERHANG);
      float tick_height = MIN (height, BAR_HEIGHT + 2 * TICK_OVERHANG);

      tick = fg;
      tick.alpha = 0.8f;
      x = CLAMP (x, 0, width - TICK_WIDTH);

      gtk_snapshot_append_color (snapshot, &tick,
                                 &GRAPHENE_RECT_INIT (x, tick_top, TICK_WIDTH, tick_height));
    }

  gtk_widget_snapshot_child (widget, self->legend, snapshot);
}

static void
cb_lifetime_bar_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  CbLifetimeBar *self = CB_LIFETIME_BAR (widget);
  int legend_min = 0;
  int legend_nat = 0;
  /* Heights depend on the width (wrapping labels), not the other way round. */
  int legend_for = orientation == GTK_ORIENTATION_VERTICAL ? for_size : -1;

  if (gtk_widget_should_layout (self->legend))
    gtk_widget_measure (self->legend, orientation, legend_for, &legend_min, &legend_nat,
                        NULL, NULL);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = MAX (48, legend_min);
      *natural = MAX (240, legend_nat);
    }
  else
    {
      int extra_min = gtk_widget_should_layout (self->legend) ? LEGEND_GAP + legend_min : 0;
      int extra_nat = gtk_widget_should_layout (self->legend) ? LEGEND_GAP + legend_nat : 0;

      *minimum = TRACK_HEIGHT + extra_min;
      *natural = TRACK_HEIGHT + extra_nat;
    }
}

static void
cb_lifetime_bar_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  CbLifetimeBar *self = CB_LIFETIME_BAR (widget);

  if (gtk_widget_should_layout (self->legend))
    gtk_widget_size_allocate (self->legend,
                              &(GtkAllocation) {
                                0, TRACK_HEIGHT + LEGEND_GAP,
                                width, MAX (height - TRACK_HEIGHT - LEGEND_GAP, 0)
                              }, -1);
}

static GtkSizeRequestMode
cb_lifetime_bar_get_request_mode (GtkWidget *widget)
{
  /* The legend's labels wrap. */
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
cb_lifetime_bar_dispose (GObject *object)
{
  CbLifetimeBar *self = CB_LIFETIME_BAR (object);

  g_clear_pointer (&self->legend, gtk_widget_unparent);

  G_OBJECT_CLASS (cb_lifetime_bar_parent_class)->dispose (object);
}

static void
cb_lifetime_bar_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CbLifetimeBar *self = CB_LIFETIME_BAR (object);

  switch (prop_id)
    {
    case PROP_NOT_BEFORE:
      g_value_set_int64 (value, self->not_before);
      break;
    case PROP_NOT_AFTER:
      g_value_set_int64 (value, self->not_after);
      break;
    case PROP_RENEWAL_FRACTION:
      g_value_set_double (value, self->renewal_fraction);
      break;
    case PROP_NOW:
      g_value_set_int64 (value, self->now);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_lifetime_bar_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CbLifetimeBar *self = CB_LIFETIME_BAR (object);

  switch (prop_id)
    {
    case PROP_NOT_BEFORE:
      cb_lifetime_bar_set_validity (self, g_value_get_int64 (value), self->not_after);
      break;
    case PROP_NOT_AFTER:
      cb_lifetime_bar_set_validity (self, self->not_before, g_value_get_int64 (value));
      break;
    case PROP_RENEWAL_FRACTION:
      cb_lifetime_bar_set_renewal_fraction (self, g_value_get_double (value));
      break;
    case PROP_NOW:
      cb_lifetime_bar_set_now (self, g_value_get_int64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_lifetime_bar_class_init (CbLifetimeBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = cb_lifetime_bar_dispose;
  object_class->get_property = cb_lifetime_bar_get_property;
  object_class->set_property = cb_lifetime_bar_set_property;
  widget_class->snapshot = cb_lifetime_bar_snapshot;
  widget_class->measure = cb_lifetime_bar_measure;
  widget_class->size_allocate = cb_lifetime_bar_size_allocate;
  widget_class->get_request_mode = cb_lifetime_bar_get_request_mode;

  properties[PROP_NOT_BEFORE] =
    g_param_spec_int64 ("not-before", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_NOT_AFTER] =
    g_param_spec_int64 ("not-after", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_RENEWAL_FRACTION] =
    g_param_spec_double ("renewal-fraction", NULL, NULL, 0.0, 1.0, CB_DEFAULT_RENEWAL_FRACTION,
                         flags);
  properties[PROP_NOW] = g_param_spec_int64 ("now", NULL, NULL, 0, G_MAXINT64, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "lifetimebar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_METER);
}

static GtkLabel *
legend_label (float xalign)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  return GTK_LABEL (label);
}

/* The swatches are drawn like the bar, in the same colours. */
static void
draw_used_swatch (GtkDrawingArea *area,
                  cairo_t        *cr,
                  int             width,
                  int             height,
                  gpointer        user_data)
{
  GtkWidget *widget = GTK_WIDGET (area);
  GdkRGBA color;

  if (gtk_widget_has_css_class (widget, "error"))
    lookup_color (widget, "error_color", "#e01b24", &color);
  else if (gtk_widget_has_css_class (widget, "warning"))
    lookup_color (widget, "warning_color", "#e5a50a", &color);
  else
    lookup_color (widget, "accent_color", "#3584e4", &color);
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_arc (cr, width / 2.0, height / 2.0, MIN (width, height) / 2.0, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
draw_tick_swatch (GtkDrawingArea *area,
                  cairo_t        *cr,
                  int             width,
                  int             height,
                  gpointer        user_data)
{
  GdkRGBA color;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &color);
  G_GNUC_END_IGNORE_DEPRECATIONS
  color.alpha = 0.8f;
  gdk_cairo_set_source_rgba (cr, &color);
  cairo_rectangle (cr, (width - TICK_WIDTH) / 2.0, 0, TICK_WIDTH, height);
  cairo_fill (cr);
}

static GtkWidget *
swatch_new (const char           *name,
            int                   width,
            int                   height,
            GtkDrawingAreaDrawFunc draw)
{
  GtkWidget *swatch = g_object_new (GTK_TYPE_DRAWING_AREA,
                                    "css-name", name,
                                    "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION,
                                    "content-width", width,
                                    "content-height", height,
                                    NULL);

  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (swatch), draw, NULL, NULL);
  return swatch;
}

static GtkWidget *
legend_item (GtkWidget *swatch,
             GtkLabel  *label)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_widget_set_valign (swatch, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), swatch);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (label));
  return box;
}

/* Two lines: the ends of the bar (issued, expires), then what the fill and the tick mean. */
static void
build_legend (CbLifetimeBar *self)
{
  GtkWidget *ends = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *marks = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 18);
  GtkWidget *tick_swatch = swatch_new ("tick", TICK_WIDTH + 2, TRACK_HEIGHT, draw_tick_swatch);

  self->legend = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  self->issued_label = legend_label (0);
  self->expires_label = legend_label (1);
  gtk_widget_set_hexpand (GTK_WIDGET (self->issued_label), TRUE);
  gtk_box_append (GTK_BOX (ends), GTK_WIDGET (self->issued_label));
  gtk_box_append (GTK_BOX (ends), GTK_WIDGET (self->expires_label));

  self->used_swatch = swatch_new ("used", 10, 10, draw_used_swatch);
  self->used_label = legend_label (0);
  self->renewal_label = legend_label (0);
  gtk_box_append (GTK_BOX (marks), legend_item (self->used_swatch, self->used_label));
  gtk_box_append (GTK_BOX (marks), legend_item (tick_swatch, self->renewal_label));

  gtk_box_append (GTK_BOX (self->legend), ends);
  gtk_box_append (GTK_BOX (self->legend), marks);
  gtk_widget_set_parent (self->legend, GTK_WIDGET (self));
}

static void
cb_lifetime_bar_init (CbLifetimeBar *self)
{
  self->renewal_fraction = CB_DEFAULT_RENEWAL_FRACTION;
  build_legend (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Certificate lifetime"), -1);
  update_accessible (self);
}

GtkWidget *
cb_lifetime_bar_new (void)
{
  return g_object_new (CB_TYPE_LIFETIME_BAR, NULL);
}

void
cb_lifetime_bar_set_validity (CbLifetimeBar *self,
                              gint64         not_before,
                              gint64         not_after)
{
  g_return_if_fail (CB_IS_LIFETIME_BAR (self));

  g_object_freeze_notify (G_OBJECT (self));
  if (self->not_before != not_before)
    {
      self->not_before = not_before;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOT_BEFORE]);
    }
  if (self->not_after != not_after)
    {
      self->not_after = not_after;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOT_AFTER]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gint64
cb_lifetime_bar_get_not_before (CbLifetimeBar *self)
{
  g_return_val_if_fail (CB_IS_LIFETIME_BAR (self), 0);
  return self->not_before;
}

gint64
cb_lifetime_bar_get_not_after (CbLifetimeBar *self)
{
  g_return_val_if_fail (CB_IS_LIFETIME_BAR (self), 0);
  return self->not_after;
}

void
cb_lifetime_bar_set_renewal_fraction (CbLifetimeBar *self,
                                      double         fraction)
{
  g_return_if_fail (CB_IS_LIFETIME_BAR (self));

  fraction = CLAMP (fraction, 0.0, 1.0);
  if (self->renewal_fraction == fraction)
    return;
  self->renewal_fraction = fraction;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RENEWAL_FRACTION]);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
cb_lifetime_bar_get_renewal_fraction (CbLifetimeBar *self)
{
  g_return_val_if_fail (CB_IS_LIFETIME_BAR (self), CB_DEFAULT_RENEWAL_FRACTION);
  return self->renewal_fraction;
}

void
cb_lifetime_bar_set_now (CbLifetimeBar *self,
                         gint64         now)
{
  g_return_if_fail (CB_IS_LIFETIME_BAR (self));

  if (self->now == now)
    return;
  self->now = now;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NOW]);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
cb_lifetime_bar_get_fraction_used (CbLifetimeBar *self)
{
  g_return_val_if_fail (CB_IS_LIFETIME_BAR (self), 0.0);

  if (self->not_after <= self->not_before)
    return 0.0;
  return cb_validity_get_fraction_used (self->not_before, self->not_after, effective_now (self));
}
