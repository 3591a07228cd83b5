/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Where the context's active profile stands (cb-context.h). */
typedef enum
{
  CB_CONTEXT_STATE_STARTING,    /* sandbox starting, clients being made, or signing in */
  CB_CONTEXT_STATE_READY,       /* signed in: the clients can be used */
  CB_CONTEXT_STATE_SIGNED_OUT,  /* an Azure profile without a usable sign-in */
  CB_CONTEXT_STATE_ERROR,       /* see cb_context_get_error() */
} CbContextState;

#define CB_TYPE_CONTEXT_STATE (cb_context_state_get_type ())
GType cb_context_state_get_type (void) G_GNUC_CONST;

G_END_DECLS
