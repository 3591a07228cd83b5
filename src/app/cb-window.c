/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-window"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "cb-a11y.h"
#include "cb-bench-page.h"
#include "cb-connections-window.h"
#include "cb-device-page.h"
#include "cb-diagnostics-page.h"
#include "cb-fleet-page.h"
#include "cb-journal-page.h"
#include "cb-registry-page.h"
#include "cb-sign-in-dialog.h"
#include "cb-toasts.h"
#include "cb-window.h"

/* The order of the switcher and of Ctrl+1..5. */
static const char * const page_names[] = {
  "bench", "journal", "registry", "fleet", "diagnostics",
};
#define N_PAGES G_N_ELEMENTS (page_names)

struct _CbWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwViewStack         *stack;
  AdwToastOverlay      *toast_overlay;
  GtkMenuButton        *connection_button;
  GtkMenuButton        *primary_menu_button;
  GtkStack             *connection_icon_stack;
  GtkSpinner           *connection_spinner;
  GtkImage             *connection_icon;
  GtkLabel             *connection_label;
  GtkLabel             *popover_kind_label;
  GtkLabel             *popover_profile_label;
  GtkLabel             *popover_state_label;
  GtkLabel             *popover_user_label;
  GtkWidget            *reconnect_button;
  GtkWidget            *sign_in_button;
  GtkWidget            *sign_out_button;
  GtkInfoBar           *secrets_bar;
  GtkLabel             *secrets_label;
  AdwLeaflet           *leaflet;
  GtkWidget            *pages_box;
  AdwBin               *device_slot;

  /* Owned */
  CbContext            *context;
  GSettings            *settings;
  char                 *profile_id;   /* the profile last seen */
  /* Each page's slot in the view stack, and the page once built (the slot holds it). */
  AdwBin               *slots[N_PAGES];
  GtkWidget            *pages[N_PAGES];
  guint                 build_idle_id;
  CbContextState        last_state;
  guint                 switched : 1;  /* to another profile, not yet ready */
};

