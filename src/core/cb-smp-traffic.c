/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-smp-transport"

/* CbSmpTraffic: one SMP packet as the protocol log shows it (direction, header, payload), a
 * boxed record the transport hands out with its `traffic` signal, and its one-line text form. */

#include "config.h"

#include "cb-smp-schema-private.h"
#include "cb-smp-traffic.h"

G_DEFINE_BOXED_TYPE (CbSmpTraffic, cb_smp_traffic, cb_smp_traffic_copy, cb_smp_traffic_free)

CbSmpTraffic *
cb_smp_traffic_copy (const CbSmpTraffic *traffic)
{
  CbSmpTraffic *copy = g_memdup2 (traffic, sizeof *traffic);

  if (copy->payload != NULL)
    g_bytes_ref (copy->payload);
  return copy;
}

void
cb_smp_traffic_free (CbSmpTraffic *traffic)
{
  if (traffic == NULL)
    return;
  g_clear_pointer (&traffic->payload, g_bytes_unref);
  g_free (traffic);
}

static const char *
op_name (CbSmpOp op)
{
  switch (op)
    {
    case CB_SMP_OP_READ: return "read";
    case CB_SMP_OP_READ_RSP: return "read-rsp";
    case CB_SMP_OP_WRITE: return "write";
    case CB_SMP_OP_WRITE_RSP: return "write-rsp";
    default: return "?";
    }
}

char *
cb_smp_traffic_to_string (const CbSmpTraffic *traffic,
                          guint               bench_group)
{
  const cbp_command *cmd;
  GString *s;

  g_return_val_if_fail (traffic != NULL, NULL);

  cmd = cb_smp_lookup_command (traffic->group, traffic->command, bench_group);
  s = g_string_new (NULL);
  g_string_append_printf (s, "%s v%u %s %u/%u",
                          traffic->direction == CB_SMP_DIRECTION_TX ? "TX" : "RX",
                          traffic->version + 1, op_name (traffic->op),
                          traffic->group, traffic->command);
  if (cmd != NULL)
    g_string_append_printf (s, " (%s)", cmd->name);
  g_string_append_printf (s, " seq %u len %u", traffic->seq, traffic->payload_len);
  if (traffic->n_frames > 0)
    g_string_append_printf (s, " in %u frame%s", traffic->n_frames,
                            traffic->n_frames == 1 ? "" : "s");
  if (traffic->attempt > 1)
    g_string_append_printf (s, " retry %u", traffic->attempt - 1);
  if (traffic->is_error)
    g_string_append (s, " error");
  if (traffic->dropped)
    g_string_append (s, " dropped");

  return g_string_free (s, FALSE);
}
