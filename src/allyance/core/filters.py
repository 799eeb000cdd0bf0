"""The base of every list filter: choices and accepted ids limited to what the user may see."""

from __future__ import annotations

import django_filters

from allyance.core.forms import scope_choice_fields


class GatedFilterSet(django_filters.FilterSet):
    """A FilterSet whose related-record choices go through the visibility gate.

    An id the user may not see is refused exactly like an id that does not exist,
    so a filter can neither list another partner's records nor confirm their ids.
    """

    @property
    def form(self):
        form = super().form
        if not getattr(self, "_choices_scoped", False) and self.request is not None:
            scope_choice_fields(form.fields.values(), self.request.user)
            self._choices_scoped = True
        return form
