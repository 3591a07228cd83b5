/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-discovery-step"

/* One step of the chooser: a header with a back button, a search entry that filters the list
 * as one types (by title and detail), and a stack of four states: loading (a spinner), the
 * list, an empty list that says what to do, and an error (a forbidden list says the account
 * may not list here). Every state offers "Enter Manually"; an optional step offers "Skip".
 * Signals: "chosen" (the CbArmResource), "manual", "skip", "retry" and "back". */

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cb-discovery-step.h"
#include "cb-error.h"

struct _CbDiscoveryStep
{
  GtkBox             parent_instance;

  CbArmResourceKind  kind;
  GtkStack          *stack;
  GtkSearchEntry    *search;
  GtkListBox        *list_box;
  AdwStatusPage     *empty_page;
  AdwStatusPage     *error_page;
  GtkWidget         *retry_button;
  GtkWidget         *bottom;
  GHashTable        *rows;        /* name -> row (borrowed) */
};

G_DEFINE_FINAL_TYPE (CbDiscoveryStep, cb_discovery_step, GTK_TYPE_BOX)

enum
{
  SIGNAL_CHOSEN,
  SIGNAL_MANUAL,
  SIGNAL_SKIP,
  SIGNAL_RETRY,
  SIGNAL_BACK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cb_discovery_step_dispose (GObject *object)
{
  CbDiscoveryStep *self = CB_DISCOVERY_STEP (object);

  g_clear_pointer (&self->rows, g_hash_table_unref);

  G_OBJECT_CLASS (cb_discovery_step_parent_class)->dispose (object);
}

static void
cb_discovery_step_class_init (CbDiscoveryStepClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cb_discovery_step_dispose;

  signals[SIGNAL_CHOSEN] = g_signal_new ("chosen", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         CB_TYPE_ARM_RESOURCE);
  signals[SIGNAL_MANUAL] = g_signal_new ("manual", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_SKIP] = g_signal_new ("skip", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_RETRY] = g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_BACK] = g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cb_discovery_step_init (CbDiscoveryStep *self)
{
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
on_row_activated_cb (CbDiscoveryStep *self,
                     GtkListBoxRow   *row)
{
  CbArmResource *resource = g_object_get_data (G_OBJECT (row), "cb-resource");

  if (resource != NULL)
    g_signal_emit (self, signals[SIGNAL_CHOSEN], 0, resource);
}

static gboolean
filter_row (GtkListBoxRow *row,
            gpointer       user_data)
{
  CbDiscoveryStep *self = user_data;
  CbArmResource *resource = g_object_get_data (G_OBJECT (row), "cb-resource");
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search));
  g_autofree char *needle = NULL;
  g_autofree char *title = NULL;
  g_autofree char *detail = NULL;

  if (resource == NULL || *query == '\0')
    return TRUE;

  needle = g_utf8_casefold (query, -1);
  title = g_utf8_casefold (cb_arm_resource_get_title (resource), -1);
  detail = cb_arm_resource_get_detail (resource) != NULL
           ? g_utf8_casefold (cb_arm_resource_get_detail (resource), -1) : NULL;
  return strstr (title, needle) != NULL || (detail != NULL && strstr (detail, needle) != NULL);
}

static void
on_search_changed_cb (CbDiscoveryStep *self)
{
  gtk_list_box_invalidate_filter (self->list_box);
}

static void
emit_manual (CbDiscoveryStep *self)
{
  g_signal_emit (self, signals[SIGNAL_MANUAL], 0);
}

static void
emit_skip (CbDiscoveryStep *self)
{
  g_signal_emit (self, signals[SIGNAL_SKIP], 0);
}

static void
emit_retry (CbDiscoveryStep *self)
{
  g_signal_emit (self, signals[SIGNAL_RETRY], 0);
}

static void
emit_back (CbDiscoveryStep *self)
{
  g_signal_emit (self, signals[SIGNAL_BACK], 0);
}

static GtkWidget *
new_button (CbDiscoveryStep *self,
            const char      *mnemonic,
            GCallback        callback,
            gboolean         pill)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (mnemonic);

  if (pill)
    {
      gtk_widget_add_css_class (button, "pill");
      gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
    }
  g_signal_connect_swapped (button, "clicked", callback, self);
  return button;
}