G_DEFINE_FINAL_TYPE (CbWindow, cb_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static int
page_index (const char *name)
{
  for (guint i = 0; i < N_PAGES; i++)
    if (g_strcmp0 (name, page_names[i]) == 0)
      return (int) i;
  return -1;
}

/* A page is built the first time it is shown or asked for, or after the window's first frame:
 * only the page on screen costs start-up time. */
static GtkWidget *
ensure_page (CbWindow *self,
             guint     i)
{
  if (self->pages[i] != NULL)
    return self->pages[i];

  switch (i)
    {
    case 0: self->pages[i] = cb_bench_page_new (self->context); break;
    case 1: self->pages[i] = cb_journal_page_new (self->context); break;
    case 2: self->pages[i] = cb_registry_page_new (self->context); break;
    case 3: self->pages[i] = cb_fleet_page_new (self->context); break;
    case 4: self->pages[i] = cb_diagnostics_page_new (self->context); break;
    default: g_assert_not_reached ();
    }
  adw_bin_set_child (self->slots[i], self->pages[i]);
  return self->pages[i];
}

static void
update_connection (CbWindow *self)
{
  CbProfile *profile = cb_context_get_profile (self->context);
  CbContextState state = cb_context_get_state (self->context);
  const char *user = cb_context_get_username (self->context);
  const GError *error = cb_context_get_error (self->context);
  gboolean sandbox = cb_profile_get_kind (profile) == CB_PROFILE_KIND_SANDBOX;
  const char *icon = "network-idle-symbolic";
  g_autofree char *state_text = NULL;
  g_autofree char *user_text = NULL;
  gboolean can_sign_in;
  gboolean can_sign_out;

  gtk_label_set_label (self->connection_label, cb_context_get_status_text (self->context));

  if (state == CB_CONTEXT_STATE_STARTING)
    {
      gtk_spinner_start (self->connection_spinner);
      gtk_stack_set_visible_child_name (self->connection_icon_stack, "busy");
    }
  else
    {
      gtk_spinner_stop (self->connection_spinner);
      gtk_stack_set_visible_child_name (self->connection_icon_stack, "icon");
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->connection_button), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->connection_button), "warning");

  switch (state)
    {
    case CB_CONTEXT_STATE_STARTING:
      state_text = g_strdup (cb_context_get_status_text (self->context));
      break;
    case CB_CONTEXT_STATE_READY:
      icon = sandbox ? "computer-symbolic" : "network-server-symbolic";
      state_text = g_strdup (_("Connected"));
      break;
    case CB_CONTEXT_STATE_SIGNED_OUT:
      icon = "network-offline-symbolic";
      state_text = g_strdup (_("Not signed in"));
      gtk_widget_add_css_class (GTK_WIDGET (self->connection_button), "warning");
      break;
    case CB_CONTEXT_STATE_ERROR:
    default:
      icon = "network-error-symbolic";
      state_text = g_strdup (error != NULL ? error->message : _("Unavailable"));
      gtk_widget_add_css_class (GTK_WIDGET (self->connection_button), "error");
      break;
    }

  gtk_image_set_from_icon_name (self->connection_icon, icon);
  gtk_label_set_label (self->popover_kind_label,
                       sandbox ? _("Local Sandbox") : _("Azure Profile"));
  gtk_label_set_label (self->popover_profile_label, cb_profile_get_name (profile));
  gtk_label_set_label (self->popover_state_label, state_text);

  if (user != NULL)
    /* Translators: the signed-in user's name */
    user_text = g_strdup_printf (_("Signed in as %s"), user);
  gtk_label_set_label (self->popover_user_label, user_text);
  gtk_widget_set_visible (GTK_WIDGET (self->popover_user_label), user_text != NULL);

  /* Tooltip = accessible description of the indicator, with the whole story. */
  {
    g_autofree char *tooltip = NULL;

    tooltip = g_strdup_printf ("%s: %s", cb_profile_get_name (profile), state_text);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->connection_button), tooltip);
  }

  can_sign_in = state == CB_CONTEXT_STATE_SIGNED_OUT ||
                (state == CB_CONTEXT_STATE_ERROR && !sandbox);
  can_sign_out = state == CB_CONTEXT_STATE_READY && !sandbox;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-in", can_sign_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", can_sign_out);
  /* The sandbox signs itself in: no account buttons for it at all. */
  gtk_widget_set_visible (self->sign_in_button, can_sign_in);
  gtk_widget_set_visible (self->sign_out_button, can_sign_out);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.reconnect",
                                 state == CB_CONTEXT_STATE_ERROR);
  gtk_widget_set_visible (self->reconnect_button, state == CB_CONTEXT_STATE_ERROR);
}

/* Outcomes of a switch or a sign-in are toasts; the first start is not an outcome. */
static void
toast_connection_change (CbWindow *self)
{
  CbContextState state = cb_context_get_state (self->context);
  CbProfile *profile = cb_context_get_profile (self->context);
  const char *user = cb_context_get_username (self->context);
  CbContextState last_state = self->last_state;

  if (g_strcmp0 (self->profile_id, cb_profile_get_id (profile)) != 0)
    {
      g_free (self->profile_id);
      self->profile_id = g_strdup (cb_profile_get_id (profile));
      self->switched = TRUE;
    }

  self->last_state = state;
  if (state != CB_CONTEXT_STATE_READY || last_state == CB_CONTEXT_STATE_READY)
    return;

  if (self->switched)
    {
      /* Translators: a connection profile's name */
      g_autofree char *title = g_strdup_printf (_("Connected to %s"),
                                                cb_profile_get_name (profile));

      cb_window_add_toast (self, adw_toast_new (title));
    }
  else if (last_state == CB_CONTEXT_STATE_SIGNED_OUT && user != NULL)
    {
      /* Translators: the signed-in user's name */
      g_autofree char *title = g_strdup_printf (_("Signed in as %s"), user);

      cb_window_add_toast (self, adw_toast_new (title));
    }

  self->switched = FALSE;
}

