/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* State: the directory (principals, role assignments, Entra tokens). */

#include "cb-sb-world.h"

G_BEGIN_DECLS

/* Creates the directory's tables (principals, role_assignments, tokens) after the store opened. */
gboolean      cb_sb_directory_init        (CbSandbox   *self,
                                           GError     **error);

/* Principals and roles (seed, tests). */
gboolean      cb_sb_add_principal    (CbSandbox   *self,
                                      const char  *name,
                                      const char  *display_name,
                                      GError     **error);
gboolean      cb_sb_assign_role      (CbSandbox   *self,
                                      const char  *principal_name,
                                      const char  *role,
                                      const char  *scope,
                                      GError     **error);
/* Mints an access token directly (seed, tests, the app's in-process default). */
char         *cb_sb_issue_token      (CbSandbox   *self,
                                      const char  *principal_name,
                                      const char  *audience,
                                      GError     **error);

/* Tokens (Entra). Only a hash is stored. kind is "access" or "refresh". */
char         *cb_sb_store_token      (CbSandbox   *self,
                                      const char  *kind,
                                      const char  *principal_id,
                                      const char  *audience,
                                      const char  *scope,
                                      const char  *client_id,
                                      gint64       lifetime);
/* Returns the principal id, or NULL when unknown. */
char         *cb_sb_lookup_token     (CbSandbox   *self,
                                      const char  *token,
                                      const char  *kind,
                                      char       **out_audience,
                                      char       **out_principal_name,
                                      char       **out_client_id,
                                      gboolean    *out_expired);
void          cb_sb_delete_token     (CbSandbox   *self,
                                      const char  *token);

G_END_DECLS
