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

static void
append_uint (GString *out,
             guint    value)
{
  char digits[12];
  guint n = 0;

  do
    digits[n++] = '0' + value % 10;
  while ((value /= 10) > 0);
  while (n > 0)
    g_string_append_c (out, digits[--n]);
}

/* Without printf: the protocol log appends one at every packet of every device. */
void
cb_smp_traffic_append (const CbSmpTraffic *traffic,
                       guint               bench_group,
                       GString            *out)
{
  const cbp_command *cmd;

  g_return_if_fail (traffic != NULL);
  g_return_if_fail (out != NULL);

  cmd = cb_smp_lookup_command (traffic->group, traffic->command, bench_group);
  g_string_append (out, traffic->direction == CB_SMP_DIRECTION_TX ? "TX v" : "RX v");
  append_uint (out, traffic->version + 1);
  g_string_append_c (out, ' ');
  g_string_append (out, op_name (traffic->op));
  g_string_append_c (out, ' ');
  append_uint (out, traffic->group);
  g_string_append_c (out, '/');
  append_uint (out, traffic->command);
  if (cmd != NULL)
    {
      g_string_append (out, " (");
      g_string_append (out, cmd->name);
      g_string_append_c (out, ')');
    }
  g_string_append (out, " seq ");
  append_uint (out, traffic->seq);
  g_string_append (out, " len ");
  append_uint (out, traffic->payload_len);
  if (traffic->n_frames > 0)
    {
      g_string_append (out, " in ");
      append_uint (out, traffic->n_frames);
      g_string_append (out, traffic->n_frames == 1 ? " frame" : " frames");
    }
  if (traffic->attempt > 1)
    {
      g_string_append (out, " retry ");
      append_uint (out, traffic->attempt - 1);
    }
  if (traffic->is_error)
    g_string_append (out, " error");
  if (traffic->dropped)
    g_string_append (out, " dropped");
}

char *
cb_smp_traffic_to_string (const CbSmpTraffic *traffic,
                          guint               bench_group)
{
  GString *s;

  g_return_val_if_fail (traffic != NULL, NULL);

  s = g_string_new (NULL);
  cb_smp_traffic_append (traffic, bench_group, s);
  return g_string_free (s, FALSE);
}
