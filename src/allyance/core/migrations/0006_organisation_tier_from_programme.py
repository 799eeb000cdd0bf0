"""An organisation's tier becomes a programme tier (partners.Tier) with its own policy.

The tier names typed so far become tiers of the same name, so no partner loses its tier.
"""

import django.db.models.deletion
from django.db import migrations, models


def tier_names_to_tiers(apps, schema_editor):
    Organisation = apps.get_model("core", "Organisation")
    Tier = apps.get_model("partners", "Tier")
    for organisation in Organisation.objects.exclude(tier="").only("id", "tier"):
        tier, _created = Tier.objects.get_or_create(name=organisation.tier.strip()[:60])
        Organisation.objects.filter(pk=organisation.pk).update(tier_ref=tier)


def tiers_to_tier_names(apps, schema_editor):
    Organisation = apps.get_model("core", "Organisation")
    for organisation in Organisation.objects.filter(tier_ref__isnull=False).select_related(
        "tier_ref"
    ):
        Organisation.objects.filter(pk=organisation.pk).update(tier=organisation.tier_ref.name)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_organisation_shares_with_parent"),
        ("partners", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="tier_ref",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="organisations",
                to="partners.tier",
                verbose_name="tier",
            ),
        ),
        migrations.RunPython(tier_names_to_tiers, tiers_to_tier_names),
        migrations.RemoveField(model_name="organisation", name="tier"),
        migrations.RenameField(model_name="organisation", old_name="tier_ref", new_name="tier"),
    ]
