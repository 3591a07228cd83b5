/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-bench-client"

/* What the bench commands answer when the answer is more than one value: the plain result
 * structs CbBenchClient returns (keygen, commit, pop, dps_status) and their free functions. */

#include "config.h"

#include "cb-bench-results.h"

void
cb_keygen_result_free (CbKeygenResult *result)
{
  if (result == NULL)
    return;
  g_free (result->key_type);
  g_clear_pointer (&result->public_key, g_bytes_unref);
  g_free (result);
}

void
cb_commit_result_free (CbCommitResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->sha256, g_bytes_unref);
  g_free (result);
}

void
cb_pop_result_free (CbPopResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer (&result->signature, g_bytes_unref);
  g_clear_pointer (&result->public_key, g_bytes_unref);
  g_free (result->algorithm);
  g_free (result);
}

void
cb_dps_status_free (CbDpsStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->state);
  g_free (status->scope);
  g_free (status->registration_id);
  g_free (status->endpoint);
  g_free (status->hub);
  g_free (status->device_id);
  g_clear_pointer (&status->sha256, g_bytes_unref);
  g_free (status->error);
  g_free (status);
}