static void
on_context_notify_cb (CbWindow   *self,
                      GParamSpec *pspec,
                      CbContext  *context)
{
  g_assert (CB_IS_WINDOW (self));

  update_connection (self);
  toast_connection_change (self);
}

/* A banner for as long as the active profile's sign-in cannot be kept past this session. */
static void
update_secrets_bar (CbWindow *self)
{
  const char *problem = cb_context_get_secrets_problem (self->context);

  if (problem != NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s says why, e.g. "The name org.freedesktop.secrets was not provided by
       * any .service files" */
      text = g_strdup_printf (_("Secrets cannot be kept in the keyring, so this sign-in lasts "
                                "until Certbench quits. %s"), problem);
      gtk_label_set_label (self->secrets_label, text);
    }
  gtk_info_bar_set_revealed (self->secrets_bar, problem != NULL);
}

static void
cb_window_show_device_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  cb_window_show_device (CB_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
cb_window_show_page_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  cb_window_set_page (CB_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
cb_window_refresh_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  CbWindow *self = CB_WINDOW (widget);
  const char *name = adw_view_stack_get_visible_child_name (self->stack);
  GtkWidget *page = name != NULL ? cb_window_get_page_widget (self, name) : NULL;

  /* Each page installs "page.refresh" if it has something to reload. */
  if (page != NULL)
    gtk_widget_activate_action (page, "page.refresh", NULL);
}

static void
cb_window_connections_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *param)
{
  CbWindow *self = CB_WINDOW (widget);
  CbConnectionsWindow *connections;

  connections = cb_connections_window_new (self->context);
  gtk_window_set_transient_for (GTK_WINDOW (connections), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (connections));
}

static void
cb_window_sign_in_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *param)
{
  CbWindow *self = CB_WINDOW (widget);
  CbSignInDialog *dialog;

  dialog = cb_sign_in_dialog_new (self->context);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cb_window_reconnect_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *param)
{
  cb_context_reconnect (CB_WINDOW (widget)->context);
}

static void
sign_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CbWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cb_context_sign_out_finish (CB_CONTEXT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        cb_window_add_toast (self, adw_toast_new (error->message));
      return;
    }

  cb_window_add_toast (self, adw_toast_new (_("Signed out")));
}

static void
cb_window_sign_out_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *param)
{
  CbWindow *self = CB_WINDOW (widget);

  cb_context_sign_out_async (self->context, NULL, sign_out_cb, g_object_ref (self));
}

static void
add_page (CbWindow   *self,
          guint       i,
          const char *title,
          const char *icon_name)
{
  AdwViewStackPage *stack_page;

  self->slots[i] = ADW_BIN (adw_bin_new ());
  stack_page = adw_view_stack_add_titled (self->stack, GTK_WIDGET (self->slots[i]),
                                          page_names[i], title);
  adw_view_stack_page_set_icon_name (stack_page, icon_name);
}

/* The hidden pages, one per main-loop turn, once the first frame is on screen: the Bench page
 * provisions devices plugged in while another page is shown, and every page keeps its
 * behaviour of a window built whole. At default priority: a lower one starves behind the
 * frame clock while anything animates (a spinner) on a slow renderer. */
static gboolean
build_next_page_cb (gpointer user_data)
{
  CbWindow *self = user_data;

  for (guint i = 0; i < N_PAGES; i++)
    if (self->pages[i] == NULL)
      {
        ensure_page (self, i);
        return G_SOURCE_CONTINUE;
      }
  self->build_idle_id = 0;
  return G_SOURCE_REMOVE;
}

