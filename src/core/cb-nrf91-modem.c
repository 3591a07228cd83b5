/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The nRF91 modem's AT operations: each one a short sequence of command lines on the AT channel
 * and a parser of their information lines, per Nordic's nRF91 AT command reference (the
 * %KEYGEN response "Base64Url(CSR_DER).Base64Url(cose_sign)", the %CMNG list and read lines,
 * +CFUN, +CGSN and the +CME ERROR codes of the security commands). */
#define G_LOG_DOMAIN "cb-nrf91-modem"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "cb-nrf91-modem.h"

#define KEYGEN_TIMEOUT_MS 60000
#define CMNG_TIMEOUT_MS 15000

struct _CbNrf91Modem
{
  GObject      parent_instance;

  CbAtChannel *channel;
  gboolean     cmee_on;
};

G_DEFINE_FINAL_TYPE (CbNrf91Modem, cb_nrf91_modem, G_TYPE_OBJECT)

void
cb_nrf91_identity_free (CbNrf91Identity *identity)
{
  if (identity == NULL)
    return;
  g_free (identity->imei);
  g_free (identity->uuid);
  g_free (identity->model);
  g_free (identity->firmware);
  g_free (identity);
}

void
cb_nrf91_keygen_free (CbNrf91Keygen *keygen)
{
  if (keygen == NULL)
    return;
  g_clear_pointer (&keygen->csr_der, g_bytes_unref);
  g_clear_pointer (&keygen->cose, g_bytes_unref);
  g_free (keygen);
}

void
cb_nrf91_credential_free (CbNrf91Credential *credential)
{
  if (credential == NULL)
    return;
  g_free (credential->sha256);
  g_free (credential->content);
  g_free (credential);
}

const char *
cb_nrf91_cme_error_text (int code)
{
  switch (code)
    {
    case 513: return _("Not found: the security tag holds no credential of that type");
    case 514: return _("Not allowed: the modem refuses this operation on that credential (a private key cannot be read; the key type or firmware may not allow it)");
    case 515: return _("Memory full: the modem has no room for another credential");
    case 518: return _("Not allowed in the active state: put the modem offline (AT+CFUN=4) first");
    case 519: return _("Already exists: the security tag already holds a credential of that type; delete it first");
    case 520: return _("Key generation failed: the modem has no room for the key");
    case 523: return _("Key generation failed");
    case 524: return _("The security tag is reserved for the modem");
    case 528: return _("Not allowed: the modem is in a power-off warning state");
    default:  return NULL;
    }
}

const char *
cb_nrf91_cred_type_text (CbNrf91CredType type)
{
  switch (type)
    {
    case CB_NRF91_CRED_ROOT_CA: return _("root CA certificate");
    case CB_NRF91_CRED_CLIENT_CERT: return _("client certificate");
    case CB_NRF91_CRED_CLIENT_KEY: return _("client private key");
    case CB_NRF91_CRED_PSK: return _("pre-shared key");
    case CB_NRF91_CRED_PSK_IDENTITY: return _("PSK identity");
    case CB_NRF91_CRED_PUBLIC_KEY: return _("public key");
    default: return _("unknown credential type");
    }
}

char *
cb_nrf91_content_digest (const char *content)
{
  g_autofree char *lower = g_compute_checksum_for_string (G_CHECKSUM_SHA256, content, -1);

  return g_ascii_strup (lower, -1);
}

/* ---- command sequences ---- */

typedef gpointer (*ParseFunc) (GPtrArray  *answers,   /* char** per command, NULL if skipped */
                               gpointer    data,
                               GError    **error);

typedef struct
{
  char     *command;
  guint     timeout_ms;
  gboolean  optional;   /* a plain ERROR leaves its answer NULL instead of failing */
} Step;

typedef struct
{
  GArray         *steps;     /* Step */
  GPtrArray      *answers;   /* char** */
  ParseFunc       parse;
  GDestroyNotify  result_free;
  gpointer        data;
  GDestroyNotify  data_free;
  guint           next;
} Seq;

static void
step_clear (Step *step)
{
  g_free (step->command);
}

static void
seq_free (Seq *seq)
{
  g_array_unref (seq->steps);
  g_ptr_array_unref (seq->answers);
  if (seq->data_free != NULL)
    g_clear_pointer (&seq->data, seq->data_free);
  g_free (seq);
}

