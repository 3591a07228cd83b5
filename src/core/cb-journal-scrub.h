/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What every part of the journal shares, below the database and the API: its error domain and
 * the scrub that keeps anything that looks like a credential out of what it stores. */

typedef enum
{
  CB_JOURNAL_ERROR_FAILED,
  CB_JOURNAL_ERROR_DATABASE,      /* SQLite refused (message says why) */
  CB_JOURNAL_ERROR_NEWER_SCHEMA,  /* written by a newer Certbench */
  CB_JOURNAL_ERROR_NOT_FOUND,     /* no such run or step */
  CB_JOURNAL_ERROR_ALREADY_ENDED, /* the run or step has its end row already */
  CB_JOURNAL_ERROR_INVALID,       /* a bad argument (empty step name, unknown result) */
} CbJournalError;

#define CB_JOURNAL_ERROR (cb_journal_error_quark ())
GQuark cb_journal_error_quark (void);

/* Replaces anything that looks like a credential (SAS signatures, bearer tokens, PEM private
 * keys, "key=..." pairs) with "[redacted]". Returns: (transfer full) */
char *cb_journal_scrub (const char              *text);

G_END_DECLS
