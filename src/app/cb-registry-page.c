/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "cb-registry-page"

#include "config.h"

#include <glib/gi18n.h>

#include "cb-registry-page.h"

struct _CbRegistryPage
{
  AdwBin     parent_instance;

  /* Owned */
  CbContext *context;
};

G_DEFINE_FINAL_TYPE (CbRegistryPage, cb_registry_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
cb_registry_page_dispose (GObject *object)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CB_TYPE_REGISTRY_PAGE);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cb_registry_page_parent_class)->dispose (object);
}

static void
cb_registry_page_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_registry_page_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  CbRegistryPage *self = CB_REGISTRY_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cb_registry_page_class_init (CbRegistryPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cb_registry_page_dispose;
  object_class->get_property = cb_registry_page_get_property;
  object_class->set_property = cb_registry_page_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CB_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/certbench/Certbench/cb-registry-page.ui");
}

static void
cb_registry_page_init (CbRegistryPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cb_registry_page_new (CbContext *context)
{
  g_return_val_if_fail (CB_IS_CONTEXT (context), NULL);

  return g_object_new (CB_TYPE_REGISTRY_PAGE, "context", context, NULL);
}
