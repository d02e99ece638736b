from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("repairs", "0013_dwelling_open_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="repairrequest",
            index=models.Index(
                models.F("contractor"),
                models.OrderBy(
                    models.ExpressionWrapper(
                        models.Q(
                            (
                                "status__in",
                                ["follow_up", "routed", "scheduled", "submitted", "unrouted"],
                            )
                        ),
                        output_field=models.BooleanField(),
                    ),
                    descending=True,
                ),
                models.OrderBy(models.F("created_at"), descending=True),
                models.OrderBy(models.F("id"), descending=True),
                models.F("status"),
                condition=models.Q(
                    ("status__in", ("routed", "scheduled", "follow_up", "completed", "cancelled"))
                ),
                name="request_contractor_orders",
            ),
        ),
    ]
