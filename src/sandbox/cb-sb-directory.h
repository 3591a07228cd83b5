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
                                      const char  *tenant,  /* NULL: the home tenant */
                                      gint64       lifetime);
/* Returns the principal id, or NULL when unknown; out_tenant is the tenant it was issued in. */
char         *cb_sb_lookup_token     (CbSandbox   *self,
                                      const char  *token,
                                      const char  *kind,
                                      char       **out_audience,
                                      char       **out_principal_name,
                                      char       **out_client_id,
                                      char       **out_tenant,
                                      gboolean    *out_expired);
/* Drops every token past its expiry on both the session clock and the real one (Entra forgets
 * them; the table stays bounded). */
void          cb_sb_prune_expired_tokens (CbSandbox *self);
void          cb_sb_delete_token     (CbSandbox   *self,
                                      const char  *token);

/* Tenants besides the home one (meta tenant_id, display name "Certbench sandbox", domain
 * CB_SB_HOME_DOMAIN), which every principal belongs to; a principal is a guest in another
 * tenant once added to it. */
#define CB_SB_HOME_DOMAIN "sandbox.certbench.local"

gboolean      cb_sb_add_tenant       (CbSandbox   *self,
                                      const char  *id,
                                      const char  *display_name,
                                      const char  *default_domain,
                                      const char  *country_code,
                                      GError     **error);
gboolean      cb_sb_add_tenant_member (CbSandbox  *self,
                                      const char  *tenant,
                                      const char  *principal_name,
                                      GError     **error);
/* The id of the tenant name (a tenant id or its domain; "sandbox" for the home tenant), or
 * NULL when the sandbox has no such tenant. */
char         *cb_sb_resolve_tenant   (CbSandbox   *self,
                                      const char  *name);
gboolean      cb_sb_is_tenant_member (CbSandbox   *self,
                                      const char  *tenant,
                                      const char  *principal_id);

G_END_DECLS