static void
on_first_paint_cb (CbWindow      *self,
                   GdkFrameClock *clock)
{
  g_signal_handlers_disconnect_by_func (clock, on_first_paint_cb, self);
  if (self->build_idle_id == 0)
    self->build_idle_id = g_idle_add_full (G_PRIORITY_DEFAULT, build_next_page_cb, self, NULL);
}

static void
on_map_cb (CbWindow *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  g_signal_handlers_disconnect_by_func (self, on_map_cb, NULL);
  if (clock != NULL)
    g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_first_paint_cb), self,
                             G_CONNECT_SWAPPED);
}

static void
on_visible_child_cb (CbWindow   *self,
                     GParamSpec *pspec,
                     AdwViewStack *stack)
{
  const char *name = adw_view_stack_get_visible_child_name (stack);
  int i = page_index (name);

  if (i >= 0)
    ensure_page (self, (guint) i);
  if (self->settings != NULL && name != NULL)
    g_settings_set_string (self->settings, "last-page", name);
}

static void
cb_window_constructed (GObject *object)
{
  CbWindow *self = CB_WINDOW (object);
  g_autofree char *last_page = NULL;

  G_OBJECT_CLASS (cb_window_parent_class)->constructed (object);

  g_return_if_fail (CB_IS_CONTEXT (self->context));

  add_page (self, 0, _("Bench"), "applications-engineering-symbolic");
  add_page (self, 1, _("Journal"), "document-open-recent-symbolic");
  add_page (self, 2, _("Registry"), "network-server-symbolic");
  add_page (self, 3, _("Fleet"), "view-grid-symbolic");
  add_page (self, 4, _("Diagnostics"), "system-run-symbolic");

  self->settings = g_settings_new ("io.github.certbench.Certbench");
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);

  /* The bench is where a new user starts; return to the last page otherwise. */
  last_page = g_settings_get_string (self->settings, "last-page");
  if (page_index (last_page) >= 0)
    adw_view_stack_set_visible_child_name (self->stack, last_page);
  ensure_page (self, (guint) page_index (adw_view_stack_get_visible_child_name (self->stack)));
  g_signal_connect_object (self->stack, "notify::visible-child",
                           G_CALLBACK (on_visible_child_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect (self, "map", G_CALLBACK (on_map_cb), NULL);

  g_signal_connect_object (self->context, "notify::state", G_CALLBACK (on_context_notify_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::status-text",
                           G_CALLBACK (on_context_notify_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::profile", G_CALLBACK (on_context_notify_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "notify::secrets-problem",
                           G_CALLBACK (update_secrets_bar), self, G_CONNECT_SWAPPED);
  update_connection (self);
  update_secrets_bar (self);
  self->last_state = cb_context_get_state (self->context);
  self->profile_id = g_strdup (cb_profile_get_id (cb_context_get_profile (self->context)));

#if DEVELOPMENT_BUILD
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}

static void
cb_window_dispose (GObject *object)
{
  CbWindow *self = CB_WINDOW (object);

  g_clear_handle_id (&self->build_idle_id, g_source_remove);
  /* No page is built while the stack takes its children down. */
  if (self->stack != NULL)
    g_signal_handlers_disconnect_by_func (self->stack, on_visible_child_cb, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_WINDOW);
  memset (self->pages, 0, sizeof self->pages);
  memset (self->slots, 0, sizeof self->slots);
  g_clear_object (&self->settings);
  g_clear_object (&self->context);
  g_clear_pointer (&self->profile_id, g_free);

  G_OBJECT_CLASS (cb_window_parent_class)->dispose (object);
}

static void
cb_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CbWindow *self = CB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CbWindow *self = CB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_window_class_init (CbWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cb_window_constructed;
  object_class->dispose = cb_window_dispose;
  object_class->get_property = cb_window_get_property;
  object_class->set_property = cb_window_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CbWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, pages_box);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, device_slot);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, connection_button);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, connection_icon_stack);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, connection_spinner);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, connection_icon);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, connection_label);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, popover_kind_label);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, popover_profile_label);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, popover_state_label);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, popover_user_label);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, reconnect_button);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, sign_out_button);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, secrets_bar);
  gtk_widget_class_bind_template_child (widget_class, CbWindow, secrets_label);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s",
                                   cb_window_show_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-device", "s",
                                   cb_window_show_device_action);
  gtk_widget_class_install_action (widget_class, "win.refresh", NULL, cb_window_refresh_action);
  gtk_widget_class_install_action (widget_class, "win.connections", NULL,
                                   cb_window_connections_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, cb_window_sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL,
                                   cb_window_sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.reconnect", NULL,
                                   cb_window_reconnect_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "win.refresh", NULL);
  for (guint i = 0; i < N_PAGES; i++)
    {
      gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_CONTROL_MASK,
                                           "win.show-page", "s", page_names[i]);
      gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_1 + i, GDK_CONTROL_MASK,
                                           "win.show-page", "s", page_names[i]);
    }
}

