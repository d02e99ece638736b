from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0004_list_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                condition=models.Q(("status", "planned")),
                fields=["contractor", "starts_at", "id"],
                name="appointment_contractor_planned",
            ),
        ),
    ]