static Seq *
seq_new (ParseFunc      parse,
         GDestroyNotify result_free)
{
  Seq *seq = g_new0 (Seq, 1);

  seq->steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_array_set_clear_func (seq->steps, (GDestroyNotify) step_clear);
  seq->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  seq->parse = parse;
  seq->result_free = result_free;
  return seq;
}

static void
seq_add (Seq        *seq,
         guint       timeout_ms,
         gboolean    optional,
         const char *format,
         ...) G_GNUC_PRINTF (4, 5);

static void
seq_add (Seq        *seq,
         guint       timeout_ms,
         gboolean    optional,
         const char *format,
         ...)
{
  Step step = { NULL, timeout_ms, optional };
  va_list args;

  va_start (args, format);
  step.command = g_strdup_vprintf (format, args);
  va_end (args);
  g_array_append_val (seq->steps, step);
}

/* A +CME ERROR with the reference's meaning; other errors as they are. */
static GError *
explain_error (GError *error)
{
  const char *text;
  GError *explained;

  if (error->domain != CB_AT_CME_ERROR || (text = cb_nrf91_cme_error_text (error->code)) == NULL)
    return error;
  /* The message is "<command>: +CME ERROR: n". */
  explained = g_error_new (error->domain, error->code, "%s (%s)", text, error->message);
  g_error_free (error);
  return explained;
}

static void seq_run (GTask *task);

static void
on_step_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Seq *seq = g_task_get_task_data (task);
  const Step *step = &g_array_index (seq->steps, Step, seq->next);
  CbNrf91Modem *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  char **lines;

  lines = cb_at_channel_command_finish (CB_AT_CHANNEL (source), result, &error);
  if (lines == NULL && !(step->optional && g_error_matches (error, CB_AT_ERROR, CB_AT_ERROR_FAILED)))
    {
      g_task_return_error (task, explain_error (g_steal_pointer (&error)));
      return;
    }
  if (g_str_has_prefix (step->command, "AT+CMEE=1"))
    self->cmee_on = TRUE;
  g_ptr_array_add (seq->answers, lines);
  seq->next++;
  seq_run (g_steal_pointer (&task));
}

/* Takes the task. */
static void
seq_run (GTask *task)
{
  CbNrf91Modem *self = g_task_get_source_object (task);
  Seq *seq = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gpointer value;

  if (seq->next < seq->steps->len)
    {
      const Step *step = &g_array_index (seq->steps, Step, seq->next);

      cb_at_channel_command_async (self->channel, step->command, step->timeout_ms,
                                   g_task_get_cancellable (task), on_step_done, task);
      return;
    }

  value = seq->parse != NULL ? seq->parse (seq->answers, seq->data, &error)
                             : GINT_TO_POINTER (TRUE);
  if (value == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, value, seq->result_free);
  g_object_unref (task);
}

static void
seq_start (CbNrf91Modem        *self,
           Seq                 *seq,
           gpointer             source_tag,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* Numeric errors once per channel: 513, 518, 519 say what went wrong, ERROR does not. */
  if (!self->cmee_on)
    {
      Step step = { g_strdup ("AT+CMEE=1"), 0, FALSE };

      g_array_prepend_val (seq->steps, step);
    }
  g_task_set_task_data (task, seq, (GDestroyNotify) seq_free);
  seq_run (task);
}

/* A step's answer counted from the last step (0), so a +CMEE=1 seq_start put first does not
 * shift it. */
static char **
answer (GPtrArray *answers,
        guint      from_last)
{
  return g_ptr_array_index (answers, answers->len - 1 - from_last);
}

static gpointer
finish_pointer (CbNrf91Modem  *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static GError *
protocol_error (const char *what,
                const char *line)
{
  return g_error_new (CB_AT_ERROR, CB_AT_ERROR_PROTOCOL, "%s: \"%.60s\"", what,
                      line != NULL ? line : "");
}

/* The one line of a command's answer; NULL with error when there is not exactly one. */
static const char *
single_line (char       **lines,
             const char  *command,
             GError     **error)
{
  if (lines == NULL || lines[0] == NULL || lines[1] != NULL)
    {
      g_set_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                   "%s: expected one information line, got %u", command,
                   lines != NULL ? g_strv_length (lines) : 0);
      return NULL;
    }
  return lines[0];
}

