"""API permissions by role."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from allyance.core.models import Role


class AdminWritesOnly(BasePermission):
    """Anyone who can see the rows may read them; only administrators change them."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or user.is_admin


class PartnerAdminManagesOwnUsers(AdminWritesOnly):
    """Administrators manage every user; a partner admin manages the partner's own users.

    Which users and roles a partner admin may touch is checked by `services_admin.user_save`.
    """

    def has_permission(self, request, view) -> bool:
        user = request.user
        if user and user.is_authenticated and user.role == Role.PARTNER_ADMIN:
            return True
        return super().has_permission(request, view)
