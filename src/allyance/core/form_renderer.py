"""Form widgets drawn from Django's own Jinja2 widget templates.

Django ships every built-in widget template twice, for its template language and for
Jinja2, with the same HTML. Jinja2 compiles a template to Python once; drawing a select
of a few hundred owners through it takes a fraction of the time the template language
takes (on list pages the filter form's widgets were about half of the page's time).
Every other template of a form — the form and its fields, errors, other packages'
widgets — still goes through the Django template engine.
"""

from functools import cached_property

from django.forms.renderers import DjangoTemplates, Jinja2

WIDGET_TEMPLATES = "django/forms/widgets/"


class WidgetRenderer(DjangoTemplates):
    """The project's form renderer (FORM_RENDERER): built-in widgets with Jinja2."""

    @cached_property
    def widget_renderer(self) -> Jinja2:
        return Jinja2()

    def get_template(self, template_name: str):
        if template_name.startswith(WIDGET_TEMPLATES):
            return self.widget_renderer.get_template(template_name)
        return super().get_template(template_name)
