/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hub MQTT endpoint at fleet scale, side by side with mosquitto 2.0: one load client
 * (GnuTLS, epoll, non-blocking sockets) opens N connections with client certificates (TLS,
 * CONNECT, CONNACK), holds them, subscribes each to the twin topic and sends a twin GET on a
 * sample; against the sandbox's endpoint (certbench-sandbox as a process of its own) and
 * against /usr/sbin/mosquitto configured with the same CA, the same server certificate and
 * `require_certificate true`; same client, same certificates, same run. Each server is a
 * fresh process per repeat; its CPU comes from /proc/<pid>/stat, its memory from VmRSS in
 * /proc/<pid>/status (the delta over the run, divided by N).
 *
 * Run: bench-mqtt SANDBOX-EXE [N [REPEATS [MOSQUITTO]]]. The client holds N sockets and each
 * server N: RLIMIT_NOFILE must allow N + 100 (the benchmark raises its soft limit to the
 * hard one, which the servers inherit). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cb-mqtt-packet.h"
#include "cb-pki.h"
#include "cb-sandbox.h"
#include "cb-sb-adr.h"
#include "cb-sb-adr-ids.h"
#include "cb-sb-hub.h"
#include "cb-sb-issuance.h"
#include "cb-sb-store.h"
#include "cb-sb-topology.h"
#include "cb-x509.h"

#define SUB       "5f0c1a2e-7b3d-4c9e-8a61-0d2f4b6c8e90"
#define RG        "rg-bench"
#define NS        "ns-bench"
#define HUB       "hub-bench"
#define HUB_HOST  "hub-bench.azure-devices.net"
#define WINDOW    64           /* connections in flight before CONNACK */
#define SAMPLE    100          /* twin GETs */
#define TWIN_RES  "$iothub/twin/res/#"
#define TWIN_GET  "$iothub/twin/GET/?$rid=1"

/* ---- Devices ----------------------------------------------------------------------------- */

typedef struct
{
  guint                              n;
  char                             **ids;
  gnutls_certificate_credentials_t  *creds;     /* leaf + issuing CA, the shared key */
  char                              *dir;
  char                              *root_file;  /* the devices' root CA, for mosquitto */
} Devices;

static void
die (const char *what)
{
  fprintf (stderr, "bench-mqtt: %s\n", what);
  exit (1);
}

static char *
der_to_pem (GBytes *der)
{
  g_autoptr(CbCertificate) cert = cb_certificate_new_from_der (der, NULL);

  if (cert == NULL)
    die ("a certificate the sandbox issued does not parse");
  return cb_certificate_to_pem (cert);
}

/* Creates the sandbox's state in dir (namespace, policy, hub, n devices) through its own code
 * and issues each device a leaf, as DPS would. */
