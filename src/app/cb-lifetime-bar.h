/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A certificate's lifetime as a bar: the part already used filled (accent, then warning past
 * the renewal point, error once expired) and a tick at the renewal point, with a legend under
 * it: issue and expiry dates at its ends, what the fill (used until now) and the tick mean. */

#define CB_TYPE_LIFETIME_BAR (cb_lifetime_bar_get_type ())
G_DECLARE_FINAL_TYPE (CbLifetimeBar, cb_lifetime_bar, CB, LIFETIME_BAR, GtkWidget)

GtkWidget *cb_lifetime_bar_new                  (void);
/* Unix seconds. */
void       cb_lifetime_bar_set_validity         (CbLifetimeBar *self,
                                                 gint64         not_before,
                                                 gint64         not_after);
gint64     cb_lifetime_bar_get_not_before       (CbLifetimeBar *self);
gint64     cb_lifetime_bar_get_not_after        (CbLifetimeBar *self);
/* Default CB_DEFAULT_RENEWAL_FRACTION. */
void       cb_lifetime_bar_set_renewal_fraction (CbLifetimeBar *self,
                                                 double         fraction);
double     cb_lifetime_bar_get_renewal_fraction (CbLifetimeBar *self);
/* Unix seconds the bar is drawn for; 0 (default) means the real time. */
void       cb_lifetime_bar_set_now              (CbLifetimeBar *self,
                                                 gint64         now);
/* The fraction of the lifetime used at "now", 0..1. */
double     cb_lifetime_bar_get_fraction_used    (CbLifetimeBar *self);

G_END_DECLS
