/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* Which schema entry (cbp-group.h) describes a command: the OS group's or the bench group's.
 * Shared by the transport (timeouts, repeat-safety) and the traffic records (command names). */

#include <glib.h>

#include "cbp-group.h"
#include "cbp-smp.h"

G_BEGIN_DECLS

static inline const cbp_command *
cb_smp_lookup_command (guint group,
                       guint command,
                       guint bench_group)
{
  if (command > G_MAXUINT8)
    return NULL;
  if (group == CBP_GROUP_OS)
    return cbp_os_command (command);
  if (group == bench_group)
    return cbp_group_command (command);
  return NULL;
}

G_END_DECLS
