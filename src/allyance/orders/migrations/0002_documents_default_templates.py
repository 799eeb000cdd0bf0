"""The shipped proposal, quote, sales contract and invoice templates in each language."""

from django.db import migrations


def create_default_templates(apps, schema_editor):
    from allyance.orders.services.documents import ensure_default_templates

    ensure_default_templates(model=apps.get_model("orders", "DocumentTemplate"))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_default_templates, migrations.RunPython.noop),
    ]
