"""The receivables page: what each account owes by days past due, as of a date, per currency."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from allyance.core.forms import StyledFormMixin
from allyance.core.visibility import visible_to
from allyance.customers.models import Account
from allyance.orders.selectors.billing import Ageing, receivables_ageing
from allyance.orders.views.billing_exports import ageing_rows, spreadsheet_response
from allyance.sales.models.money import currency_choices


class AgeingQueryForm(StyledFormMixin, forms.Form):
    as_of = forms.DateField(
        label=gettext_lazy("As of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), required=False, choices=())
    account = forms.IntegerField(
        label=gettext_lazy("Account (id)"), required=False, min_value=1, max_value=2**63 - 1
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", _("All currencies")), *currency_choices()]


def _ageing(request: HttpRequest) -> tuple[AgeingQueryForm, Ageing | None]:
    form = AgeingQueryForm(request.GET)
    if not form.is_valid():
        return form, None
    account = None
    if form.cleaned_data.get("account"):
        account = visible_to(
            request.user, Account.objects.filter(pk=form.cleaned_data["account"])
        ).first()
        if account is None:
            form.add_error("account", _("No such account."))
            return form, None
    ageing = receivables_ageing(
        request.user,
        as_of=form.cleaned_data.get("as_of"),
        account=account,
        currency=form.cleaned_data.get("currency") or None,
    )
    return form, ageing


def ageing_chart(ageing: Ageing) -> dict:
    """The totals per bucket, one series per currency (bars side by side, never summed).

    Floats only for drawing; the table beside the chart has the exact amounts.
    """
    return {
        "kind": "bar",
        "x": [str(label) for _key, label in ageing.buckets],
        "series": [
            {
                "name": total.currency,
                "data": [float(total.amounts[key]) for key, _l in ageing.buckets],
            }
            for total in ageing.totals
        ],
    }


@login_required
def receivables(request: HttpRequest) -> HttpResponse:
    form, ageing = _ageing(request)
    return render(
        request,
        "orders/receivables.html",
        {
            "form": form,
            "ageing": ageing,
            "chart": ageing_chart(ageing) if ageing is not None else None,
            "query_string": request.GET.urlencode(),
        },
        status=200 if ageing is not None else 400,
    )


@login_required
def receivables_export(request: HttpRequest) -> HttpResponse:
    form, ageing = _ageing(request)
    if ageing is None:
        return render(
            request, "orders/receivables.html", {"form": form, "ageing": None}, status=400
        )
    return spreadsheet_response(
        ageing_rows(ageing),
        file_format=request.GET.get("format", "csv"),
        filename=f"receivables-{ageing.as_of.isoformat()}",
        sheet=_("Receivables"),
    )
