/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The two structs every part of certbench-cli passes around, without code: CbCliOptions (what
 * the command line said) and CbCliContext (the profile and clients a command runs with; made
 * and cleared in cb-cli-context.c). */
#pragma once

#include <gio/gio.h>

#include "cb-adr-client.h"
#include "cb-dps-client.h"
#include "cb-entra-client.h"
#include "cb-http.h"
#include "cb-hub-client.h"
#include "cb-journal.h"
#include "cb-profile.h"
#include "cb-sandbox.h"
#include "cb-secrets.h"

G_BEGIN_DECLS

/* Everything the command line said. */
typedef struct
{
  char     *command;
  char     *subcommand;
  char    **rest;            /* arguments after the command (devsim passes them on) */

  /* global */
  char     *profile;         /* NULL or "sandbox": the local sandbox */
  char     *sandbox_url;
  char     *sandbox_dir;
  char     *journal_path;
  char     *station;
  char     *operator_name;
  gboolean  json;
  gboolean  quiet;
  gboolean  no_journal;

  /* provision / inspect */
  char     *port;
  char     *registration_id;
  char     *template_text;
  char     *key_type;
  char     *trusted_root;
  char     *pem_path;        /* inspect: also write the device's chain here */
  int       validity_days;
  int       baud;
  gboolean  device_registers;
  gboolean  no_arm;
  gboolean  no_hub_check;

  /* ports */
  gboolean  watch;

  /* journal */
  gboolean  csv;
  gboolean  csv_steps;
  char     *output;
  char     *result;
  char     *serial;
  char     *since;
  char     *until;
  int       limit;
} CbCliOptions;

/* The environment a command runs in: the profile and its clients, built on demand. */
typedef struct
{
  CbCliOptions  *options;
  GCancellable  *cancellable;

  CbProfile     *profile;
  gboolean       is_sandbox;
  CbSandbox     *sandbox;        /* in-process, or NULL */
  char          *sandbox_base;   /* base URL of the sandbox in use */
  CbHttpClient  *http;
  CbSecrets     *secrets;
  CbEntraClient *entra;
  CbAdrClient   *adr;            /* NULL when ARM is not reachable */
  char          *arm_note;       /* why not */
  CbDpsClient   *dps;
  CbHubClient   *hub;            /* reads twins once ARM is signed in; NULL otherwise */
  char          *group_key;      /* secret: wiped on free */
  CbJournal     *journal;
} CbCliContext;

G_END_DECLS