static void
seed (Devices *d)
{
  g_autoptr(CbSandbox) sb = cb_sandbox_new (d->dir);
  g_autoptr(GError) error = NULL;
  g_autoptr(CbKey) key = NULL;
  g_autofree char *ns_id = NULL;
  g_autofree char *policy_id = NULL;
  g_autofree char *key_pem = NULL;
  gnutls_datum_t key_datum;
  gint64 start = g_get_monotonic_time ();

  cb_sandbox_set_port (sb, 0);
  cb_sandbox_set_mqtt_port (sb, 0);
  if (!cb_sandbox_start (sb, &error))
    die (error->message);

  ns_id = cb_sb_namespace_id (SUB, RG, NS);
  policy_id = cb_sb_policy_id (ns_id, "default");
  key = cb_key_generate (CB_KEY_TYPE_EC_P256, &error);
  if (key == NULL || !(key_pem = cb_key_to_pem (key, &error)))
    die (error->message);
  key_datum.data = (unsigned char *) key_pem;
  key_datum.size = strlen (key_pem);

  cb_sb_lock (sb);
  if (!cb_sb_adr_create_namespace (sb, SUB, RG, NS, "westeurope", &error) ||
      !cb_sb_adr_create_credential (sb, ns_id, &error) ||
      !cb_sb_adr_create_policy (sb, ns_id, "default", 30, FALSE, &error) ||
      !cb_sb_create_hub (sb, SUB, RG, HUB, ns_id, &error) ||
      !cb_sb_adr_synchronize (sb, ns_id, &error))
    die (error->message);

  d->ids = g_new0 (char *, d->n + 1);
  d->creds = g_new0 (gnutls_certificate_credentials_t, d->n);
  cb_sb_begin (sb);
  for (guint i = 0; i < d->n; i++)
    {
      g_autoptr(GBytes) csr = NULL;
      g_autoptr(GPtrArray) chain = NULL;
      g_autofree char *leaf = NULL;
      g_autofree char *issuer = NULL;
      g_autofree char *pem = NULL;
      gnutls_datum_t cert_datum;

      d->ids[i] = g_strdup_printf ("bench-%05u", i);
      if (!(csr = cb_csr_create (key, d->ids[i], &error)) ||
          !cb_sb_adr_ensure_device (sb, ns_id, d->ids[i], policy_id, &error) ||
          !cb_sb_hub_ensure_device (sb, HUB, d->ids[i], &error) ||
          !(chain = cb_sb_ca_issue_leaf (sb, policy_id, d->ids[i], csr, &error)))
        die (error->message);
      if (chain->len < 3)
        die ("the sandbox issued a chain without its root");
      leaf = der_to_pem (g_ptr_array_index (chain, 0));
      issuer = der_to_pem (g_ptr_array_index (chain, 1));
      pem = g_strconcat (leaf, issuer, NULL);
      cert_datum.data = (unsigned char *) pem;
      cert_datum.size = strlen (pem);
      gnutls_certificate_allocate_credentials (&d->creds[i]);
      if (gnutls_certificate_set_x509_key_mem (d->creds[i], &cert_datum, &key_datum,
                                               GNUTLS_X509_FMT_PEM) < 0)
        die ("GnuTLS does not take a device's certificate and key");
      if (i == 0)
        {
          g_autofree char *root = der_to_pem (g_ptr_array_index (chain, chain->len - 1));

          d->root_file = g_build_filename (d->dir, "devices-root.pem", NULL);
          if (!g_file_set_contents (d->root_file, root, -1, &error))
            die (error->message);
        }
    }
  cb_sb_commit (sb);
  cb_sb_unlock (sb);
  cb_sandbox_stop (sb);
  memset (key_pem, 0, strlen (key_pem));

  printf ("# seeded %u devices with certificates through the sandbox's code in %.1f s\n",
          d->n, (g_get_monotonic_time () - start) / 1e6);
}

/* ---- Servers ----------------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  GPid        pid;
  guint16     port;
} Server;

static guint16
free_port (void)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint16 port;

  if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    die ("no free port");
  port = ntohs (sa.sin_port);
  close (fd);
  return port;
}

static gboolean
port_open (guint16 port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gboolean ok = connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0;

  close (fd);
  return ok;
}

static void
server_start (Server      *s,
              const char **argv)
{
  g_autoptr(GError) error = NULL;

  if (!g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD |
                      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &s->pid, &error))
    die (error->message);
  for (int i = 0; i < 3000 && !port_open (s->port); i++)
    g_usleep (10000);
  if (!port_open (s->port))
    die ("a server did not start listening within 30 s");
  g_usleep (200000);                           /* let its start-up settle before the baseline */
}

static void
server_stop (Server *s)
{
  int status;

  kill (s->pid, SIGTERM);
  for (int i = 0; i < 500; i++)
    {
      if (waitpid (s->pid, &status, WNOHANG) == s->pid)
        goto out;
      g_usleep (10000);
    }
  kill (s->pid, SIGKILL);
  waitpid (s->pid, &status, 0);
out:
  g_spawn_close_pid (s->pid);
}

/* User + system CPU of pid, in seconds. */
static double
cpu_seconds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  unsigned long utime, stime;
  const char *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || !(p = strrchr (stat, ')')))
    die ("cannot read a server's /proc/PID/stat");
  /* After "(comm)": state, then fields 4..13, utime and stime are fields 14 and 15. */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    die ("cannot parse a server's /proc/PID/stat");
  return (double) (utime + stime) / sysconf (_SC_CLK_TCK);
}

static long
rss_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) || !(line = strstr (status, "VmRSS:")))
    die ("cannot read a server's /proc/PID/status");
  return strtol (line + 6, NULL, 10);
}

