/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum
{
  CB_SECRET_REFRESH_TOKEN,
  CB_SECRET_ENROLLMENT_GROUP_KEY,
  CB_SECRET_HUB_KEY,
  CB_SECRET_DPS_SERVICE_KEY,
} CbSecretKind;

/* "refresh-token", "enrollment-group-key", "hub-key", "dps-service-key" (the "kind" attribute). */
const char *cb_secret_kind_to_string (CbSecretKind kind);

/**
 * CbSecrets:
 *
 * One secret string per (profile id, kind). The default store is the user's keyring through
 * libsecret (schema "io.github.certbench.Secret", attributes "profile" and "kind"); the memory
 * store keeps secrets in this process only (tests, or a machine without a keyring).
 * When the keyring cannot store a secret (no secret service, a locked keyring, a dismissed
 * prompt), the keyring store keeps it for this session instead and says why in "problem";
 * lookups find it there without asking the keyring again. Values are never logged.
 */
#define CB_TYPE_SECRETS (cb_secrets_get_type ())
G_DECLARE_FINAL_TYPE (CbSecrets, cb_secrets, CB, SECRETS, GObject)

CbSecrets *cb_secrets_new            (void);
CbSecrets *cb_secrets_new_memory     (void);
gboolean   cb_secrets_is_memory      (CbSecrets           *self);
/* NULL while the keyring keeps secrets; else why not (they are kept for this session). */
const char *cb_secrets_get_problem   (CbSecrets           *self);
/* @profile_id's secrets stay in this process, never in the keyring (the local sandbox). */
void       cb_secrets_set_session_only (CbSecrets         *self,
                                        const char        *profile_id);

void       cb_secrets_store_async    (CbSecrets           *self,
                                      const char          *profile_id,
                                      CbSecretKind         kind,
                                      const char          *value,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean   cb_secrets_store_finish   (CbSecrets           *self,
                                      GAsyncResult        *result,
                                      GError             **error);
/* The finish returns NULL without an error when there is no such secret. Free the value
 * with cb_secrets_free_value(), which wipes it. */
void       cb_secrets_lookup_async   (CbSecrets           *self,
                                      const char          *profile_id,
                                      CbSecretKind         kind,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
char      *cb_secrets_lookup_finish  (CbSecrets           *self,
                                      GAsyncResult        *result,
                                      GError             **error);
/* Clearing a secret that does not exist succeeds. kind < 0 clears every kind of the profile. */
void       cb_secrets_clear_async    (CbSecrets           *self,
                                      const char          *profile_id,
                                      int                  kind,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data);
gboolean   cb_secrets_clear_finish   (CbSecrets           *self,
                                      GAsyncResult        *result,
                                      GError             **error);

void       cb_secrets_free_value     (char                *value);

G_END_DECLS