static void
cb_window_init (CbWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  cb_toast_overlay_set_for_root (GTK_ROOT (self), self->toast_overlay);
  cb_a11y_name_popup_button (GTK_WIDGET (self->connection_button), _("Connection"));
  cb_a11y_name_popup_button (GTK_WIDGET (self->primary_menu_button), _("Main menu"));
}

CbWindow *
cb_window_new (GtkApplication *application,
               CbContext      *context)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  return g_object_new (CB_TYPE_WINDOW,
                       "application", application,
                       "context", context,
                       NULL);
}

CbContext *
cb_window_get_context (CbWindow *self)
{
  g_return_val_if_fail (CB_IS_WINDOW (self), NULL);
  return self->context;
}

void
cb_window_add_toast (CbWindow *self,
                     AdwToast *toast)
{
  g_return_if_fail (CB_IS_WINDOW (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  cb_toast_overlay_add_kind (self->toast_overlay, CB_TOAST_KIND_OUTCOME, toast);
}

void
cb_window_set_page (CbWindow   *self,
                    const char *name)
{
  g_return_if_fail (CB_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  if (page_index (name) >= 0)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

const char *
cb_window_get_page (CbWindow *self)
{
  g_return_val_if_fail (CB_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->stack);
}

GtkWidget *
cb_window_get_page_widget (CbWindow   *self,
                           const char *name)
{
  int i;

  g_return_val_if_fail (CB_IS_WINDOW (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  i = page_index (name);
  return i >= 0 ? ensure_page (self, (guint) i) : NULL;
}

static void
on_device_back_cb (CbWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->pages_box);
}

GtkWidget *
cb_window_show_device (CbWindow   *self,
                       const char *device_id)
{
  GtkWidget *page;

  g_return_val_if_fail (CB_IS_WINDOW (self), NULL);
  g_return_val_if_fail (device_id != NULL, NULL);

  page = adw_bin_get_child (self->device_slot);
  if (page == NULL)
    {
      page = cb_device_page_new (self->context);
      g_signal_connect_object (page, "back", G_CALLBACK (on_device_back_cb), self,
                               G_CONNECT_SWAPPED);
      adw_bin_set_child (self->device_slot, page);
    }
  cb_device_page_show_device (CB_DEVICE_PAGE (page), device_id);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->device_slot));
  return page;
}

GtkWidget *
cb_window_get_device_page (CbWindow *self)
{
  g_return_val_if_fail (CB_IS_WINDOW (self), NULL);

  if (adw_leaflet_get_visible_child (self->leaflet) != GTK_WIDGET (self->device_slot))
    return NULL;
  return adw_bin_get_child (self->device_slot);
}

CbWindow *
cb_window_for_widget (GtkWidget *widget)
{
  GtkRoot *root;

  g_return_val_if_fail (GTK_IS_WIDGET (widget), NULL);

  root = gtk_widget_get_root (widget);
  return CB_IS_WINDOW (root) ? CB_WINDOW (root) : NULL;
}
