"""List cells: choice labels in the reader's language, the model's own display methods kept."""

from django.utils import translation

from allyance.core.templatetags.record_tags import cell
from allyance.sales.models import Lead
from tests.factories import LeadFactory


def test_a_choice_shows_its_label_in_the_active_language(db):
    lead = LeadFactory(status=Lead.Status.QUALIFIED, source="")

    with translation.override("zh-hans"):
        chinese = cell(lead, "status")
    with translation.override("zh-hant"):
        traditional = cell(lead, "status")
        expected_traditional = lead.get_status_display()

    assert cell(lead, "status") == "Qualified"
    assert chinese == "合格"
    assert traditional == expected_traditional != "Qualified"
    assert cell(lead, "source") == ""


def test_a_value_outside_the_choices_is_shown_as_it_is(db):
    lead = LeadFactory()
    lead.status = "imported-legacy"

    assert cell(lead, "status") == "imported-legacy" == lead.get_status_display()


def test_a_display_method_of_the_model_itself_is_used():
    class Row(Lead):
        class Meta:
            proxy = True
            app_label = "sales"

        def get_status_display(self) -> str:
            return "custom"

    assert cell(Row(status=Lead.Status.NEW), "status") == "custom"