static AdwStatusPage *
new_status_page (const char *icon,
                 const char *title,
                 const char *text,
                 GtkWidget  *child)
{
  AdwStatusPage *page = ADW_STATUS_PAGE (adw_status_page_new ());

  adw_status_page_set_icon_name (page, icon);
  adw_status_page_set_title (page, title);
  adw_status_page_set_description (page, text);
  adw_status_page_set_child (page, child);
  gtk_widget_set_vexpand (GTK_WIDGET (page), TRUE);
  return page;
}

CbDiscoveryStep *
cb_discovery_step_new (CbArmResourceKind  kind,
                       const char        *title,
                       const char        *search_label,
                       const char        *empty_title,
                       const char        *empty_text,
                       gboolean           optional)
{
  CbDiscoveryStep *self = g_object_new (CB_TYPE_DISCOVERY_STEP,
                                        "orientation", GTK_ORIENTATION_VERTICAL, NULL);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *back = gtk_button_new_from_icon_name ("go-previous-symbolic");
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *loading = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *spinner = gtk_spinner_new ();
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *error_buttons = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *bottom = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *no_match = gtk_label_new (_("Nothing matches the search"));

  self->kind = kind;

  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), adw_window_title_new (title, NULL));
  gtk_widget_set_tooltip_text (back, _("Back"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (back), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Back"), -1);
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (emit_back), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), back);
  gtk_box_append (GTK_BOX (self), header);

  self->search = GTK_SEARCH_ENTRY (gtk_search_entry_new ());
  g_object_set (self->search, "placeholder-text", search_label, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->search), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  search_label, -1);
  gtk_widget_set_margin_start (GTK_WIDGET (self->search), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->search), 12);
  gtk_widget_set_margin_top (GTK_WIDGET (self->search), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->search), 6);
  g_signal_connect_swapped (self->search, "search-changed", G_CALLBACK (on_search_changed_cb),
                            self);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->search));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);

  gtk_widget_set_valign (loading, GTK_ALIGN_CENTER);
  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_size_request (spinner, 32, 32);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Loading"), -1);
  gtk_box_append (GTK_BOX (loading), spinner);
  gtk_box_append (GTK_BOX (loading), gtk_label_new (_("Reading the list from Azure…")));
  gtk_stack_add_named (self->stack, loading, "loading");

  self->list_box = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_widget_add_css_class (GTK_WIDGET (self->list_box), "boxed-list");
  gtk_widget_set_valign (GTK_WIDGET (self->list_box), GTK_ALIGN_START);
  gtk_widget_set_margin_top (GTK_WIDGET (self->list_box), 6);
  gtk_widget_set_margin_bottom (GTK_WIDGET (self->list_box), 12);
  gtk_widget_set_margin_start (GTK_WIDGET (self->list_box), 12);
  gtk_widget_set_margin_end (GTK_WIDGET (self->list_box), 12);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_box), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  title, -1);
  gtk_widget_add_css_class (no_match, "dim-label");
  gtk_widget_set_margin_top (no_match, 12);
  gtk_widget_set_margin_bottom (no_match, 12);
  gtk_list_box_set_placeholder (self->list_box, no_match);
  gtk_list_box_set_filter_func (self->list_box, filter_row, self, NULL);
  g_signal_connect_swapped (self->list_box, "row-activated", G_CALLBACK (on_row_activated_cb),
                            self);
  adw_clamp_set_child (ADW_CLAMP (clamp), GTK_WIDGET (self->list_box));
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), clamp);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_stack_add_named (self->stack, scrolled, "list");

  gtk_box_append (GTK_BOX (buttons),
                  new_button (self, _("_Enter Manually"), G_CALLBACK (emit_manual), TRUE));
  if (optional)
    gtk_box_append (GTK_BOX (buttons), new_button (self, _("_Skip"), G_CALLBACK (emit_skip), TRUE));
  self->empty_page = new_status_page ("edit-find-symbolic", empty_title, empty_text, buttons);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty_page), "empty");

  self->retry_button = new_button (self, _("_Try Again"), G_CALLBACK (emit_retry), TRUE);
  gtk_widget_add_css_class (self->retry_button, "suggested-action");
  gtk_box_append (GTK_BOX (error_buttons), self->retry_button);
  gtk_box_append (GTK_BOX (error_buttons),
                  new_button (self, _("E_nter Manually"), G_CALLBACK (emit_manual), TRUE));
  self->error_page = new_status_page ("dialog-warning-symbolic", NULL, NULL, error_buttons);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->error_page), "error");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->stack));

  /* Typed fields stay at hand from the list too. */
  gtk_widget_set_halign (bottom, GTK_ALIGN_CENTER);
  gtk_widget_set_margin_top (bottom, 6);
  gtk_widget_set_margin_bottom (bottom, 12);
  gtk_box_append (GTK_BOX (bottom), new_button (self, _("Enter _Manually"),
                                                G_CALLBACK (emit_manual), FALSE));
  if (optional)
    gtk_box_append (GTK_BOX (bottom), new_button (self, _("S_kip"), G_CALLBACK (emit_skip),
                                                  FALSE));
  gtk_box_append (GTK_BOX (self), bottom);
  self->bottom = bottom;

  cb_discovery_step_set_loading (self);
  return self;
}

