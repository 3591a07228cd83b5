/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* CbContext's insides, shared by the files it is split into (GNOME Text Editor's
 * editor-window-private.h pattern): cb-context.c (the profiles, the clients on the active one,
 * the sandbox, the object) and cb-context-sign-in.c (signing the active profile in: at start,
 * by a device code the user approves, on demand for a command line, and out). */

#include "cb-context.h"

G_BEGIN_DECLS

struct _CbContext
{
  GObject         parent_instance;

  /* Owned */
  CbProfile      *profile;
  CbLocalService *sandbox;
  CbLocalServiceStartFunc start_sandbox;
  CbHttpClient   *http;
  CbSecrets      *secrets;
  CbEntraClient  *entra;
  CbAdrClient    *adr;
  CbHubClient    *hub;
  CbDpsClient    *dps;
  CbDpsServiceClient *dps_service;
  CbJournal      *journal;
  CbPortMonitor  *port_monitor;
  GCancellable   *cancellable;
  GListStore     *profiles;
  GError         *error;
  char           *status_text;
  char           *data_dir;
  char           *profiles_path;
  char           *journal_path;

  CbContextFlags  flags;
  CbContextState  state;
  guint           started : 1;
  guint           owns_sandbox : 1;
  guint           sandbox_starting : 1;
  guint           shut_down : 1;
  guint           fixed_profile : 1;   /* cb_context_new_for_profile() */
};

gboolean _cb_context_is_sandbox        (CbProfile      *profile);
/* Whether a callback for @cancellable still belongs to the active profile. */
gboolean _cb_context_is_current        (CbContext      *self,
                                        GCancellable   *cancellable);
void     _cb_context_set_state         (CbContext      *self,
                                        CbContextState  state,
                                        const char     *status_text,
                                        const GError   *error);
void     _cb_context_set_ready         (CbContext      *self);
void     _cb_context_set_signed_out    (CbContext      *self);
void     _cb_context_set_error         (CbContext      *self,
                                        const GError   *error);
/* The clients that need an ARM sign-in: ADR, the hub and the DPS service API. */
void     _cb_context_make_arm_clients  (CbContext      *self);
void     _cb_context_notify_clients    (CbContext      *self);
/* Tells the DPS service client the ADR model of the profile's namespace, asking the ADR client
 * for it when it does not know it yet; completes (never fails) once that is settled. */
void     _cb_context_find_model_async  (CbContext      *self,
                                        GCancellable   *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer        user_data);

/* cb-context-sign-in.c: signs the profile whose clients were just made in, with the token
 * stored for it or (the sandbox) a device code that the sandbox approves. */
void     _cb_context_sign_in           (CbContext      *self);

G_END_DECLS
