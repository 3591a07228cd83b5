/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The small services every module of the portable device uses: string copies, the console
 * (cbd_device_log() and a two-part log line), the platform's write, notify and monotonic clock.
 * A firmware port needs all of it; it is the bottom layer and calls nothing else of the device. */
#include "cbd-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
cbd_dev_str_dup (const char *s)
{
  size_t n;
  char *d;

  if (s == NULL)
    return NULL;
  n = strlen (s);
  d = malloc (n + 1);
  if (d != NULL)
    memcpy (d, s, n + 1);
  return d;
}

void
cbd_dev_set_str (char **ptr, const char *s)
{
  free (*ptr);
  *ptr = cbd_dev_str_dup (s);
}

void
cbd_dev_write (cbd_device *dev, const uint8_t *data, size_t len)
{
  dev->plat.write (dev->plat.ctx, data, len);
}

void
cbd_device_log (cbd_device *dev, const char *line)
{
  size_t n = strlen (line);
  char *buf = malloc (n + 2);

  if (buf == NULL)
    return;
  memcpy (buf, line, n);
  buf[n] = '\n';
  cbd_dev_write (dev, (const uint8_t *) buf, n + 1);
  free (buf);
}

/* prefix + arg, cut to a console line */
void
cbd_dev_log2 (cbd_device *dev, const char *prefix, const char *arg)
{
  char line[256];

  snprintf (line, sizeof line, "%s%s", prefix, arg != NULL ? arg : "?");
  cbd_device_log (dev, line);
}

void
cbd_dev_notify (cbd_device *dev)
{
  if (dev->plat.notify != NULL)
    dev->plat.notify (dev->plat.ctx);
}

int64_t
cbd_dev_mono_ms (cbd_device *dev)
{
  if (dev->plat.monotonic_ms != NULL)
    return dev->plat.monotonic_ms (dev->plat.ctx);
  return dev->plat.now (dev->plat.ctx) * 1000;
}
