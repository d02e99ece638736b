"""Contributions recorded before neighbourhoods were a list: each distinct text of an
association becomes a neighbourhood of its list (without a CBS code, which staff may add),
and the contribution points at it. The text stays as written."""

from django.db import migrations


def link_neighbourhoods(apps, schema_editor):
    SroiContribution = apps.get_model("contractors", "SroiContribution")
    Neighbourhood = apps.get_model("portal", "Neighbourhood")
    pairs = (
        SroiContribution.objects.filter(buurt__isnull=True)
        .exclude(neighbourhood="")
        .values_list("organisation_id", "neighbourhood")
        .distinct()
        .order_by("organisation_id", "neighbourhood")
    )
    for organisation_id, text in pairs:
        name = text.strip()[:120] or text
        neighbourhood, _created = Neighbourhood.objects.get_or_create(
            organisation_id=organisation_id, name=name
        )
        SroiContribution.objects.filter(
            organisation_id=organisation_id, neighbourhood=text, buurt__isnull=True
        ).update(buurt=neighbourhood)


class Migration(migrations.Migration):
    dependencies = [
        ("contractors", "0009_scorecard_targets_and_neighbourhoods"),
        ("portal", "0010_neighbourhoods"),
    ]

    operations = [migrations.RunPython(link_neighbourhoods, migrations.RunPython.noop)]
