/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Devices registering with a CSR through a sandbox's DPS over HTTPS, many in flight from
 * several clients, as bench-issuance measures it and test-sandbox-dps-batch checks its group
 * commit: the clients, the devices' keys and CSRs, and the loop that keeps the batch in
 * flight. */
#pragma once

#include "cb-dps-client.h"
#include "cb-dps-registration.h"
#include "cb-http.h"
#include "cb-profile.h"

G_BEGIN_DECLS

/* How many clients (CB_BENCH_DPS_CLIENTS, default 8, at most BENCH_DPS_CLIENTS_MAX). libsoup
 * opens two connections per host for a session: with 8 clients, 32 registrations in flight
 * are 16 requests on the wire and 16 queued in the clients; with 16, each has a connection. */
#define BENCH_DPS_CLIENTS_DEFAULT 8
#define BENCH_DPS_CLIENTS_MAX     32

typedef struct
{
  CbProfile    *profile;
  char         *group_key;      /* the seeded enrollment group's primary key */
  guint         n_clients;
  CbHttpClient *http[BENCH_DPS_CLIENTS_MAX];
  CbDpsClient  *dps[BENCH_DPS_CLIENTS_MAX];
} BenchDpsClients;

/* Called for each answer in the order they arrive: index is the device's in ids, registration
 * (transfer full) NULL with error on failure. */
typedef void (*BenchDpsAnsweredFunc) (guint              index,
                                      CbDpsRegistration *registration,
                                      const GError      *error,
                                      gpointer           user_data);

/* Discovers the sandbox at url (data_dir its data folder) and makes n_clients clients over
 * HTTPS, each on its own HTTP client. Aborts when discovery fails. */
BenchDpsClients *bench_dps_clients_new  (const char       *url,
                                         const char       *data_dir);
void             bench_dps_clients_free (BenchDpsClients  *clients);

/* n fresh EC P-256 device keys' CSRs, for the ids "prefix-00000"…; made before a clock
 * starts. */
void             bench_dps_make_csrs    (const char       *prefix,
                                         guint             n,
                                         GPtrArray        *ids,
                                         GPtrArray        *csrs);

/* Registers every device of ids (with csrs[i]) through the seeded enrollment group, in_flight
 * at a time, in_flight / n_clients on each client, and runs the main context until
 * all have answered. */
void             bench_dps_register_all (BenchDpsClients      *clients,
                                         GPtrArray            *ids,
                                         GPtrArray            *csrs,
                                         guint                 in_flight,
                                         BenchDpsAnsweredFunc  answered,
                                         gpointer              user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchDpsClients, bench_dps_clients_free)

G_END_DECLS