/* ---- identify ---- */

static gpointer
parse_identify (GPtrArray  *answers,
                gpointer    data,
                GError    **error)
{
  /* Steps from the end: %DEVICEUUID, +CGMR, +CGMM, +CGSN=1, AT */
  char **uuid_lines = answer (answers, 0);
  const char *line;
  g_autoptr(CbNrf91Identity) id = g_new0 (CbNrf91Identity, 1);
  g_auto(GStrv) params = NULL;

  if ((line = single_line (answer (answers, 3), "AT+CGSN=1", error)) == NULL ||
      (params = cb_at_result_params (line, "+CGSN", error)) == NULL)
    return NULL;
  if (params[0] == NULL || strlen (params[0]) < 14 || strspn (params[0], "0123456789") != strlen (params[0]))
    {
      g_propagate_error (error, protocol_error ("AT+CGSN=1: not an IMEI", line));
      return NULL;
    }
  id->imei = g_strdup (params[0]);
  if ((line = single_line (answer (answers, 2), "AT+CGMM", error)) == NULL)
    return NULL;
  id->model = g_strdup (line);
  if ((line = single_line (answer (answers, 1), "AT+CGMR", error)) == NULL)
    return NULL;
  id->firmware = g_strdup (line);

  /* %DEVICEUUID: <uuid> (the nRF91x1 reference); ERROR on older firmware. */
  if (uuid_lines != NULL)
    {
      g_auto(GStrv) u = NULL;

      if ((line = single_line (uuid_lines, "AT%DEVICEUUID", error)) == NULL ||
          (u = cb_at_result_params (line, "%DEVICEUUID", error)) == NULL)
        return NULL;
      if (!g_uuid_string_is_valid (u[0]))
        {
          g_propagate_error (error, protocol_error ("AT%DEVICEUUID: not a UUID", line));
          return NULL;
        }
      id->uuid = g_ascii_strdown (u[0], -1);
    }
  return g_steal_pointer (&id);
}

void
cb_nrf91_modem_identify_async (CbNrf91Modem        *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Seq *seq = seq_new (parse_identify, (GDestroyNotify) cb_nrf91_identity_free);

  g_return_if_fail (CB_IS_NRF91_MODEM (self));

  seq_add (seq, 0, FALSE, "AT");
  seq_add (seq, 0, FALSE, "AT+CGSN=1");
  seq_add (seq, 0, FALSE, "AT+CGMM");
  seq_add (seq, 0, FALSE, "AT+CGMR");
  seq_add (seq, 0, TRUE, "AT%%DEVICEUUID");
  seq_start (self, seq, cb_nrf91_modem_identify_async, cancellable, callback, user_data);
}

CbNrf91Identity *
cb_nrf91_modem_identify_finish (CbNrf91Modem  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return finish_pointer (self, result, cb_nrf91_modem_identify_async, error);
}

/* ---- +CFUN ---- */

static gpointer
parse_cfun (GPtrArray  *answers,
            gpointer    data,
            GError    **error)
{
  const char *line;
  g_auto(GStrv) params = NULL;
  guint64 mode;

  if ((line = single_line (answer (answers, 0), "AT+CFUN?", error)) == NULL ||
      (params = cb_at_result_params (line, "+CFUN", error)) == NULL)
    return NULL;
  if (!g_ascii_string_to_unsigned (params[0], 10, 0, 255, &mode, NULL))
    {
      g_propagate_error (error, protocol_error ("AT+CFUN?: not a mode", line));
      return NULL;
    }
  return GINT_TO_POINTER ((int) mode + 1);
}

void
cb_nrf91_modem_get_cfun_async (CbNrf91Modem        *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Seq *seq = seq_new (parse_cfun, NULL);

  g_return_if_fail (CB_IS_NRF91_MODEM (self));

  seq_add (seq, 0, FALSE, "AT+CFUN?");
  seq_start (self, seq, cb_nrf91_modem_get_cfun_async, cancellable, callback, user_data);
}

int
cb_nrf91_modem_get_cfun_finish (CbNrf91Modem  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return GPOINTER_TO_INT (finish_pointer (self, result, cb_nrf91_modem_get_cfun_async, error)) - 1;
}

