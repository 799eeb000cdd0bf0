"""Core pages: home, log-in, language, global search, profile, administration, errors."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.authtoken.models import Token

from allyance.core import services_admin
from allyance.core.forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's open tasks and the records they touched last; partners have their portal."""
    if request.user.is_partner:
        from allyance.partners.views.incentives import portal_home

        return portal_home(request)
    from allyance.activities.selectors import open_tasks_of
    from allyance.customers.selectors import accounts_visible_to, contacts_visible_to

    recent_accounts = accounts_visible_to(request.user).filter(owner=request.user)[:8]
    recent_contacts = contacts_visible_to(request.user).filter(owner=request.user)[:8]
    return render(
        request,
        "core/home.html",
        {
            "tasks": open_tasks_of(request.user)[:20],
            "now": timezone.now(),
            "recent_accounts": recent_accounts,
            "recent_contacts": recent_contacts,
        },
    )


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user and in a cookie."""
    code = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            request.user.language = code
            request.user.save(update_fields=["language"])
        translation.activate(code)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """One box, every record type the user may see."""
    from allyance.core.search import global_search

    query = request.GET.get("q", "").strip()
    results = global_search(request.user, query) if query else []
    return render(request, "core/search.html", {"search_query": query, "results": results})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The user's own settings: language, time zone and API token."""
    from allyance.core.forms_admin import PreferencesForm

    user = request.user
    preferences = PreferencesForm(initial={"language": user.language, "time_zone": user.time_zone})
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "preferences":
            preferences = PreferencesForm(request.POST)
            if preferences.is_valid():
                try:
                    services_admin.user_preferences_save(user=user, **preferences.cleaned_data)
                except ValidationError as exc:
                    for field, errors in exc.message_dict.items():
                        preferences.add_error(field, errors)
                else:
                    messages.success(request, _("Your preferences are saved."))
                    return HttpResponseRedirect(request.path)
        elif action == "revoke":
            Token.objects.filter(user=user).delete()
            messages.success(request, _("Your API token is revoked."))
            return HttpResponseRedirect(request.path)
        else:
            services_admin.token_renew(user=user)
            messages.success(request, _("A new API token is ready. The old one no longer works."))
            return HttpResponseRedirect(request.path)
    token = Token.objects.filter(user=user).first()
    return render(request, "core/profile.html", {"token": token, "preferences": preferences})


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)
