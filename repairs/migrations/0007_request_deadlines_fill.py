"""Deadlines for the requests open when norm times arrived.

Only open, routed requests get one: about 1 % of the rows at the reference size (10k of 1M
on the benchmark), read by status (request_status_created) and written back 1000 at a time.
Working days need the Dutch public holidays of the `holidays` package, which SQL does not
know, so the dates are computed here in Python (repairs.norms' calendar) rather than in one
UPDATE. Closed requests keep none: they were not worked against these norms, so the KPI
"within norm" counts only requests that had a deadline. Requests already past their
deadline now are marked as escalated, so the first sweep does not mail every planner and
staff member about the old backlog; they do show in the planner's list "Past the deadline".
"""

from django.db import migrations
from django.utils import timezone

from repairs.norms import deadlines_for

OPEN = ["submitted", "routed", "unrouted", "scheduled", "follow_up"]
BATCH = 1000


def fill(apps, schema_editor):
    RepairRequest = apps.get_model("repairs", "RepairRequest")
    Contract = apps.get_model("contractors", "Contract")
    now = timezone.now()
    contracts = {}
    open_requests = RepairRequest.objects.filter(
        status__in=OPEN, contract__isnull=False, complete_due_at__isnull=True
    )
    ids = sorted(open_requests.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        batch = list(
            RepairRequest.objects.filter(pk__in=ids[start : start + BATCH]).only(
                "pk", "created_at", "is_urgent", "contract_id"
            )
        )
        for repair_request in batch:
            contract = contracts.get(repair_request.contract_id)
            if contract is None:
                contract = contracts[repair_request.contract_id] = Contract.objects.get(
                    pk=repair_request.contract_id
                )
            due = deadlines_for(
                reported_at=repair_request.created_at,
                is_urgent=repair_request.is_urgent,
                contract=contract,
            )
            repair_request.visit_due_at = due.visit_due_at
            repair_request.complete_due_at = due.complete_due_at
            if due.complete_due_at <= now:
                repair_request.escalated_to_planner_at = now
                repair_request.escalated_to_staff_at = now
        RepairRequest.objects.bulk_update(
            batch,
            [
                "visit_due_at",
                "complete_due_at",
                "escalated_to_planner_at",
                "escalated_to_staff_at",
            ],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contractors", "0007_contract_norm_times"),
        ("repairs", "0006_request_deadlines"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop, elidable=True)]
