"""Queued rows name their handler by its registered name, no longer by its dotted path: a
handler can then move between modules without stranding the rows queued before the move."""

from django.db import migrations

# Every dotted path a handler was stored under -> its registered name. The first paths are
# those of before the repairs services became a package (rows queued then could not be sent
# since).
NAMES = {
    "repairs.services.repair_request_alert_unrouted": "repairs.unrouted_alert",
    "repairs.planning.emergency_alert_send": "repairs.emergency_alert",
    "outbox.handlers.mail_deliver": "mail.deliver",
    "repairs.services.alerts.repair_request_alert_unrouted": "repairs.unrouted_alert",
    "repairs.services.alerts.emergency_alert_send": "repairs.emergency_alert",
    "repairs.notifications.appointment_confirmation_send": "repairs.appointment_confirmation",
    "repairs.notifications.appointment_reminder_send": "repairs.appointment_reminder",
    "repairs.notifications.contractor_notify": "repairs.contractor_notification",
    "surveys.services.follow_up_alert_send": "surveys.follow_up_alert",
}
# Back: the dotted path of each name in the code just before this migration (the current
# paths come last in NAMES, so they win).
PATHS = {name: path for path, name in NAMES.items()}


def rename(apps, mapping: dict[str, str]) -> None:
    message = apps.get_model("outbox", "OutboxMessage")
    for old, new in mapping.items():
        message.objects.filter(handler=old).update(handler=new)


def to_names(apps, schema_editor) -> None:
    rename(apps, NAMES)


def to_paths(apps, schema_editor) -> None:
    rename(apps, PATHS)


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(to_names, to_paths),
    ]