CbArmResourceKind
cb_discovery_step_get_kind (CbDiscoveryStep *self)
{
  g_return_val_if_fail (CB_IS_DISCOVERY_STEP (self), CB_ARM_RESOURCE_TENANT);
  return self->kind;
}

/* The empty and error pages have their own buttons: the bar under the list is for the list
 * and the spinner. */
static void
show_state (CbDiscoveryStep *self,
            const char      *state)
{
  gtk_stack_set_visible_child_name (self->stack, state);
  gtk_widget_set_visible (self->bottom, g_str_equal (state, "list") ||
                                        g_str_equal (state, "loading"));
}

void
cb_discovery_step_set_loading (CbDiscoveryStep *self)
{
  g_return_if_fail (CB_IS_DISCOVERY_STEP (self));

  gtk_widget_set_sensitive (GTK_WIDGET (self->search), FALSE);
  show_state (self, "loading");
}

void
cb_discovery_step_set_error (CbDiscoveryStep *self,
                             const GError    *error)
{
  gboolean forbidden;

  g_return_if_fail (CB_IS_DISCOVERY_STEP (self));

  forbidden = g_error_matches (error, CB_API_ERROR, CB_API_ERROR_FORBIDDEN);
  adw_status_page_set_title (self->error_page, forbidden ? _("Your Account May Not List These")
                                                         : _("Could Not Read the List"));
  if (forbidden)
    {
      adw_status_page_set_description (self->error_page,
                                       _("Your role does not let you list here. Enter the name "
                                         "your administrator gave you."));
    }
  else
    {
      adw_status_page_set_description (self->error_page, error->message);
    }
  gtk_widget_set_visible (self->retry_button, !forbidden);
  gtk_widget_set_sensitive (GTK_WIDGET (self->search), FALSE);
  show_state (self, "error");
}

static GtkWidget *
new_row (CbArmResource *resource)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cb_arm_resource_get_title (resource));
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (cb_arm_resource_get_detail (resource) != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), cb_arm_resource_get_detail (resource));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  g_object_set_data_full (G_OBJECT (row), "cb-resource", g_object_ref (resource),
                          g_object_unref);
  return row;
}

void
cb_discovery_step_set_items (CbDiscoveryStep *self,
                             GPtrArray       *items)
{
  GtkWidget *child;

  g_return_if_fail (CB_IS_DISCOVERY_STEP (self));

  g_hash_table_remove_all (self->rows);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL &&
         GTK_IS_LIST_BOX_ROW (child))
    gtk_list_box_remove (self->list_box, child);

  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      CbArmResource *resource = g_ptr_array_index (items, i);
      GtkWidget *row = new_row (resource);

      gtk_list_box_append (self->list_box, row);
      g_hash_table_insert (self->rows, g_strdup (cb_arm_resource_get_name (resource)), row);
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->search), items != NULL && items->len > 0);
  show_state (self, items != NULL && items->len > 0 ? "list" : "empty");
  if (items != NULL && items->len > 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->search));
}

const char *
cb_discovery_step_get_state (CbDiscoveryStep *self)
{
  g_return_val_if_fail (CB_IS_DISCOVERY_STEP (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}

GtkEditable *
cb_discovery_step_get_search (CbDiscoveryStep *self)
{
  g_return_val_if_fail (CB_IS_DISCOVERY_STEP (self), NULL);

  return GTK_EDITABLE (self->search);
}

GtkWidget *
cb_discovery_step_find_row (CbDiscoveryStep *self,
                            const char      *name)
{
  g_return_val_if_fail (CB_IS_DISCOVERY_STEP (self), NULL);

  return g_hash_table_lookup (self->rows, name);
}
