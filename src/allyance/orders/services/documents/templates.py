"""Document templates: one editable HTML template per kind and language, kept by
administrators; the shipped ones are created where a kind and language has none.

A template is compiled by Django's template engine from a string, with autoescaping, no
loaders and no tag libraries beyond the built-in ones; one that does not compile is refused
with its line.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.template import Engine, TemplateSyntaxError
from django.utils.translation import gettext as _

from allyance.core import audit
from allyance.core.models import User
from allyance.orders.models import DocumentKind, DocumentTemplate

logger = logging.getLogger(__name__)

DEFAULTS_DIR = Path(__file__).resolve().parent.parent.parent / "document_defaults"


@lru_cache(maxsize=1)
def template_engine() -> Engine:
    """A template engine with autoescaping, no loaders and no extra tag libraries."""
    return Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=True, debug=False)


def template_syntax_problem(body: str) -> str | None:
    """Why `body` is not a valid template (with its line), or None when it compiles."""
    engine = Engine(dirs=[], app_dirs=False, loaders=[], autoescape=True, debug=True)
    try:
        engine.from_string(body)
    except TemplateSyntaxError as exc:
        info = getattr(exc, "template_debug", None)
        if info:
            return _("Line %(line)s: %(error)s") % {"line": info["line"], "error": exc}
        return str(exc)
    return None


def document_template_save(*, template: DocumentTemplate, by: User) -> DocumentTemplate:
    """Save a template an administrator edited; refuses a template that does not compile.

    Making it the default takes the flag from the kind and language's previous default.
    """
    _admin_only(by)
    problem = template_syntax_problem(template.body)
    if problem:
        raise ValidationError({"body": [problem]})
    if not template.active:
        template.is_default = False
    template.full_clean(validate_constraints=False)
    with audit.acting_as(by), transaction.atomic():
        if template.is_default:
            _clear_default(template)
        template.save()
    return template


def document_template_set_default(*, template: DocumentTemplate, by: User) -> DocumentTemplate:
    """Make an (active) template the one used for its kind and language."""
    _admin_only(by)
    with audit.acting_as(by), transaction.atomic():
        template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
        if not template.active:
            raise ValidationError(_("An inactive template cannot be the default."))
        _clear_default(template)
        template.is_default = True
        template.save()
    return template


def document_template_set_active(
    *, template: DocumentTemplate, active: bool, by: User
) -> DocumentTemplate:
    """Deactivate (no longer used nor offered; no longer the default) or reactivate."""
    _admin_only(by)
    with audit.acting_as(by), transaction.atomic():
        template = DocumentTemplate.objects.select_for_update().get(pk=template.pk)
        template.active = active
        if not active:
            template.is_default = False
        template.save()
    return template


def _clear_default(template: DocumentTemplate) -> None:
    others = DocumentTemplate.objects.select_for_update().filter(
        kind=template.kind, language=template.language, is_default=True
    )
    if template.pk:
        others = others.exclude(pk=template.pk)
    for other in others:
        other.is_default = False
        other.save(update_fields=["is_default", "updated_at"])


def _admin_only(user: User) -> None:
    if not user.is_admin:
        raise PermissionDenied(_("Only administrators change document templates."))


def default_template_body(kind: str, language: str) -> str:
    """The body of the template this product ships for a kind and language."""
    return (DEFAULTS_DIR / f"{kind}.{language}.html").read_text(encoding="utf-8")


def ensure_default_templates(model: type[Model] | None = None) -> int:
    """Create the shipped template for every kind and language that has no template at all.

    `model` is the historical model when called from a migration. Returns how many were made.
    """
    model = model or DocumentTemplate
    created = 0
    for kind, _label in DocumentKind.choices:
        for language, _name in settings.LANGUAGES:
            if model.objects.filter(kind=kind, language=language).exists():
                continue
            path = DEFAULTS_DIR / f"{kind}.{language}.html"
            if not path.exists():
                continue
            model.objects.create(
                kind=kind,
                language=language,
                name=_shipped_name(kind, language),
                body=path.read_text(encoding="utf-8"),
                is_default=True,
                active=True,
            )
            created += 1
    return created


SHIPPED_NAMES = {
    ("proposal", "en"): "Proposal",
    ("quote", "en"): "Quote",
    ("contract", "en"): "Sales contract",
    ("invoice", "en"): "Invoice",
    ("proposal", "zh-hans"): "方案建议书",
    ("quote", "zh-hans"): "报价单",
    ("contract", "zh-hans"): "销售合同",
    ("invoice", "zh-hans"): "发票",
    ("proposal", "zh-hant"): "方案建議書",
    ("quote", "zh-hant"): "報價單",
    ("contract", "zh-hant"): "銷售合約",
    ("invoice", "zh-hant"): "發票",
}


def _shipped_name(kind: str, language: str) -> str:
    return SHIPPED_NAMES.get((kind, language), f"{kind} ({language})")


def document_title(kind: str, language: str) -> str:
    """The document's name as it is printed and used in its file name: 报价单, Quote."""
    return SHIPPED_NAMES.get((kind, language), kind)


def template_for(kind: str, language: str) -> DocumentTemplate:
    """The active default template for a kind and language, or a clear error."""
    ensure_default_templates()
    template = DocumentTemplate.objects.filter(
        kind=kind, language=language, is_default=True, active=True
    ).first()
    if template is None:
        raise ValidationError(
            {
                "template": [
                    _(
                        "There is no active default template for %(kind)s in %(language)s; "
                        "an administrator can set one under Document templates."
                    )
                    % {
                        "kind": dict(DocumentKind.choices)[kind],
                        "language": dict(settings.LANGUAGES)[language],
                    }
                ]
            }
        )
    return template
