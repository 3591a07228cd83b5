/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-lifetime-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-x509.h"

#include "cb-lifetime-bar.h"

#define BAR_HEIGHT    8
#define TICK_OVERHANG 3
#define TICK_WIDTH    2

struct _CbLifetimeBar
{
  GtkWidget parent_instance;

  gint64    not_before;
  gint64    not_after;
  gint64    now;
  double    renewal_fraction;
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
  int height = gtk_widget_get_height (widget);
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
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 48;
      *natural = 240;
    }
  else
    {
      *minimum = *natural = BAR_HEIGHT + 2 * TICK_OVERHANG;
    }
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

  object_class->get_property = cb_lifetime_bar_get_property;
  object_class->set_property = cb_lifetime_bar_set_property;
  widget_class->snapshot = cb_lifetime_bar_snapshot;
  widget_class->measure = cb_lifetime_bar_measure;

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

static void
cb_lifetime_bar_init (CbLifetimeBar *self)
{
  self->renewal_fraction = CB_DEFAULT_RENEWAL_FRACTION;
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
