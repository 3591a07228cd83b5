/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-activity-event"

#include "config.h"

#include <string.h>

#include "cb-activity-event.h"
#include "cb-adr-json-private.h"

struct _CbActivityEvent
{
  GObject  parent_instance;

  char    *caller;
  char    *operation_name;
  char    *operation_display_name;
  char    *resource_id;
  char    *status;
  char    *sub_status;
  char    *correlation_id;
  char    *http_method;
  gint64   time;
  guint    http_status;
};

G_DEFINE_FINAL_TYPE (CbActivityEvent, cb_activity_event, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CALLER,
  PROP_OPERATION_NAME,
  PROP_OPERATION_DISPLAY_NAME,
  PROP_RESOURCE_ID,
  PROP_STATUS,
  PROP_SUB_STATUS,
  PROP_CORRELATION_ID,
  PROP_HTTP_METHOD,
  /* non-string properties after this line */
  PROP_TIME,
  PROP_HTTP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char **
cb_activity_event_string_field (CbActivityEvent *self,
                                guint            prop_id)
{
  switch (prop_id)
    {
    case PROP_CALLER:
      return &self->caller;
    case PROP_OPERATION_NAME:
      return &self->operation_name;
    case PROP_OPERATION_DISPLAY_NAME:
      return &self->operation_display_name;
    case PROP_RESOURCE_ID:
      return &self->resource_id;
    case PROP_STATUS:
      return &self->status;
    case PROP_SUB_STATUS:
      return &self->sub_status;
    case PROP_CORRELATION_ID:
      return &self->correlation_id;
    case PROP_HTTP_METHOD:
      return &self->http_method;
    default:
      return NULL;
    }
}

static void
cb_activity_event_finalize (GObject *object)
{
  CbActivityEvent *self = (CbActivityEvent *)object;

  for (guint i = PROP_0 + 1; i < PROP_TIME; i++)
    g_clear_pointer (cb_activity_event_string_field (self, i), g_free);

  G_OBJECT_CLASS (cb_activity_event_parent_class)->finalize (object);
}

static void
cb_activity_event_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CbActivityEvent *self = CB_ACTIVITY_EVENT (object);
  char **field = cb_activity_event_string_field (self, prop_id);

  if (field != NULL)
    g_value_set_string (value, *field);
  else if (prop_id == PROP_TIME)
    g_value_set_int64 (value, self->time);
  else if (prop_id == PROP_HTTP_STATUS)
    g_value_set_uint (value, self->http_status);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_activity_event_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CbActivityEvent *self = CB_ACTIVITY_EVENT (object);
  char **field = cb_activity_event_string_field (self, prop_id);

  if (field != NULL)
    {
      if (cb_set_str (field, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
    }
  else if (prop_id == PROP_TIME)
    {
      if (self->time != g_value_get_int64 (value))
        {
          self->time = g_value_get_int64 (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else if (prop_id == PROP_HTTP_STATUS)
    {
      if (self->http_status != g_value_get_uint (value))
        {
          self->http_status = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
    }
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cb_activity_event_class_init (CbActivityEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = cb_activity_event_finalize;
  object_class->get_property = cb_activity_event_get_property;
  object_class->set_property = cb_activity_event_set_property;

  properties[PROP_CALLER] = g_param_spec_string ("caller", NULL, NULL, NULL, flags);
  properties[PROP_OPERATION_NAME] =
    g_param_spec_string ("operation-name", NULL, NULL, NULL, flags);
  properties[PROP_OPERATION_DISPLAY_NAME] =
    g_param_spec_string ("operation-display-name", NULL, NULL, NULL, flags);
  properties[PROP_RESOURCE_ID] = g_param_spec_string ("resource-id", NULL, NULL, NULL, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  properties[PROP_SUB_STATUS] = g_param_spec_string ("sub-status", NULL, NULL, NULL, flags);
  properties[PROP_CORRELATION_ID] =
    g_param_spec_string ("correlation-id", NULL, NULL, NULL, flags);
  properties[PROP_HTTP_METHOD] = g_param_spec_string ("http-method", NULL, NULL, NULL, flags);
  properties[PROP_TIME] =
    g_param_spec_int64 ("time", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  properties[PROP_HTTP_STATUS] =
    g_param_spec_uint ("http-status", NULL, NULL, 0, 999, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cb_activity_event_init (CbActivityEvent *self)
{
}

/* Activity log statusCode and subStatus carry HTTP statuses by name. */
static const struct
{
  const char *name;
  guint       status;
} http_status_names[] = {
  { "OK", 200 },
  { "Created", 201 },
  { "Accepted", 202 },
  { "NoContent", 204 },
  { "BadRequest", 400 },
  { "Unauthorized", 401 },
  { "Forbidden", 403 },
  { "NotFound", 404 },
  { "MethodNotAllowed", 405 },
  { "Conflict", 409 },
  { "PreconditionFailed", 412 },
  { "TooManyRequests", 429 },
  { "InternalServerError", 500 },
  { "BadGateway", 502 },
  { "ServiceUnavailable", 503 },
  { "GatewayTimeout", 504 },
};

guint
cb_activity_event_parse_http_status (const char *text)
{
  const char *marker;
  guint64 value;

  if (text == NULL || *text == '\0')
    return 0;

  if (g_ascii_string_to_unsigned (text, 10, 100, 599, &value, NULL))
    return (guint) value;

  /* Azure's localized subStatus: "Created (HTTP Status Code: 201)" */
  if ((marker = strstr (text, "HTTP Status Code:")) != NULL)
    {
      guint64 code = g_ascii_strtoull (marker + strlen ("HTTP Status Code:"), NULL, 10);

      if (code >= 100 && code <= 599)
        return (guint) code;
    }

  for (guint i = 0; i < G_N_ELEMENTS (http_status_names); i++)
    {
      if (g_ascii_strcasecmp (text, http_status_names[i].name) == 0)
        return http_status_names[i].status;
    }

  return 0;
}

/* EventData uses LocalizableString {value, localizedValue}; a plain string is accepted too. */
static gboolean
get_localizable (JsonObject  *obj,
                 const char  *member,
                 const char **value,
                 const char **localized,
                 GError     **error)
{
  JsonNode *node = cb_adr_json_member (obj, member);

  *value = NULL;
  if (localized != NULL)
    *localized = NULL;

  if (node == NULL)
    return TRUE;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *ls = json_node_get_object (node);

      if (!cb_adr_json_get_string (ls, "value", "activity event", value, error))
        return FALSE;
      if (localized != NULL &&
          !cb_adr_json_get_string (ls, "localizedValue", "activity event", localized, error))
        return FALSE;
      return TRUE;
    }

  return cb_adr_json_get_string (obj, member, "activity event", value, error);
}

/**
 * cb_activity_event_new_from_json:
 * @node: one EventData entry
 *
 * Returns: (transfer full): the event, or %NULL with %CB_API_ERROR_PARSE
 */
CbActivityEvent *
cb_activity_event_new_from_json (JsonNode  *node,
                                 GError   **error)
{
  const char *what = "activity event";
  g_autoptr(CbActivityEvent) self = g_object_new (CB_TYPE_ACTIVITY_EVENT, NULL);
  JsonObject *obj;
  JsonObject *props = NULL;
  JsonObject *http = NULL;
  const char *timestamp = NULL, *caller = NULL, *op = NULL, *op_display = NULL;
  const char *resource_id = NULL, *status = NULL, *sub_status = NULL;
  const char *sub_status_display = NULL, *correlation_id = NULL, *method = NULL;
  JsonNode *status_code;

  if (!(obj = cb_adr_json_require_object (node, what, error)) ||
      !cb_adr_json_require_string (obj, "eventTimestamp", what, &timestamp, error) ||
      !cb_adr_json_get_time (obj, "eventTimestamp", what, &self->time, error) ||
      !cb_adr_json_get_string (obj, "caller", what, &caller, error) ||
      !get_localizable (obj, "operationName", &op, &op_display, error) ||
      !cb_adr_json_get_string (obj, "resourceId", what, &resource_id, error) ||
      !get_localizable (obj, "status", &status, NULL, error) ||
      !get_localizable (obj, "subStatus", &sub_status, &sub_status_display, error) ||
      !cb_adr_json_get_string (obj, "correlationId", what, &correlation_id, error) ||
      !cb_adr_json_get_object (obj, "httpRequest", what, &http, error) ||
      !cb_adr_json_get_string (http, "method", what, &method, error) ||
      !cb_adr_json_get_object (obj, "properties", what, &props, error))
    return NULL;

  if (op == NULL)
    {
      cb_adr_json_set_parse_error (error, what, "operationName", "present");
      return NULL;
    }

  self->caller = g_strdup (caller);
  self->operation_name = g_strdup (op);
  self->operation_display_name = g_strdup (op_display != NULL && *op_display ? op_display : op);
  self->resource_id = g_strdup (resource_id);
  self->status = g_strdup (status);
  self->sub_status = g_strdup (sub_status != NULL && *sub_status ? sub_status : NULL);
  self->correlation_id = g_strdup (correlation_id);
  self->http_method = g_strdup (method);

  /* properties.statusCode is the most direct source; the subStatus strings say the same
   * in words on events that lack it. */
  status_code = cb_adr_json_member (props, "statusCode");
  if (status_code != NULL && JSON_NODE_HOLDS_VALUE (status_code) &&
      json_node_get_value_type (status_code) == G_TYPE_INT64)
    {
      gint64 code = json_node_get_int (status_code);

      self->http_status = code >= 100 && code <= 599 ? (guint) code : 0;
    }
  else if (status_code != NULL && JSON_NODE_HOLDS_VALUE (status_code) &&
           json_node_get_value_type (status_code) == G_TYPE_STRING)
    self->http_status = cb_activity_event_parse_http_status (json_node_get_string (status_code));

  if (self->http_status == 0)
    self->http_status = cb_activity_event_parse_http_status (sub_status_display);
  if (self->http_status == 0)
    self->http_status = cb_activity_event_parse_http_status (sub_status);

  return g_steal_pointer (&self);
}

gint64
cb_activity_event_get_time (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), 0);
  return self->time;
}

const char *
cb_activity_event_get_caller (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->caller;
}

const char *
cb_activity_event_get_operation_name (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->operation_name;
}

const char *
cb_activity_event_get_operation_display_name (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->operation_display_name;
}

const char *
cb_activity_event_get_resource_id (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->resource_id;
}

const char *
cb_activity_event_get_status (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->status;
}

const char *
cb_activity_event_get_sub_status (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->sub_status;
}

const char *
cb_activity_event_get_correlation_id (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->correlation_id;
}

const char *
cb_activity_event_get_http_method (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), NULL);
  return self->http_method;
}

guint
cb_activity_event_get_http_status (CbActivityEvent *self)
{
  g_return_val_if_fail (CB_IS_ACTIVITY_EVENT (self), 0);
  return self->http_status;
}
