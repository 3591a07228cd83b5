/* SPDX-License-Identifier: GPL-3.0-or-later */

/* The context's state as an enum type, for its "state" property. */

#include "config.h"

#include "cb-context-state.h"

GType
cb_context_state_get_type (void)
{
  static gsize type_id = 0;

  if (g_once_init_enter (&type_id))
    {
      static const GEnumValue values[] = {
        { CB_CONTEXT_STATE_STARTING, "CB_CONTEXT_STATE_STARTING", "starting" },
        { CB_CONTEXT_STATE_READY, "CB_CONTEXT_STATE_READY", "ready" },
        { CB_CONTEXT_STATE_SIGNED_OUT, "CB_CONTEXT_STATE_SIGNED_OUT", "signed-out" },
        { CB_CONTEXT_STATE_ERROR, "CB_CONTEXT_STATE_ERROR", "error" },
        { 0, NULL, NULL },
      };
      GType type = g_enum_register_static (g_intern_static_string ("CbContextState"), values);

      g_once_init_leave (&type_id, type);
    }

  return type_id;
}
