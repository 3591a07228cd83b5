/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The two structs every part of certbench-cli passes around, without code: CbCliOptions (what
 * the command line said) and CbCliContext (core's CbContext a command runs with, and what the
 * command line adds to it; made and cleared in cb-cli-shared.c). */
#pragma once

#include <gio/gio.h>

#include "cb-context.h"
#include "cb-journal.h"

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
  char     *port;            /* the port a command works on now (provision: each of ports) */
  char    **ports;           /* every --port given, in order */
  char     *registration_id;
  char     *template_text;
  char     *key_type;
  char     *trusted_root;
  char     *dps_transport;   /* provision: "mqtt" or "https" (NULL: the profile's default) */
  char     *pem_path;        /* inspect: also write the device's chain here */
  char     *enrollment_group; /* provision: this enrollment group instead of the profile's */
  char     *driver;          /* provision, inspect, station: "auto" (NULL), "smp", "nrf91" */
  char     *sec_tag;         /* provision, inspect, station: an nRF91's security tag (NULL: 11) */
  int       validity_days;
  int       baud;
  gboolean  device_registers;
  gboolean  no_arm;
  gboolean  no_hub_check;

  /* ports */
  gboolean  watch;

  /* station */
  char     *pty_dir;         /* entries appearing here are ports plugged in */
  int       max_runs;        /* stop after this many runs (0: until Ctrl+C) */

  /* journal */
  gboolean  csv;
  gboolean  csv_steps;
  char     *output;
  char     *result;
  char     *serial;
  char     *since;
  char     *until;
  int       limit;

  /* registry */
  char     *namespace_name;  /* NULL: the profile's */
  char     *root;            /* create-ica: the root's name */
  char     *ca;              /* create-policy: the ICA's name */
  char     *chain;           /* activate: the chain file */
  char     *link_name;       /* link-hub, link-dps: the link's name */
  char     *policy;          /* create-enrollment-group: the policy its devices use */
  gboolean  all;             /* devices: every page */
  gboolean  yes;             /* destructive actions: no question */
} CbCliOptions;

/* The environment a command runs in: core's context for the profile, built on demand. */
typedef struct
{
  CbCliOptions  *options;
  GCancellable  *cancellable;

  CbContext     *context;        /* the profile and its clients; NULL until connected */
  gboolean       is_sandbox;     /* the local sandbox, found running or started here */
  char          *group_key;      /* secret: wiped on free */
  char          *arm_note;       /* why ARM is not signed in, once a command asked for it */
  CbJournal     *journal;
} CbCliContext;

G_END_DECLS
