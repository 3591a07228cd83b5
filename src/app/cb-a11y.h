/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* GTK 4.8 gives the button inside a GtkMenuButton (icon only) or a GtkDropDown no accessible
 * name of its own: screen readers read its class name ("GtkMenuButton", "GtkToggleButton").
 * This names the widget and the button it holds. label: translated. */
void cb_a11y_name_popup_button (GtkWidget  *widget,
                                const char *label);

G_END_DECLS
