/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The certificate authorities pane's insides, shared by its two files: cb-registry-ca-pane.c
 * (the widget, the loading and the rows) and cb-registry-ca-pane-actions.c (what its buttons do). */

#include "cb-adr-client-ca.h"
#include "cb-registry-ca-pane.h"

G_BEGIN_DECLS

struct _CbRegistryCaPane
{
  AdwBin                parent_instance;

  CbContext            *context;
  GCancellable         *cancellable;   /* the load's: cancelled by the next one */
  GCancellable         *op_cancellable; /* the operations': cancelled on clear and dispose */
  GPtrArray            *cas;           /* CbCertificateAuthority, as last read */
  GHashTable           *policies;      /* ICA name (lower case) → CbPolicy */
  CbNamespace          *ns;
  GHashTable           *rotated;       /* ICA name (lower case) → gint64 *, rotated here */
  GPtrArray            *operations;    /* char *, what runs */
  AdwMessageDialog     *dialog;        /* weak */
  GtkWindow            *form;          /* weak: a form dialog (new enrollment group) */
  GPtrArray            *groups;        /* JsonObject: the DPS's enrollment groups, NULL unread */
  char                 *groups_error;  /* why they could not be read */
  GPtrArray            *hub_certs;     /* CbCertificate: the linked hubs' CA certificates */
  GPtrArray            *hub_cert_hubs; /* char *: the hub each of those came from */
  GtkFileChooserNative *chooser;
  char                 *chooser_ca;
  GError               *error;
  guint                 generation;
  guint                 pending;
  guint                 poll_id;
  guint                 polls;
  gboolean              loading;
  gboolean              disposed;

  GtkStack             *stack;
  AdwStatusPage        *status;
  GtkBox               *content;
  GtkRevealer          *busy_revealer;
  GtkSpinner           *busy_spinner;
  GtkLabel             *busy_label;
};

/* cb-registry-ca-pane.c */
void              _cb_registry_ca_pane_toast         (CbRegistryCaPane *self,
                                                      const char       *text);
void              _cb_registry_ca_pane_error_toast   (CbRegistryCaPane *self,
                                                      const char       *what,
                                                      const GError     *error);
void              _cb_registry_ca_pane_set_dialog    (CbRegistryCaPane *self,
                                                      AdwMessageDialog *dialog);
GtkWindow        *_cb_registry_ca_pane_get_window    (CbRegistryCaPane *self);
gpointer          _cb_registry_ca_pane_begin         (CbRegistryCaPane *self,
                                                      const char       *description);
void              _cb_registry_ca_pane_end           (gpointer          op);
CbCertificateAuthority *
                  _cb_registry_ca_pane_find_ca       (CbRegistryCaPane *self,
                                                      const char       *name);
CbPolicy         *_cb_registry_ca_pane_find_policy   (CbRegistryCaPane *self,
                                                      const char       *ca_name);
void              _cb_registry_ca_pane_mark_rotated  (CbRegistryCaPane *self,
                                                      const char       *ca_name);
void              _cb_registry_ca_pane_policies_changed (CbRegistryCaPane *self);

void              _cb_registry_ca_pane_set_form      (CbRegistryCaPane *self,
                                                      GtkWindow        *form);

/* cb-registry-ca-pane-actions.c */
void              _cb_registry_ca_actions_class_init (GtkWidgetClass   *widget_class);
void              _cb_registry_ca_actions_update     (CbRegistryCaPane *self);

/* cb-registry-ca-pane-groups.c */
void              _cb_registry_ca_groups_add         (CbRegistryCaPane *self,
                                                      GtkBox           *content);
void              _cb_registry_ca_groups_update      (CbRegistryCaPane *self);
void              _cb_registry_ca_groups_class_init  (GtkWidgetClass   *widget_class);

/* cb-registry-ca-pane-certs.c */
void              _cb_registry_ca_certs_add_row      (CbRegistryCaPane       *self,
                                                      AdwPreferencesGroup    *group,
                                                      CbCertificateAuthority *ca);
void              _cb_registry_ca_certs_keep_hub_certificates (CbRegistryCaPane *self,
                                                      const char             *hub,
                                                      GPtrArray              *hub_certificates);
void              _cb_registry_ca_certs_keep_chain   (CbRegistryCaPane       *self,
                                                      const char             *pem);
/* Where a CA's @chain came from (@hub's CA certificates, or the station's store when NULL)
 * and how far up it goes, for its certificate row (the policy pane's too). */
char             *_cb_registry_ca_certs_describe     (GPtrArray              *chain,
                                                      const char             *hub);

G_END_DECLS
