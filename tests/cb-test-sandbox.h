/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "cb-sandbox-private.h"

G_BEGIN_DECLS

/* A real sandbox for tests: its own temporary data folder, real TLS on a free loopback port,
 * served from a thread of its own so tests may use blocking clients, and a SoupSession that
 * pins the sandbox's CA exactly as the app does. */
typedef struct
{
  CbSandbox   *sandbox;
  char        *data_dir;
  SoupSession *session;
  gboolean     owns_dir;
} CbTestSandbox;

typedef enum
{
  CB_TEST_SANDBOX_NONE        = 0,
  CB_TEST_SANDBOX_MANUAL_SIGN_IN = 1 << 0,   /* device codes wait for an explicit approval */
} CbTestSandboxFlags;

CbTestSandbox *cb_test_sandbox_new        (CbTestSandboxFlags  flags);
/* Stops the sandbox and starts a new one on the same data folder (persistence tests). */
void           cb_test_sandbox_restart    (CbTestSandbox      *ts);
void           cb_test_sandbox_free       (CbTestSandbox      *ts);

/* In sub/rg: namespace ns with its credential and a 30-day policy, a hub and a DPS instance
 * (id_scope, owner_key) linked to it. */
void           cb_test_sandbox_add_dps_topology (CbTestSandbox *ts,
                                                 const char    *sub,
                                                 const char    *rg,
                                                 const char    *ns,
                                                 const char    *hub,
                                                 const char    *dps,
                                                 const char    *id_scope,
                                                 const char    *owner_key,
                                                 const char    *policy);

/* Adds a principal with a role on a scope ("/subscriptions/..."), returns a token for
 * audience (CB_SB_AUD_ARM, ...). */
char          *cb_test_sandbox_token      (CbTestSandbox      *ts,
                                           const char         *principal,
                                           const char         *role,
                                           const char         *scope,
                                           const char         *audience);

/* Blocking request. body may be NULL; content_type defaults to application/json.
 * Returns the status; the response body and headers when asked for. */
guint          cb_test_sandbox_request    (CbTestSandbox      *ts,
                                           const char         *method,
                                           const char         *path_or_url,
                                           const char         *authorization,
                                           const char         *content_type,
                                           const char         *body,
                                           GBytes            **out_body,
                                           SoupMessageHeaders **out_headers);
/* Same, parsing the response as JSON (NULL when the body is empty). */
guint          cb_test_sandbox_request_json (CbTestSandbox    *ts,
                                             const char       *method,
                                             const char       *path_or_url,
                                             const char       *authorization,
                                             const char       *body,
                                             JsonNode        **out_json,
                                             SoupMessageHeaders **out_headers);

/* A client-auth leaf for pub (CN=cn) signed by a test root, followed by that root: DER,
 * concatenated, as a device's chain slot holds it. */
GBytes        *cb_test_issue_chain        (CbKey              *root_key,
                                           GBytes             *root_der,
                                           GBytes             *pub,
                                           const char         *cn,
                                           gint64              not_before,
                                           gint64              not_after);

/* Removes a folder and everything in it (symbolic links are removed, not followed). */
void           cb_test_remove_tree        (const char         *path);

/* Async helpers: pass cb_test_store_result_cb with &slot as user data, then
 * cb_test_wait_for (&slot) iterates the main context until the result arrived. */
void           cb_test_store_result_cb    (GObject            *object,
                                           GAsyncResult       *result,
                                           gpointer            user_data);
GAsyncResult  *cb_test_wait_for           (GAsyncResult      **slot);

/* The file descriptors this process holds (the sandbox's too, in a test). */
guint          cb_test_count_fds          (void);

/* In the sanitizer pass (ASan's 2-3x slowdown, whole stacks on every allocation): skips the
 * running test case, saying @why, and returns TRUE. For wall-clock checks only, never to
 * hide a finding. FALSE in a normal build. */
gboolean       cb_test_skip_under_sanitizer (const char       *why);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbTestSandbox, cb_test_sandbox_free)

G_END_DECLS
