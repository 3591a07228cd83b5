/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include "cb-test-sandbox.h"

G_BEGIN_DECLS

/* What the sandbox's ARM tests share (cb-test-arm.c): reading JSON answers by path, polling
 * long-running operations, a test CA signing a service-made CSR (bring your own root, an
 * External ICA), and the hub's verdict on a chain through the sandbox's check endpoint. */

/* "a.b.c" through objects; NULL when absent. */
JsonNode      *cb_test_jget               (JsonNode      *root,
                                           const char    *path);
/* The string at path, or NULL when absent or not a string. */
const char    *cb_test_jstr               (JsonNode      *root,
                                           const char    *path);

/* Polls an Azure-AsyncOperation URL (every answer 200, InProgress until the end) to a
 * terminal status; returns the final document. */
JsonNode      *cb_test_arm_wait_async     (CbTestSandbox *ts,
                                           const char    *token,
                                           const char    *url);
/* Polls a Location URL (202 with Location and Retry-After while running) until it answers
 * something else; returns that status, and the body when final is not NULL. */
guint          cb_test_arm_wait_location  (CbTestSandbox *ts,
                                           const char    *token,
                                           const char    *url,
                                           JsonNode     **final);

typedef enum
{
  CB_TEST_SIGN_NORMAL        = 0,
  CB_TEST_SIGN_WRONG_KEY     = 1 << 0,   /* certify another key than the CSR's */
  CB_TEST_SIGN_WRONG_SUBJECT = 1 << 1,   /* another subject than the CSR's */
  CB_TEST_SIGN_REVERSED      = 1 << 2,   /* the chain root first */
} CbTestSignFlags;

/* A new customer root (P-384, pathLen 1) signs the CSR's key as a CA valid for days:
 * [ICA, root] as PEM. The root's DER in root_out when asked for. */
char          *cb_test_sign_csr           (const char     *csr_pem,
                                           gint64          now,
                                           gint64          days,
                                           CbTestSignFlags flags,
                                           GBytes        **root_out);
/* {"certificateChain": chain}, the body of activate / activateBringYourOwnRoot. */
char          *cb_test_chain_body         (const char    *chain);

/* The hub's verdict ("accepted", "revoked-issuer", ...) on a PEM chain for device. */
char          *cb_test_check_chain        (CbTestSandbox *ts,
                                           const char    *hub,
                                           const char    *device,
                                           const char    *pem);

G_END_DECLS
