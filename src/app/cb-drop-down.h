/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* A GtkDropDown's button is as wide as the longest text it may show (GTK 4.8's default
 * factory does not ellipsize), so a long choice or a long translation widens the row it sits
 * in past a narrow window. This makes the button ellipsize its text: it still asks for the
 * whole text when there is room, and the popup's list is as before (GTK's own factory, with
 * its check mark on the chosen item). Call it after the drop-down's expression is set. */
void cb_drop_down_ellipsize (GtkDropDown *drop_down);

G_END_DECLS
