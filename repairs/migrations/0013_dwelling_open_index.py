from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0012_rider_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="repairrequest",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["follow_up", "routed", "scheduled", "submitted", "unrouted"])
                ),
                fields=["dwelling"],
                name="request_dwelling_open",
            ),
        ),
    ]
