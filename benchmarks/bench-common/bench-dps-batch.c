/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Devices registering with a sandbox's DPS, many in flight (see bench-dps-batch.h). */

#include "config.h"

#include "bench-common.h"
#include "bench-dps-batch.h"
#include "cb-pki.h"
#include "cb-sandbox-discovery.h"
#include "cb-x509.h"

BenchDpsClients *
bench_dps_clients_new (const char *url,
                       const char *data_dir)
{
  BenchDpsClients *clients = g_new0 (BenchDpsClients, 1);
  const char *n = g_getenv ("CB_BENCH_DPS_CLIENTS");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base_url = NULL;

  cb_sandbox_discover_async (url, data_dir, NULL, bench_store_result, &result);
  clients->profile = cb_sandbox_discover_finish (bench_wait (&result), &base_url,
                                                 &clients->group_key, &error);
  if (clients->profile == NULL)
    g_error ("Discovering the sandbox at %s: %s", url, error->message);

  clients->n_clients = n != NULL ? CLAMP (g_ascii_strtoull (n, NULL, 10), 1, BENCH_DPS_CLIENTS_MAX)
                                 : BENCH_DPS_CLIENTS_DEFAULT;
  for (guint i = 0; i < clients->n_clients; i++)
    {
      if (!(clients->http[i] = cb_http_client_new (clients->profile, &error)))
        g_error ("An HTTP client: %s", error->message);
      clients->dps[i] = cb_dps_client_new (clients->profile, clients->http[i]);
      cb_dps_client_set_transport (clients->dps[i], CB_DPS_TRANSPORT_HTTPS);
    }
  return clients;
}

void
bench_dps_clients_free (BenchDpsClients *clients)
{
  if (clients == NULL)
    return;
  for (guint i = 0; i < clients->n_clients; i++)
    {
      g_clear_object (&clients->dps[i]);
      g_clear_object (&clients->http[i]);
    }
  g_clear_object (&clients->profile);
  g_free (clients->group_key);
  g_free (clients);
}

void
bench_dps_make_csrs (const char *prefix,
                     guint       n,
                     GPtrArray  *ids,
                     GPtrArray  *csrs)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CbKey) key = cb_key_generate (CB_KEY_TYPE_EC_P256, NULL);
      char *id = g_strdup_printf ("%s-%05u", prefix, i);

      g_ptr_array_add (ids, id);
      g_ptr_array_add (csrs, cb_csr_create (key, id, NULL));
    }
}

typedef struct
{
  BenchDpsClients      *clients;
  GPtrArray            *ids;
  GPtrArray            *csrs;
  BenchDpsAnsweredFunc  answered;
  gpointer              user_data;
  guint                 next;
  guint                 done;
} Batch;

/* One of the in_flight places: it keeps its client, so each client has the same number of
 * registrations in flight (with libsoup's two connections per host, no request queues). */
typedef struct
{
  Batch *batch;
  guint  slot;
  guint  index;
} Pending;

static void start_next (Batch *batch,
                        guint  slot);

static void
registered_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Pending *pending = user_data;
  Batch *batch = pending->batch;
  g_autoptr(GError) error = NULL;
  CbDpsRegistration *registration;

  registration = cb_dps_client_register_finish (CB_DPS_CLIENT (object), result, &error);
  batch->done++;
  batch->answered (pending->index, registration, error, batch->user_data);
  start_next (batch, pending->slot);
  g_free (pending);
}

static void
start_next (Batch *batch,
            guint  slot)
{
  Pending *pending;

  if (batch->next >= batch->ids->len)
    return;
  pending = g_new0 (Pending, 1);
  pending->batch = batch;
  pending->slot = slot;
  pending->index = batch->next++;
  cb_dps_client_register_async (batch->clients->dps[slot % batch->clients->n_clients],
                                g_ptr_array_index (batch->ids, pending->index),
                                batch->clients->group_key, CB_DPS_KEY_ENROLLMENT_GROUP,
                                g_ptr_array_index (batch->csrs, pending->index), NULL, NULL,
                                registered_cb, pending);
}

void
bench_dps_register_all (BenchDpsClients      *clients,
                        GPtrArray            *ids,
                        GPtrArray            *csrs,
                        guint                 in_flight,
                        BenchDpsAnsweredFunc  answered,
                        gpointer              user_data)
{
  Batch batch = { .clients = clients, .ids = ids, .csrs = csrs, .answered = answered,
                  .user_data = user_data };

  g_return_if_fail (ids->len == csrs->len);

  for (guint slot = 0; slot < in_flight; slot++)
    start_next (&batch, slot);
  while (batch.done < ids->len)
    g_main_context_iteration (NULL, TRUE);
}
