/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The plain results of bench commands (docs/bench-protocol.md section 4), as CbBenchClient
 * returns them. */

typedef struct
{
  char    *key_type;      /* "p256" */
  gboolean created;
  GBytes  *public_key;    /* DER SubjectPublicKeyInfo of the working key */
} CbKeygenResult;

void cb_keygen_result_free (CbKeygenResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbKeygenResult, cb_keygen_result_free)

typedef struct
{
  GBytes *sha256;         /* of the now active chain */
  gint64  not_before;     /* leaf, Unix seconds */
  gint64  not_after;
} CbCommitResult;

void cb_commit_result_free (CbCommitResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbCommitResult, cb_commit_result_free)

typedef struct
{
  GBytes *signature;      /* DER ECDSA-Sig-Value over cb_bench_pop_message (challenge) */
  GBytes *public_key;     /* DER SPKI of the signing key */
  char   *algorithm;      /* "ecdsa-sha256" or "ecdsa-sha384" */
} CbPopResult;

void cb_pop_result_free (CbPopResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbPopResult, cb_pop_result_free)

typedef struct
{
  char   *state;          /* "idle", "running", "assigned", "failed" */
  char   *scope;
  char   *registration_id;
  char   *endpoint;
  char   *hub;            /* when assigned */
  char   *device_id;      /* when assigned */
  GBytes *sha256;         /* of the staged chain, when assigned */
  char   *error;          /* when failed */
} CbDpsStatus;

void cb_dps_status_free (CbDpsStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbDpsStatus, cb_dps_status_free)

G_END_DECLS