void
cb_nrf91_modem_set_cfun_async (CbNrf91Modem        *self,
                               int                  mode,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Seq *seq = seq_new (NULL, NULL);

  g_return_if_fail (CB_IS_NRF91_MODEM (self));
  g_return_if_fail (mode >= 0);

  /* Leaving normal mode detaches from the network, which can take a while. */
  seq_add (seq, 30000, FALSE, "AT+CFUN=%d", mode);
  seq_start (self, seq, cb_nrf91_modem_set_cfun_async, cancellable, callback, user_data);
}

gboolean
cb_nrf91_modem_set_cfun_finish (CbNrf91Modem  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return finish_pointer (self, result, cb_nrf91_modem_set_cfun_async, error) != NULL;
}

/* ---- %KEYGEN ---- */

static GBytes *
base64url_decode (const char  *text,
                  gsize        len,
                  const char  *what,
                  GError     **error)
{
  g_autoptr(GString) s = g_string_sized_new (len + 3);
  guchar *data;
  gsize out_len = 0;

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (c == '-')
        c = '+';
      else if (c == '_')
        c = '/';
      else if (!g_ascii_isalnum (c))
        {
          g_set_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                       "AT%%KEYGEN: the %s is not base64url (byte 0x%02x at %" G_GSIZE_FORMAT ")",
                       what, (guchar) text[i], i);
          return NULL;
        }
      g_string_append_c (s, c);
    }
  if (s->len % 4 == 1 || s->len == 0)
    {
      g_set_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                   "AT%%KEYGEN: the %s has a truncated base64url length", what);
      return NULL;
    }
  while (s->len % 4 != 0)
    g_string_append_c (s, '=');
  data = g_base64_decode (s->str, &out_len);
  return g_bytes_new_take (data, out_len);
}

static gpointer
parse_keygen (GPtrArray  *answers,
              gpointer    data,
              GError    **error)
{
  const char *line;
  g_auto(GStrv) params = NULL;
  const char *dot;
  g_autoptr(CbNrf91Keygen) keygen = g_new0 (CbNrf91Keygen, 1);
  const guint8 *bytes;
  gsize size;

  if ((line = single_line (answer (answers, 0), "AT%KEYGEN", error)) == NULL ||
      (params = cb_at_result_params (line, "%KEYGEN", error)) == NULL)
    return NULL;
  /* "<Base64Url(CSR_DER)>.<Base64Url(cose_sign)>" */
  dot = strchr (params[0], '.');
  if (dot == NULL || params[1] != NULL)
    {
      g_propagate_error (error, protocol_error ("AT%KEYGEN: expected \"<CSR>.<COSE>\"", line));
      return NULL;
    }
  keygen->csr_der = base64url_decode (params[0], (gsize) (dot - params[0]), "CSR", error);
  if (keygen->csr_der == NULL)
    return NULL;
  keygen->cose = base64url_decode (dot + 1, strlen (dot + 1), "COSE object", error);
  if (keygen->cose == NULL)
    return NULL;

  /* A DER SEQUENCE and a CBOR tag 18 (COSE_Sign1, 0xd2); the COSE object is kept as bytes:
   * only Nordic holds the key that verifies it. */
  bytes = g_bytes_get_data (keygen->csr_der, &size);
  if (size < 2 || bytes[0] != 0x30)
    {
      g_set_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                   "AT%%KEYGEN: the CSR is not DER (first byte 0x%02x)", size > 0 ? bytes[0] : 0);
      return NULL;
    }
  bytes = g_bytes_get_data (keygen->cose, &size);
  if (size < 1 || bytes[0] != 0xd2)
    {
      g_set_error (error, CB_AT_ERROR, CB_AT_ERROR_PROTOCOL,
                   "AT%%KEYGEN: the attestation is not a COSE_Sign1 object (first byte 0x%02x)",
                   size > 0 ? bytes[0] : 0);
      return NULL;
    }
  return g_steal_pointer (&keygen);
}

static gboolean
check_quotable (const char  *value,
                const char  *what,
                GError     **error)
{
  if (strchr (value, '"') != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The %s holds a double quote, which an AT string parameter cannot carry", what);
      return FALSE;
    }
  return TRUE;
}

