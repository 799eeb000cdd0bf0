"""Web pages of the sales app; each part adds its own paths."""

from django.urls import path  # noqa: F401

app_name = "sales"

urlpatterns: list = []

from allyance.sales.views import expenses as expense_views  # noqa: E402

urlpatterns += [
    path("expenses/", expense_views.expense_list, name="expense-list"),
    path("expenses/new/", expense_views.expense_create, name="expense-create"),
    path("expenses/<int:pk>/", expense_views.expense_detail, name="expense-detail"),
    path("expenses/<int:pk>/edit/", expense_views.expense_edit, name="expense-edit"),
    path(
        "expenses/<int:pk>/decision/",
        expense_views.expense_transition,
        name="expense-transition",
    ),
]
