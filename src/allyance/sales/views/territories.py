"""The territory reassignment page: choose a territory and a new owner, preview, confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from allyance.core.forms import form_errors_from
from allyance.sales.forms.routing import TerritoryReassignForm
from allyance.sales.services import territories as services


def _ids(raw: str) -> list[int]:
    return [int(v) for v in raw.split(",") if v.strip().isdigit() and len(v.strip()) < 12]


@login_required
def territory_reassign(request: HttpRequest) -> HttpResponse:
    """Step 1 chooses, step 2 (preview) lists what would move, step 3 (confirm) moves it."""
    if not services.may_reassign_territories(request.user):
        raise PermissionDenied
    initial = {}
    if request.GET.get("territory", "").isdigit():
        initial["territory"] = request.GET["territory"]
    form = TerritoryReassignForm(request.POST or None, initial=initial, user=request.user)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        territory = form.cleaned_data["territory"]
        new_owner = form.cleaned_data["new_owner"]
        deep = form.cleaned_data["include_subterritories"]
        try:
            if request.POST.get("step") == "confirm":
                only = {
                    key: _ids(request.POST.get(f"ids_{key}", ""))
                    for key, _m, _l, _q in services.RECORD_TYPES
                }
                counts = services.territory_reassign(
                    territory=territory,
                    new_owner=new_owner,
                    by=request.user,
                    include_subterritories=deep,
                    only=only,
                )
                messages.success(
                    request,
                    _(
                        "Reassigned in “%(territory)s”: %(leads)d leads, "
                        "%(opportunities)d opportunities, %(accounts)d accounts."
                    )
                    % {"territory": territory.name, **counts},
                )
                return redirect(f"{reverse('sales:territory-reassign')}?territory={territory.pk}")
            plan = services.territory_reassignment_preview(
                territory=territory,
                new_owner=new_owner,
                by=request.user,
                include_subterritories=deep,
            )
        except ValidationError as exc:
            form_errors_from(form, exc)
        else:
            confirm_data = {
                "territory": str(territory.pk),
                "new_owner": request.POST.get("new_owner", ""),
                "step": "confirm",
                **{
                    f"ids_{key}": ",".join(str(pk) for pk in ids) for key, ids in plan.ids().items()
                },
            }
            if deep:
                confirm_data["include_subterritories"] = "on"
            context.update(
                plan=plan,
                confirm_data=confirm_data,
                preview_limit=services.PREVIEW_LIMIT,
            )
    return render(request, "sales/territory_reassign.html", context)
