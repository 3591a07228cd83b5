/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The deadline source of the serial port's waits and the SMP transport's request timeouts
 * (cb-deadline-source-private.h). */

#include "config.h"

#include "cb-deadline-source-private.h"

static gboolean
deadline_prepare (GSource *source,
                  gint    *timeout)
{
  CbDeadlineSource *d = (CbDeadlineSource *) source;
  gint64 now;

  if (d->at < 0)
    {
      *timeout = -1;
      return FALSE;
    }
  now = g_source_get_time (source);
  if (now >= d->at)
    {
      *timeout = 0;
      return TRUE;
    }
  *timeout = (gint) MIN ((d->at - now + 999) / 1000, G_MAXINT);
  return FALSE;
}

static gboolean
deadline_check (GSource *source)
{
  CbDeadlineSource *d = (CbDeadlineSource *) source;

  return d->at >= 0 && g_source_get_time (source) >= d->at;
}

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  ((CbDeadlineSource *) source)->at = -1;
  if (callback != NULL)
    callback (user_data);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs deadline_funcs = {
  deadline_prepare, deadline_check, deadline_dispatch, NULL, NULL, NULL
};

/* A disarmed deadline, not attached. */
CbDeadlineSource *
cb_deadline_source_new (void)
{
  CbDeadlineSource *d = (CbDeadlineSource *) g_source_new (&deadline_funcs,
                                                           sizeof (CbDeadlineSource));

  d->at = -1;
  return d;
}
