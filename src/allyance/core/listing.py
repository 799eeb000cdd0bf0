"""The list page every record type shares: filter, sort, keyset pages, bulk actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from rest_framework.request import Request

from allyance.core.api import users_assignable_by
from allyance.core.api_support import CursorPagination
from allyance.core.custom_fields import custom_filter_form
from allyance.core.models import User
from allyance.core.services import records_add_tag, records_assign_owner, records_delete


@dataclass
class Column:
    name: str
    label: str
    sort: str | None = None
    link: bool = False


@dataclass(frozen=True)
class BulkPage:
    """A bulk action that is a page of its own: the selected ids are handed over as `?ids=`."""

    action: str
    label: str
    url: str
    allowed: Callable[[User], bool] = lambda user: True


@dataclass
class RecordList:
    """Configuration of one list page; `render` serves it."""

    selector: object
    filterset_class: type
    columns: list[Column]
    title: str
    template: str = "core/record_list.html"
    default_ordering: str = "-updated_at"
    create_url: str | None = None
    export_url: str | None = None
    import_url: str | None = None
    bulk_actions: tuple[str, ...] = ("assign_owner", "add_tag", "delete")
    bulk_pages: tuple[BulkPage, ...] = ()
    extra_context: dict = field(default_factory=dict)

    def queryset(self, request: HttpRequest):
        filterset = self.filterset_class(
            request.GET, queryset=self.selector(request.user), request=request
        )
        queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        queryset = custom_filter_form(request, queryset.model).filter(queryset)
        query = request.GET.get("q", "").strip()
        if query:
            from allyance.core.search import search_queryset

            queryset = search_queryset(queryset, query)
        return filterset, queryset

    def ordering(self, request: HttpRequest) -> str:
        sortable = {c.sort for c in self.columns if c.sort}
        requested = request.GET.get("sort", self.default_ordering)
        return requested if requested.lstrip("-") in sortable else self.default_ordering

    def render(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            return self.bulk(request)
        filterset, queryset = self.queryset(request)
        ordering = self.ordering(request)
        paginator = CursorPagination()
        paginator.ordering = (ordering, "-id" if ordering.startswith("-") else "id")
        drf_request = Request(request)
        rows = paginator.paginate_queryset(queryset, drf_request)
        for form_field in filterset.form.fields.values():
            css = "form-select" if hasattr(form_field, "choices") else "form-control"
            form_field.widget.attrs.setdefault("class", f"{css} form-control-sm")
        context = {
            "list": self,
            "rows": rows,
            "filterset": filterset,
            "ordering": ordering,
            "next_url": paginator.get_next_link(),
            "previous_url": paginator.get_previous_link(),
            "assignable_users": users_assignable_by(request.user)
            if "assign_owner" in self.bulk_actions
            else [],
            "bulk_pages": [page for page in self.bulk_pages if page.allowed(request.user)],
            "query_string": request.GET.urlencode(),
            "custom_filter_form": custom_filter_form(request, queryset.model),
            **self.extra_context,
        }
        if request.htmx and request.htmx.target == "record-table":
            return render(request, "core/record_table.html", context)
        return render(request, self.template, context)

    def bulk(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action")
        ids = [pk for pk in request.POST.getlist("selected") if pk.isdigit()]
        page = next((p for p in self.bulk_pages if p.action == action), None)
        if page is not None and ids and page.allowed(request.user):
            return redirect(f"{page.url}?{urlencode({'ids': ','.join(ids)})}")
        records = list(self.selector(request.user).filter(pk__in=ids))
        if action not in self.bulk_actions or not records:
            messages.error(request, _("Choose one or more records and an action."))
            return redirect(request.get_full_path())
        try:
            if action == "assign_owner":
                owner = users_assignable_by(request.user).get(pk=request.POST.get("owner") or 0)
                count = records_assign_owner(records=records, owner=owner, by=request.user)
            elif action == "add_tag":
                count = records_add_tag(
                    records=records, tag_name=request.POST.get("tag", ""), by=request.user
                )
            else:
                count = records_delete(records=records, by=request.user)
        except User.DoesNotExist:
            messages.error(request, _("Choose the new owner."))
            return redirect(request.get_full_path())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(request.get_full_path())
        messages.success(request, _("%(count)d records updated.") % {"count": count})
        return redirect(request.get_full_path())