void
cb_nrf91_modem_keygen_async (CbNrf91Modem        *self,
                             guint32              sec_tag,
                             const char          *attributes,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  Seq *seq;
  GError *error = NULL;

  g_return_if_fail (CB_IS_NRF91_MODEM (self));
  g_return_if_fail (sec_tag <= CB_NRF91_SEC_TAG_MAX);

  if (attributes != NULL && !check_quotable (attributes, "CSR subject", &error))
    {
      g_task_report_error (self, callback, user_data, cb_nrf91_modem_keygen_async, error);
      return;
    }
  seq = seq_new (parse_keygen, (GDestroyNotify) cb_nrf91_keygen_free);
  if (attributes != NULL)
    seq_add (seq, KEYGEN_TIMEOUT_MS, FALSE, "AT%%KEYGEN=%u,2,0,\"%s\"", sec_tag, attributes);
  else
    seq_add (seq, KEYGEN_TIMEOUT_MS, FALSE, "AT%%KEYGEN=%u,2", sec_tag);
  seq_start (self, seq, cb_nrf91_modem_keygen_async, cancellable, callback, user_data);
}

CbNrf91Keygen *
cb_nrf91_modem_keygen_finish (CbNrf91Modem  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return finish_pointer (self, result, cb_nrf91_modem_keygen_async, error);
}

/* ---- %CMNG ---- */

void
cb_nrf91_modem_cmng_write_async (CbNrf91Modem        *self,
                                 guint32              sec_tag,
                                 CbNrf91CredType      type,
                                 const char          *content,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  Seq *seq;
  GError *error = NULL;

  g_return_if_fail (CB_IS_NRF91_MODEM (self));
  g_return_if_fail (content != NULL);
  g_return_if_fail (sec_tag <= CB_NRF91_SEC_TAG_MAX);

  if (!check_quotable (content, cb_nrf91_cred_type_text (type), &error))
    {
      g_task_report_error (self, callback, user_data, cb_nrf91_modem_cmng_write_async, error);
      return;
    }
  seq = seq_new (NULL, NULL);
  seq_add (seq, CMNG_TIMEOUT_MS, FALSE, "AT%%CMNG=0,%u,%d,\"%s\"", sec_tag, type, content);
  seq_start (self, seq, cb_nrf91_modem_cmng_write_async, cancellable, callback, user_data);
}

gboolean
cb_nrf91_modem_cmng_write_finish (CbNrf91Modem  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return finish_pointer (self, result, cb_nrf91_modem_cmng_write_async, error) != NULL;
}

/* "%CMNG: <tag>,<type>[,"<sha>"[,"<content>"]]" */
static CbNrf91Credential *
parse_cmng_line (const char  *line,
                 gboolean     with_content,
                 GError     **error)
{
  g_auto(GStrv) params = cb_at_result_params (line, "%CMNG", error);
  g_autoptr(CbNrf91Credential) cred = g_new0 (CbNrf91Credential, 1);
  guint64 tag, type;
  guint n;

  if (params == NULL)
    return NULL;
  n = g_strv_length (params);
  if (n < 3 || (with_content && n < 4) ||
      !g_ascii_string_to_unsigned (params[0], 10, 0, G_MAXUINT32, &tag, NULL) ||
      !g_ascii_string_to_unsigned (params[1], 10, 0, 255, &type, NULL))
    {
      g_propagate_error (error, protocol_error ("AT%CMNG: not a credential line", line));
      return NULL;
    }
  cred->sec_tag = (guint32) tag;
  cred->type = (CbNrf91CredType) type;
  cred->sha256 = g_ascii_strup (params[2], -1);
  if (strlen (cred->sha256) != 64 || strspn (cred->sha256, "0123456789ABCDEF") != 64)
    {
      g_propagate_error (error, protocol_error ("AT%CMNG: not a SHA-256 digest", line));
      return NULL;
    }
  if (with_content)
    cred->content = g_strdup (params[3]);
  return g_steal_pointer (&cred);
}

static gpointer
parse_cmng_list (GPtrArray  *answers,
                 gpointer    data,
                 GError    **error)
{
  char **lines = answer (answers, 0);
  g_autoptr(GPtrArray) creds = g_ptr_array_new_with_free_func ((GDestroyNotify) cb_nrf91_credential_free);

  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      CbNrf91Credential *cred = parse_cmng_line (lines[i], FALSE, error);

      if (cred == NULL)
        return NULL;
      g_ptr_array_add (creds, cred);
    }
  return g_steal_pointer (&creds);
}

