"""What the API shows of a record passed from one holder to the next (lead offers, order hops)."""

from __future__ import annotations


class HidesPreviousOwnerMixin:
    """A partner reading a hop sees who had the record before only when that was its own
    organisation; staff always see it. `from_organisation_field` names the handing side."""

    from_organisation_field = "previous_organisation_id"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if (
            request is not None
            and not request.user.is_internal
            and getattr(instance, self.from_organisation_field) != request.user.organisation_id
        ):
            data["previous_owner"] = None
        return data
