/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The registry page's insides, shared by the files it is split into (GNOME Text Editor's
 * editor-window-private.h pattern): cb-registry-page.c (the widget, its lifecycle and the
 * loading of namespaces, credential and devices), cb-registry-page-actions.c (its actions and
 * the operations they run), cb-registry-policy-pane.c (the policy list and the policy view) and
 * cb-registry-activity.c (the namespace's activity log). */

#include <adwaita.h>

#include "cb-bulk-bar.h"
#include "cb-context.h"
#include "cb-device-list-model.h"
#include "cb-device-table.h"
#include "cb-device-state.h"
#include "cb-adr-model.h"
#include "cb-policy-dialog.h"
#include "cb-registry-ca-pane.h"
#include "cb-registry-page.h"

G_BEGIN_DECLS

struct _CbRegistryPage
{
  AdwBin              parent_instance;

  CbContext          *context;
  GCancellable       *cancellable;     /* ours: cancelled on dispose and on a profile switch */
  GListStore         *policies;
  CbDeviceListModel  *devices;
  GtkMultiSelection  *device_selection;   /* several devices: the bulk bar acts on them */
  CbPolicy           *policy;          /* selected */
  char               *namespace_id;    /* selected namespace's resource id */
  char               *credential_state;
  char               *last_toast;
  AdwMessageDialog   *dialog;          /* weak */
  CbPolicyDialog     *policy_dialog;   /* weak */
  GPtrArray          *enrollment_groups; /* JsonObject from DPS, NULL until read */
  GtkFileChooserNative *chooser;
  GPtrArray          *operations;      /* char *, what is running */
  CbDeviceStateInfo  *state_info;      /* the signals device rows are judged with */
  guint               state_generation;
  char               *reselect;
  GStrv               delete_devices;  /* an own root's devices the delete dialog offers to revoke */        /* a device to select again after a reload */
  guint               n_activity;
  guint               hub_device_count; /* devices holding a working certificate */
  guint               issuer_revoked_count;
  guint               counts_pending;   /* count queries in flight */
  gboolean            counted;          /* the counts above were read at least once */
  gboolean            loaded;
  gboolean            content_chosen;   /* the folded page was sent to the content once */
  gboolean            disposed;
  CbAdrModel          model;            /* the selected namespace's, once known */

  /* template */
  AdwToastOverlay    *toast_overlay;
  GtkStack           *main_stack;
  AdwStatusPage      *error_status;
  GtkListBox         *namespace_list;
  AdwActionRow       *credential_row;
  GtkListBox         *policy_list;
  AdwLeaflet         *leaflet;
  GtkWidget          *content_pane;
  GtkWidget          *back_button;
  guint               folded_idle;
  GtkRevealer        *busy_revealer;
  GtkSpinner         *busy_spinner;
  GtkLabel           *busy_label;
  AdwViewStack       *view_stack;
  AdwViewStackPage   *authorities_page;
  CbRegistryCaPane   *ca_pane;
  GtkWidget          *credential_heading;
  GtkWidget          *credential_list;
  GtkStack           *policy_stack;
  AdwActionRow       *ca_subject_row;
  AdwActionRow       *ca_validity_row;
  AdwActionRow       *key_type_row;
  AdwActionRow       *byor_row;
  GtkWidget          *byor_csr_button;
  GtkWidget          *byor_activate_button;
  GtkSpinButton      *validity_spin;
  GtkSearchEntry     *search_entry;
  GtkDropDown        *filter_dropdown;
  GtkSpinner         *devices_spinner;
  GtkLabel           *devices_count_label;
  GtkStack           *devices_stack;
  CbDeviceTable      *device_table;
  CbBulkBar          *bulk_bar;
  AdwStatusPage      *devices_status;
  GtkStack           *activity_stack;
  GtkListBox         *activity_list;
  AdwStatusPage      *activity_status;
};

/* cb-registry-page.c */
gboolean      _cb_registry_page_is_ready            (CbRegistryPage   *self);
GCancellable *_cb_registry_page_get_cancellable     (CbRegistryPage   *self);
/* @kind: toasts of one kind replace each other (see cb-toasts.h). */
void          _cb_registry_page_show_toast_of_kind  (CbRegistryPage   *self,
                                                     const char       *kind,
                                                     const char       *text);
void          _cb_registry_page_show_toast          (CbRegistryPage   *self,
                                                     const char       *text);
void          _cb_registry_page_show_error_toast    (CbRegistryPage   *self,
                                                     const char       *what,
                                                     const GError     *error);
char         *_cb_registry_page_format_date         (gint64            t);
void          _cb_registry_page_clear_list_box      (GtkListBox       *list);
GtkWindow    *_cb_registry_page_get_parent_window   (CbRegistryPage   *self);
void          _cb_registry_page_set_dialog          (CbRegistryPage   *self,
                                                     AdwMessageDialog *dialog);
CbDeviceItem *_cb_registry_page_get_selected_device (CbRegistryPage   *self);
void          _cb_registry_page_show_content        (CbRegistryPage   *self);
void          _cb_registry_page_load_namespace      (CbRegistryPage   *self);
void          _cb_registry_page_load_state_info     (CbRegistryPage   *self);
void          _cb_registry_page_refresh_state_info  (CbRegistryPage   *self);
void          _cb_registry_page_count_hub_devices   (CbRegistryPage   *self);

/* cb-registry-page-actions.c */
void          _cb_registry_page_class_actions_init  (GtkWidgetClass   *widget_class);
void          _cb_registry_page_update_actions      (CbRegistryPage   *self);

/* cb-registry-policy-pane.c */
void          _cb_registry_policy_pane_class_init   (GtkWidgetClass   *widget_class);
void          _cb_registry_policy_pane_load         (CbRegistryPage   *self);
char         *_cb_registry_policy_pane_describe_groups_using (CbRegistryPage *self,
                                                              const char     *policy);

/* cb-registry-page-namespaces.c */
void          _cb_registry_page_namespaces_update   (CbRegistryPage   *self);
void          _cb_registry_page_namespaces_class_init (GtkWidgetClass *widget_class);

/* cb-registry-activity.c */
void          _cb_registry_activity_load            (CbRegistryPage   *self);

G_END_DECLS