void
cb_nrf91_modem_cmng_list_async (CbNrf91Modem        *self,
                                gint64               sec_tag,
                                int                  type,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Seq *seq = seq_new (parse_cmng_list, (GDestroyNotify) g_ptr_array_unref);

  g_return_if_fail (CB_IS_NRF91_MODEM (self));

  if (sec_tag < 0)
    seq_add (seq, CMNG_TIMEOUT_MS, FALSE, "AT%%CMNG=1");
  else if (type < 0)
    seq_add (seq, CMNG_TIMEOUT_MS, FALSE, "AT%%CMNG=1,%" G_GINT64_FORMAT, sec_tag);
  else
    seq_add (seq, CMNG_TIMEOUT_MS, FALSE, "AT%%CMNG=1,%" G_GINT64_FORMAT ",%d", sec_tag, type);
  seq_start (self, seq, cb_nrf91_modem_cmng_list_async, cancellable, callback, user_data);
}

GPtrArray *
cb_nrf91_modem_cmng_list_finish (CbNrf91Modem  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return finish_pointer (self, result, cb_nrf91_modem_cmng_list_async, error);
}

static gpointer
parse_cmng_read (GPtrArray  *answers,
                 gpointer    data,
                 GError    **error)
{
  const char *line = single_line (answer (answers, 0), "AT%CMNG=2", error);

  return line != NULL ? parse_cmng_line (line, TRUE, error) : NULL;
}

void
cb_nrf91_modem_cmng_read_async (CbNrf91Modem        *self,
                                guint32              sec_tag,
                                CbNrf91CredType      type,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  Seq *seq = seq_new (parse_cmng_read, (GDestroyNotify) cb_nrf91_credential_free);

  g_return_if_fail (CB_IS_NRF91_MODEM (self));

  seq_add (seq, CMNG_TIMEOUT_MS, FALSE, "AT%%CMNG=2,%u,%d", sec_tag, type);
  seq_start (self, seq, cb_nrf91_modem_cmng_read_async, cancellable, callback, user_data);
}

CbNrf91Credential *
cb_nrf91_modem_cmng_read_finish (CbNrf91Modem  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return finish_pointer (self, result, cb_nrf91_modem_cmng_read_async, error);
}

void
cb_nrf91_modem_cmng_delete_async (CbNrf91Modem        *self,
                                  guint32              sec_tag,
                                  CbNrf91CredType      type,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  Seq *seq = seq_new (NULL, NULL);

  g_return_if_fail (CB_IS_NRF91_MODEM (self));

  seq_add (seq, CMNG_TIMEOUT_MS, FALSE, "AT%%CMNG=3,%u,%d", sec_tag, type);
  seq_start (self, seq, cb_nrf91_modem_cmng_delete_async, cancellable, callback, user_data);
}

gboolean
cb_nrf91_modem_cmng_delete_finish (CbNrf91Modem  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return finish_pointer (self, result, cb_nrf91_modem_cmng_delete_async, error) != NULL;
}

/* ---- object ---- */

CbAtChannel *
cb_nrf91_modem_get_channel (CbNrf91Modem *self)
{
  g_return_val_if_fail (CB_IS_NRF91_MODEM (self), NULL);

  return self->channel;
}

static void
cb_nrf91_modem_finalize (GObject *object)
{
  CbNrf91Modem *self = CB_NRF91_MODEM (object);

  g_clear_object (&self->channel);

  G_OBJECT_CLASS (cb_nrf91_modem_parent_class)->finalize (object);
}

static void
cb_nrf91_modem_class_init (CbNrf91ModemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cb_nrf91_modem_finalize;
}

static void
cb_nrf91_modem_init (CbNrf91Modem *self)
{
}

CbNrf91Modem *
cb_nrf91_modem_new (CbAtChannel *channel)
{
  CbNrf91Modem *self;

  g_return_val_if_fail (CB_IS_AT_CHANNEL (channel), NULL);

  self = g_object_new (CB_TYPE_NRF91_MODEM, NULL);
  self->channel = g_object_ref (channel);
  return self;
}
