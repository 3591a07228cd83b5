/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The sandbox's events: see cb-sb-events.h. */

#include "config.h"

#include "cb-sb-events.h"

struct _CbSbEvents
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (CbSbEvents, cb_sb_events, G_TYPE_OBJECT)

enum
{
  DEVICE_DROPPED,
  RECHECK_ALL,
  DESIRED_PATCHED,
  ISSUER_PUBLISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cb_sb_events_class_init (CbSbEventsClass *klass)
{
  signals[DEVICE_DROPPED] =
    g_signal_new ("device-dropped",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[RECHECK_ALL] =
    g_signal_new ("recheck-all",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[DESIRED_PATCHED] =
    g_signal_new ("desired-patched",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  JSON_TYPE_OBJECT | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT64);
  signals[ISSUER_PUBLISHED] =
    g_signal_new ("issuer-published",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
cb_sb_events_init (CbSbEvents *self)
{
}

CbSbEvents *
cb_sb_events_new (void)
{
  return g_object_new (CB_TYPE_SB_EVENTS, NULL);
}

void
cb_sb_events_drop_device (CbSbEvents *self,
                          const char *hub,
                          const char *device_id,
                          const char *reason)
{
  g_return_if_fail (CB_IS_SB_EVENTS (self));
  g_return_if_fail (device_id != NULL);

  g_signal_emit (self, signals[DEVICE_DROPPED], 0, hub, device_id, reason);
}

void
cb_sb_events_recheck_all (CbSbEvents *self,
                          const char *reason)
{
  g_return_if_fail (CB_IS_SB_EVENTS (self));

  g_signal_emit (self, signals[RECHECK_ALL], 0, reason);
}

void
cb_sb_events_desired_patched (CbSbEvents *self,
                              const char *hub,
                              const char *device_id,
                              JsonObject *patch,
                              gint64      version)
{
  g_return_if_fail (CB_IS_SB_EVENTS (self));
  g_return_if_fail (device_id != NULL);
  g_return_if_fail (patch != NULL);

  g_signal_emit (self, signals[DESIRED_PATCHED], 0, hub, device_id, patch, version);
}

void
cb_sb_events_issuer_published (CbSbEvents *self,
                               const char *namespace_id,
                               const char *issuer_id)
{
  g_return_if_fail (CB_IS_SB_EVENTS (self));
  g_return_if_fail (namespace_id != NULL);
  g_return_if_fail (issuer_id != NULL);

  g_signal_emit (self, signals[ISSUER_PUBLISHED], 0, namespace_id, issuer_id);
}
