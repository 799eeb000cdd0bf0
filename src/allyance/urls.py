"""URL map: the web UI, the REST API under /api/v1/, its schema and docs."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from allyance.activities.api import ActivityViewSet
from allyance.catalog.api.configurator import ConfiguratorViewSet
from allyance.catalog.api.pricing import PriceListItemViewSet, PriceListViewSet
from allyance.catalog.api.products import (
    ConfigurationRuleViewSet,
    ProductFamilyViewSet,
    ProductOptionViewSet,
    ProductViewSet,
    TaxClassViewSet,
)
from allyance.core import api_views as core_api
from allyance.core import views as core_views
from allyance.core.api_attachments import AttachmentViewSet
from allyance.core.api_audit import AuditEntryViewSet
from allyance.core.api_custom_fields import CustomFieldViewSet
from allyance.core.api_notifications import NotificationViewSet
from allyance.customers.api import AccountViewSet, ContactViewSet
from allyance.orders.api.billing import InvoiceViewSet, PaymentViewSet, ReceivablesAgeingViewSet
from allyance.orders.api.documents import DocumentTemplateViewSet, GeneratedDocumentViewSet
from allyance.orders.api.fulfilment import OrderLineViewSet, OrderViewSet, ShipmentViewSet
from allyance.orders.api.quotes import QuoteLineViewSet, QuoteViewSet
from allyance.partners.api import register as register_partner_api
from allyance.sales.api.commissions import CommissionPlanViewSet, CommissionStatementViewSet
from allyance.sales.api.expenses import ExpenseViewSet
from allyance.sales.api.leads import LeadEventViewSet, LeadViewSet, ScoringRuleViewSet
from allyance.sales.api.opportunities import OpportunityContactViewSet, OpportunityViewSet
from allyance.sales.api.pipelines import PipelineViewSet, StageViewSet
from allyance.sales.api.reports import ForecastViewSet, FunnelViewSet, WinRateViewSet
from allyance.sales.api.routing import (
    AssignmentRuleViewSet,
    LeadAssignmentViewSet,
    LeadRoutingViewSet,
)
from allyance.sales.api.targets import TargetViewSet
from allyance.service.api import ROUTES as SERVICE_ROUTES

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register("contacts", ContactViewSet, basename="contact")
router.register("activities", ActivityViewSet, basename="activity")
router.register("organisations", core_api.OrganisationViewSet, basename="organisation")
router.register("users", core_api.UserViewSet, basename="user")
router.register("teams", core_api.TeamViewSet, basename="team")
router.register("territories", core_api.TerritoryViewSet, basename="territory")
router.register("tokens", core_api.TokenViewSet, basename="token")
router.register("attachments", AttachmentViewSet, basename="attachment")
router.register("custom-fields", CustomFieldViewSet, basename="custom-field")
router.register("audit", AuditEntryViewSet, basename="audit")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("expenses", ExpenseViewSet, basename="expense")
router.register("commission-plans", CommissionPlanViewSet, basename="commission-plan")
router.register(
    "commission-statements", CommissionStatementViewSet, basename="commission-statement"
)
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("opportunity-contacts", OpportunityContactViewSet, basename="opportunity-contact")
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("pipeline-stages", StageViewSet, basename="pipeline-stage")
router.register("leads", LeadViewSet, basename="lead")
router.register("lead-events", LeadEventViewSet, basename="lead-event")
router.register("scoring-rules", ScoringRuleViewSet, basename="scoring-rule")
router.register("targets", TargetViewSet, basename="target")
router.register("reports/forecast", ForecastViewSet, basename="report-forecast")
router.register("reports/funnel", FunnelViewSet, basename="report-funnel")
router.register("reports/win-rate", WinRateViewSet, basename="report-win-rate")
router.register("assignment-rules", AssignmentRuleViewSet, basename="assignment-rule")
router.register("lead-routing", LeadRoutingViewSet, basename="lead-routing")
router.register("lead-assignments", LeadAssignmentViewSet, basename="lead-assignment")
router.register("price-lists", PriceListViewSet, basename="price-list")
router.register("price-list-items", PriceListItemViewSet, basename="price-list-item")
router.register("configurator", ConfiguratorViewSet, basename="configurator")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("quote-lines", QuoteLineViewSet, basename="quote-line")
router.register("products", ProductViewSet, basename="product")
router.register("product-families", ProductFamilyViewSet, basename="product-family")
router.register("tax-classes", TaxClassViewSet, basename="tax-class")
router.register("product-options", ProductOptionViewSet, basename="product-option")
router.register("configuration-rules", ConfigurationRuleViewSet, basename="configuration-rule")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")
router.register(
    "reports/receivables-ageing", ReceivablesAgeingViewSet, basename="report-receivables-ageing"
)
router.register("orders", OrderViewSet, basename="order")
router.register("order-lines", OrderLineViewSet, basename="order-line")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("document-templates", DocumentTemplateViewSet, basename="document-template")
router.register("documents", GeneratedDocumentViewSet, basename="document")
register_partner_api(router)
for prefix, viewset, basename in SERVICE_ROUTES:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("language/", core_views.set_language, name="set-language"),
    path("", include("allyance.core.urls")),
    path("", include("allyance.customers.urls")),
    path("", include("allyance.activities.urls")),
    path("", include("allyance.sales.urls")),
    path("", include("allyance.catalog.urls")),
    path("", include("allyance.orders.urls")),
    path("", include("allyance.partners.urls")),
    path("", include("allyance.service.urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "allyance.core.views.not_found"
handler403 = "allyance.core.views.forbidden"
