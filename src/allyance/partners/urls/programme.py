"""Web pages of the partners app: the programme part (tiers, settings, onboarding steps,
partner organisations, agreements, the partner's own organisation page)."""

from django.urls import path

from allyance.partners.views import programme as views

urlpatterns: list = [
    path("programme/tiers/", views.tier_list, name="tier-list"),
    path("programme/tiers/new/", views.tier_create, name="tier-create"),
    path("programme/tiers/<int:pk>/", views.tier_edit, name="tier-edit"),
    path("programme/tiers/<int:pk>/delete/", views.tier_delete, name="tier-delete"),
    path("programme/settings/", views.programme_settings, name="programme-settings"),
    path("programme/onboarding-steps/", views.onboarding_step_list, name="onboarding-step-list"),
    path(
        "programme/onboarding-steps/new/",
        views.onboarding_step_create,
        name="onboarding-step-create",
    ),
    path(
        "programme/onboarding-steps/<int:pk>/",
        views.onboarding_step_edit,
        name="onboarding-step-edit",
    ),
    path(
        "programme/onboarding-steps/<int:pk>/delete/",
        views.onboarding_step_delete,
        name="onboarding-step-delete",
    ),
    path("programme/partners/", views.partner_list, name="partner-list"),
    path("programme/partners/export/", views.partner_export, name="partner-export"),
    path("programme/partners/<int:pk>/", views.partner_detail, name="partner-detail"),
    path(
        "programme/partners/<int:pk>/sharing/",
        views.organisation_sharing,
        name="organisation-sharing",
    ),
    path(
        "programme/partners/<int:pk>/onboarding/<int:item_pk>/",
        views.onboarding_item_tick,
        name="onboarding-item-tick",
    ),
    path(
        "programme/partners/<int:pk>/agreements/new/",
        views.agreement_create,
        name="agreement-create",
    ),
    path("programme/agreements/", views.agreement_list, name="agreement-list"),
    path("programme/agreements/<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("programme/agreements/<int:pk>/edit/", views.agreement_edit, name="agreement-edit"),
    path("programme/agreements/<int:pk>/delete/", views.agreement_delete, name="agreement-delete"),
    path("my-organisation/", views.my_organisation, name="my-organisation"),
]
