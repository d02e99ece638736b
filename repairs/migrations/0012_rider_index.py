from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0011_maintenance_kind_shared_visit"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                condition=models.Q(("shared_visit__isnull", False)),
                fields=["created_at"],
                name="appointment_rider_created",
            ),
        ),
    ]
