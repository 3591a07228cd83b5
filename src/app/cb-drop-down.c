/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cb-drop-down.h"

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (list_item, label);
}

/* The item's text as GTK's own factory finds it: through the drop-down's expression, or the
 * string of a GtkStringList's item. */
static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item,
         gpointer                  user_data)
{
  GtkDropDown *drop_down = user_data;
  GtkExpression *expression = gtk_drop_down_get_expression (drop_down);
  gpointer item = gtk_list_item_get_item (list_item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  g_auto(GValue) value = G_VALUE_INIT;

  if (expression != NULL && gtk_expression_evaluate (expression, item, &value))
    gtk_label_set_label (label, g_value_get_string (&value));
  else if (GTK_IS_STRING_OBJECT (item))
    gtk_label_set_label (label, gtk_string_object_get_string (GTK_STRING_OBJECT (item)));
  else
    gtk_label_set_label (label, NULL);
}

void
cb_drop_down_ellipsize (GtkDropDown *drop_down)
{
  g_autoptr(GtkListItemFactory) button_factory = NULL;

  g_return_if_fail (GTK_IS_DROP_DOWN (drop_down));

  /* GTK's factory stays for the list, where it marks the chosen item. */
  if (gtk_drop_down_get_list_factory (drop_down) == NULL)
    gtk_drop_down_set_list_factory (drop_down, gtk_drop_down_get_factory (drop_down));

  button_factory = gtk_signal_list_item_factory_new ();
  /* The drop-down owns its factories, which hold no reference back to it. */
  g_signal_connect (button_factory, "setup", G_CALLBACK (setup_cb), NULL);
  g_signal_connect (button_factory, "bind", G_CALLBACK (bind_cb), drop_down);
  gtk_drop_down_set_factory (drop_down, button_factory);
}