/* ---- The load client --------------------------------------------------------------------- */

typedef enum
{
  ST_TCP, ST_TLS, ST_CONNACK, ST_SUBACK, ST_GET, ST_HELD, ST_FAILED,
} State;

typedef struct
{
  int               fd;
  guint             index;
  State             state;
  gnutls_session_t  tls;
  CbMqttDecoder    *decoder;
  GByteArray       *out;            /* not yet taken by gnutls_record_send */
  gboolean          sample;
} Conn;

typedef struct
{
  Devices *devices;
  gboolean expects_twin;           /* the sandbox answers a twin GET; mosquitto has no one to */
  int      ep;
  Conn    *conns;
  guint    next;                   /* next connection to open */
  guint    in_flight;              /* opened, not yet CONNACKed */
  guint    acked;
  guint    done;                   /* held, subscribed, sampled GET answered */
  guint    failed;
  gint64   start;
  gint64   last_ack;
} Load;

static void
conn_watch (Load   *l,
            Conn   *c,
            guint32 events)
{
  struct epoll_event ev = { .events = events, .data.ptr = c };

  epoll_ctl (l->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
conn_fail (Load       *l,
           Conn       *c,
           const char *why)
{
  if (c->state == ST_FAILED)
    return;
  if (l->failed < 5)
    fprintf (stderr, "# connection %u failed: %s\n", c->index, why);
  if (c->state < ST_SUBACK)
    l->in_flight--;
  c->state = ST_FAILED;
  l->failed++;
  l->done++;
  epoll_ctl (l->ep, EPOLL_CTL_DEL, c->fd, NULL);
}

static void
conn_queue (Conn   *c,
            GBytes *packet)
{
  g_byte_array_append (c->out, g_bytes_get_data (packet, NULL), g_bytes_get_size (packet));
  g_bytes_unref (packet);
}

/* Writes what is queued; FALSE on an error. */
static gboolean
conn_flush (Conn *c)
{
  while (c->out->len > 0)
    {
      ssize_t n = gnutls_record_send (c->tls, c->out->data, c->out->len);

      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        return TRUE;
      if (n < 0)
        return FALSE;
      g_byte_array_remove_range (c->out, 0, n);
    }
  return TRUE;
}

static void
conn_send_connect (Conn       *c,
                   const char *id)
{
  g_autoptr(CbMqttPacket) p = cb_mqtt_packet_new (CB_MQTT_CONNECT);

  p->client_id = g_strdup (id);
  p->username = g_strdup_printf ("%s/%s/?api-version=2021-04-12", HUB_HOST, id);
  p->protocol_level = 4;
  p->keep_alive = 1200;
  p->clean_session = TRUE;
  conn_queue (c, cb_mqtt_packet_encode (p, NULL));
}

static void
conn_send_subscribe (Conn *c)
{
  g_autoptr(CbMqttPacket) p = cb_mqtt_packet_new (CB_MQTT_SUBSCRIBE);

  p->packet_id = 1;
  p->filters = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (p->filters, g_strdup (TWIN_RES));
  p->codes = g_byte_array_new ();
  g_byte_array_append (p->codes, (const guint8 *) "\0", 1);
  conn_queue (c, cb_mqtt_packet_encode (p, NULL));
}

static void
conn_finish (Load *l,
             Conn *c)
{
  c->state = ST_HELD;
  l->done++;
}

static void
conn_packet (Load         *l,
             Conn         *c,
             CbMqttPacket *p)
{
  switch (c->state)
    {
    case ST_CONNACK:
      if (p->type != CB_MQTT_CONNACK || p->return_code != 0)
        {
          conn_fail (l, c, "no CONNACK 0");
          return;
        }
      l->acked++;
      l->in_flight--;
      l->last_ack = g_get_monotonic_time ();
      c->state = ST_SUBACK;
      conn_send_subscribe (c);
      break;
    case ST_SUBACK:
      if (p->type != CB_MQTT_SUBACK || p->codes == NULL || p->codes->len != 1 ||
          p->codes->data[0] == 0x80)
        {
          conn_fail (l, c, "the twin subscription was refused");
          return;
        }
      if (!c->sample)
        {
          conn_finish (l, c);
          break;
        }
      conn_queue (c, cb_mqtt_encode_publish (TWIN_GET, "", 0, 0, 0));
      if (l->expects_twin)
        c->state = ST_GET;
      else
        conn_finish (l, c);
      break;
    case ST_GET:
      if (p->type == CB_MQTT_PUBLISH && g_str_has_prefix (p->topic, "$iothub/twin/res/200/"))
        conn_finish (l, c);
      else if (p->type == CB_MQTT_PUBLISH)
        conn_fail (l, c, p->topic);
      break;
    default:
      break;
    }
}

static void
conn_event (Load    *l,
            Conn    *c,
            guint32  events)
{
  if (c->state == ST_FAILED)
    return;

  if (c->state == ST_TCP)
    {
      int err = 0;
      socklen_t len = sizeof err;

      getsockopt (c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0)
        {
          conn_fail (l, c, g_strerror (err));
          return;
        }
      c->state = ST_TLS;
    }

  if (c->state == ST_TLS)
    {
      int r = gnutls_handshake (c->tls);

      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        {
          conn_watch (l, c, gnutls_record_get_direction (c->tls) ? EPOLLOUT : EPOLLIN);
          return;
        }
      if (r < 0)
        {
          conn_fail (l, c, gnutls_strerror (r));
          return;
        }
      c->state = ST_CONNACK;
      conn_send_connect (c, l->devices->ids[c->index]);
    }

  for (;;)
    {
      guint8 buf[4096];
      ssize_t n = gnutls_record_recv (c->tls, buf, sizeof buf);

      if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
        break;
      if (n <= 0)
        {
          conn_fail (l, c, n == 0 ? "the server closed the connection" : gnutls_strerror (n));
          return;
        }
      cb_mqtt_decoder_feed (c->decoder, buf, n);
      for (;;)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CbMqttPacket) p = cb_mqtt_decoder_next (c->decoder, &error);

          if (p == NULL)
            {
              if (error != NULL)
                {
                  conn_fail (l, c, error->message);
                  return;
                }
              break;
            }
          conn_packet (l, c, p);
          if (c->state == ST_FAILED)
            return;
        }
    }

  if (!conn_flush (c))
    {
      conn_fail (l, c, "a write failed");
      return;
    }
  conn_watch (l, c, c->out->len > 0 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* Runs the load against port until every connection is held (or failed); the connections
 * stay open until load_close(). */
static Load *
load_run (Devices  *devices,
          guint16   port,
          gboolean  expects_twin,
          guint    *failed)
{
  Load *l = g_new0 (Load, 1);
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port),
                            .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  gint64 deadline = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;

  l->start = g_get_monotonic_time ();
  l->devices = devices;
  l->expects_twin = expects_twin;
  l->ep = epoll_create1 (EPOLL_CLOEXEC);
  l->conns = g_new0 (Conn, devices->n);

  while (l->done < devices->n && g_get_monotonic_time () < deadline)
    {
      struct epoll_event events[256];
      int n;

      while (l->next < devices->n && l->in_flight < WINDOW)
        {
          Conn *c = &l->conns[l->next];
          struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };

          c->index = l->next++;
          l->in_flight++;
          c->sample = c->index % MAX (1, devices->n / SAMPLE) == 0;
          c->decoder = cb_mqtt_decoder_new (64 * 1024);
          c->out = g_byte_array_new ();
          c->fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
          if (c->fd < 0)
            die ("no socket: RLIMIT_NOFILE must allow N + 100 (ulimit -n)");
          setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &(int) { 1 }, sizeof (int));
          gnutls_init (&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
          gnutls_set_default_priority (c->tls);
          gnutls_credentials_set (c->tls, GNUTLS_CRD_CERTIFICATE, devices->creds[c->index]);
          gnutls_server_name_set (c->tls, GNUTLS_NAME_DNS, HUB_HOST, strlen (HUB_HOST));
          gnutls_transport_set_int (c->tls, c->fd);
          c->state = ST_TCP;
          if (connect (c->fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno != EINPROGRESS)
            {
              conn_fail (l, c, g_strerror (errno));
              continue;
            }
          epoll_ctl (l->ep, EPOLL_CTL_ADD, c->fd, &ev);
        }

      n = epoll_wait (l->ep, events, G_N_ELEMENTS (events), 1000);
      for (int i = 0; i < n; i++)
        conn_event (l, events[i].data.ptr, events[i].events);
    }
  if (l->done < devices->n)
    fprintf (stderr, "# only %u of %u connections finished in 600 s\n", l->done, devices->n);

  *failed = l->failed + (devices->n - l->done);
  /* Let the server settle (a last write, a lazy free) before the caller reads its figures. */
  g_usleep (300000);
  return l;
}

static void
load_close (Load *l)
{
  for (guint i = 0; i < l->next; i++)
    {
      Conn *c = &l->conns[i];

      gnutls_deinit (c->tls);
      close (c->fd);
      cb_mqtt_decoder_free (c->decoder);
      g_byte_array_unref (c->out);
    }
  close (l->ep);
  g_free (l->conns);
  g_free (l);
}

/* ---- Figures ----------------------------------------------------------------------------- */

typedef struct
{
  double rate;                     /* CONNACKs per second */
  double cpu_ms;                   /* server CPU per connection over the run */
  double rss_kib;                  /* server VmRSS delta per connection */
} Figures;

static Figures
measure (Server  *s,
         Devices *devices,
         gboolean expects_twin)
{
  Figures f;
  double cpu0 = cpu_seconds (s->pid);
  long rss0 = rss_kib (s->pid);
  guint failed = 0;
  Load *l = load_run (devices, s->port, expects_twin, &failed);

  f.rate = l->acked / ((l->last_ack - l->start) / 1e6);
  f.cpu_ms = (cpu_seconds (s->pid) - cpu0) * 1000.0 / devices->n;
  f.rss_kib = (double) (rss_kib (s->pid) - rss0) / devices->n;
  printf ("%-9s %6.0f conn/s  %6.2f ms CPU/conn  %6.1f KiB/conn  (%u held, %u failed)\n",
          s->name, f.rate, f.cpu_ms, f.rss_kib, l->done - l->failed, failed);
  fflush (stdout);
  load_close (l);
  if (failed > 0)
    die ("connections failed: the figures would not compare like with like");
  return f;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double d = *(const double *) a - *(const double *) b;

  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static double
median_of (double *v,
           guint   n,
           double *min,
           double *max)
{
  qsort (v, n, sizeof *v, compare_doubles);
  *min = v[0];
  *max = v[n - 1];
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double
summarize (const char *what,
           const char *unit,
           Figures    *runs,
           guint       n,
           gsize       offset)
{
  g_autofree double *v = g_new (double, n);
  double min, max, median;

  for (guint i = 0; i < n; i++)
    v[i] = *(double *) ((char *) &runs[i] + offset);
  median = median_of (v, n, &min, &max);
  printf ("  %-22s min %8.2f  median %8.2f  max %8.2f %s\n", what, min, median, max, unit);
  return median;
}

int
main (int    argc,
      char **argv)
{
  const char *sandbox_exe = argc > 1 ? argv[1] : NULL;
  guint n = argc > 2 ? (guint) atoi (argv[2]) : 5000;
  guint repeats = argc > 3 ? (guint) atoi (argv[3]) : 3;
  const char *mosquitto_exe = argc > 4 ? argv[4] : "/usr/sbin/mosquitto";
  g_autofree Figures *sb_runs = NULL;
  g_autofree Figures *mq_runs = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_file = NULL;
  g_autofree char *tls_dir = NULL;
  g_autoptr(GError) error = NULL;
  Devices devices = { 0 };
  struct rlimit rl;
  double sb_rate, mq_rate, sb_cpu, mq_cpu, sb_rss, mq_rss;

  if (sandbox_exe == NULL || n == 0 || repeats == 0)
    {
      fprintf (stderr, "Usage: bench-mqtt SANDBOX-EXE [N [REPEATS [MOSQUITTO]]]\n");
      return 2;
    }
  if (!g_file_test (mosquitto_exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      printf ("# %s is missing (build-aux/setup.sh installs it): nothing to compare with\n",
              mosquitto_exe);
      return 77;
    }

  /* The client holds n sockets, each server n: children inherit the limit. */
  getrlimit (RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit (RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < n + 100)
    {
      fprintf (stderr, "bench-mqtt: RLIMIT_NOFILE is %lu; %u connections need %u (ulimit -Hn)\n",
               (unsigned long) rl.rlim_cur, n, n + 100);
      return 1;
    }
  signal (SIGPIPE, SIG_IGN);
  gnutls_global_init ();

  devices.n = n;
  devices.dir = g_dir_make_tmp ("bench-mqtt-XXXXXX", &error);
  if (devices.dir == NULL)
    die (error->message);
  seed (&devices);

  tls_dir = g_build_filename (devices.dir, "tls", NULL);
  conf_file = g_build_filename (devices.dir, "mosquitto.conf", NULL);
  sb_runs = g_new0 (Figures, repeats);
  mq_runs = g_new0 (Figures, repeats);

  printf ("# %u connections each: TLS with a client certificate, CONNECT, CONNACK, held; "
          "SUBSCRIBE %s; a twin GET on %u of them; %u in flight\n",
          n, TWIN_RES, MIN (n, SAMPLE), WINDOW);
  for (guint r = 0; r < repeats; r++)
    {
      Server sb = { .name = "sandbox", .port = free_port () };
      Server mq = { .name = "mosquitto", .port = free_port () };
      g_autofree char *sb_port = g_strdup_printf ("%u", sb.port);
      g_autofree char *http_port = g_strdup_printf ("%u", free_port ());
      const char *sb_argv[] = { sandbox_exe, "--data-dir", devices.dir, "--port", http_port,
                                "--mqtt-port", sb_port, NULL };
      const char *mq_argv[] = { mosquitto_exe, "-c", conf_file, NULL };

      conf = g_strdup_printf ("listener %u 127.0.0.1\n"
                              "cafile %s\n"
                              "certfile %s/server.pem\n"
                              "keyfile %s/server.key\n"
                              "require_certificate true\n"
                              "allow_anonymous true\n"
                              "persistence false\n"
                              "log_dest none\n"
                              "user root\n",
                              mq.port, devices.root_file, tls_dir, tls_dir);
      if (!g_file_set_contents (conf_file, conf, -1, &error))
        die (error->message);
      g_clear_pointer (&conf, g_free);

      /* Alternate which one goes first, so neither always meets a warmer machine. */
      for (int k = 0; k < 2; k++)
        {
          if ((k == 0) == (r % 2 == 0))
            {
              server_start (&sb, sb_argv);
              sb_runs[r] = measure (&sb, &devices, TRUE);
              server_stop (&sb);
            }
          else
            {
              server_start (&mq, mq_argv);
              mq_runs[r] = measure (&mq, &devices, FALSE);
              server_stop (&mq);
            }
        }
    }

  printf ("sandbox, %u repeats:\n", repeats);
  sb_rate = summarize ("connections/s", "/s", sb_runs, repeats, G_STRUCT_OFFSET (Figures, rate));
  sb_cpu = summarize ("CPU per connection", "ms", sb_runs, repeats, G_STRUCT_OFFSET (Figures, cpu_ms));
  sb_rss = summarize ("RSS per connection", "KiB", sb_runs, repeats, G_STRUCT_OFFSET (Figures, rss_kib));
  printf ("mosquitto, %u repeats:\n", repeats);
  mq_rate = summarize ("connections/s", "/s", mq_runs, repeats, G_STRUCT_OFFSET (Figures, rate));
  mq_cpu = summarize ("CPU per connection", "ms", mq_runs, repeats, G_STRUCT_OFFSET (Figures, cpu_ms));
  mq_rss = summarize ("RSS per connection", "KiB", mq_runs, repeats, G_STRUCT_OFFSET (Figures, rss_kib));
  printf ("ratio sandbox/mosquitto (medians): rate %.2f (target >= 0.8), CPU %.2f (target <= 1.5), "
          "memory %.2f (target <= 1.5)\n",
          sb_rate / mq_rate, sb_cpu / mq_cpu, sb_rss / mq_rss);

  for (guint i = 0; i < n; i++)
    gnutls_certificate_free_credentials (devices.creds[i]);
  g_free (devices.creds);
  g_strfreev (devices.ids);
  {
    const char *rm[] = { "rm", "-rf", devices.dir, NULL };

    g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                  NULL);
  }
  g_free (devices.dir);
  g_free (devices.root_file);
  return 0;
}
