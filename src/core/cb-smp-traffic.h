/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The op field of an SMP packet's header. */
typedef enum
{
  CB_SMP_OP_READ = 0,
  CB_SMP_OP_READ_RSP = 1,
  CB_SMP_OP_WRITE = 2,
  CB_SMP_OP_WRITE_RSP = 3,
} CbSmpOp;

typedef enum
{
  CB_SMP_DIRECTION_TX,
  CB_SMP_DIRECTION_RX,
} CbSmpDirection;

/* One packet as the protocol log pane shows it. */
typedef struct
{
  CbSmpDirection direction;
  guint          version;        /* 0 = v1, 1 = v2 */
  CbSmpOp        op;
  guint          group;
  guint          command;
  guint          seq;
  guint          payload_len;    /* CBOR bytes */
  guint          n_frames;       /* TX: frames it was cut into; RX: 0 (not known) */
  guint          attempt;        /* TX: 1 for the first send, 2.. for retries */
  gboolean       dropped;        /* RX: did not match the outstanding request */
  gboolean       is_error;       /* RX: an rc/err payload */
  GBytes        *payload;        /* (nullable): the CBOR payload; a copy holds a reference */
} CbSmpTraffic;

#define CB_TYPE_SMP_TRAFFIC (cb_smp_traffic_get_type ())
GType         cb_smp_traffic_get_type  (void) G_GNUC_CONST;
CbSmpTraffic *cb_smp_traffic_copy      (const CbSmpTraffic *traffic);
void          cb_smp_traffic_free      (CbSmpTraffic       *traffic);
/* "TX v2 write 64/3 seq 12 len 230 (3 frames)", for logs; command names from the schema. */
char         *cb_smp_traffic_to_string (const CbSmpTraffic *traffic,
                                        guint               bench_group);
/* The same text, appended to out. */
void          cb_smp_traffic_append    (const CbSmpTraffic *traffic,
                                        guint               bench_group,
                                        GString            *out);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CbSmpTraffic, cb_smp_traffic_free)

G_END_DECLS
