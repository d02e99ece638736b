"""Every write to repairs, one module per entity: requests (report, route, cancel, reject,
the staff's and contractor's actions), appointments (the one way a visit is created in a
slot, moving, planning, reminders), visits (outcome, photos, reuse), alerts (the staff's
mails) and escalation (requests past their deadline). Each transition is one call that
checks and records it (base).

The names below are the public ones; callers may import them from here. Reads (free slots,
what waits to be planned, craftsmen, unconfirmed emergencies) are in repairs.selectors."""

from portal.access import CHANGE_DEADLINE, change_allowed_until

from ..notifications import appointment_confirmation_queue, contractor_notification_queue
from .alerts import (
    emergency_alert_key,
    emergency_alert_send,
    emergency_alerts_queue,
    repair_request_alert_unrouted,
    unrouted_alert_key,
    unrouted_alert_queue,
)
from .appointments import (
    Origin,
    appointment_assign,
    appointment_book,
    appointment_change_check,
    appointment_create,
    appointment_event_data,
    appointment_plan,
    appointment_release,
    appointment_reminders_send,
    appointment_reschedule,
    craftsman_check,
    repair_requests_autoplan,
    slot_take,
)
from .base import (
    ChangeTooLate,
    NotReportable,
    ReasonRequired,
    SlotFull,
    SlotNotBookable,
    VisitNotRecordable,
    appointment_planned_lock,
    repair_event_record,
    repair_request_lock,
    repair_request_transition,
)
from .escalation import (
    escalation_key,
    late_planner_mail_send,
    late_requests_escalate,
    late_staff_mail_send,
    repair_request_escalate,
)
from .intake import repair_request_take
from .requests import (
    CategoryRequired,
    repair_request_assign_contract,
    repair_request_cancel,
    repair_request_confirm_emergency,
    repair_request_order_planned_work,
    repair_request_reject,
    repair_request_reopen,
    repair_request_report,
    repair_request_route,
    repair_request_submit,
)
from .visits import (
    FOLLOW_UP_REASONS,
    NO_ACCESS_REASON,
    photo_files_removed_on_failure,
    photos_store,
    reuse_record,
    visit_record,
)

__all__ = [
    "CHANGE_DEADLINE",
    "FOLLOW_UP_REASONS",
    "NO_ACCESS_REASON",
    "CategoryRequired",
    "ChangeTooLate",
    "NotReportable",
    "Origin",
    "ReasonRequired",
    "SlotFull",
    "SlotNotBookable",
    "VisitNotRecordable",
    "appointment_assign",
    "appointment_book",
    "appointment_change_check",
    "appointment_confirmation_queue",
    "appointment_create",
    "appointment_event_data",
    "appointment_plan",
    "appointment_planned_lock",
    "appointment_release",
    "appointment_reminders_send",
    "appointment_reschedule",
    "change_allowed_until",
    "contractor_notification_queue",
    "craftsman_check",
    "emergency_alert_key",
    "emergency_alert_send",
    "emergency_alerts_queue",
    "escalation_key",
    "late_planner_mail_send",
    "late_requests_escalate",
    "late_staff_mail_send",
    "photo_files_removed_on_failure",
    "photos_store",
    "repair_event_record",
    "repair_request_alert_unrouted",
    "repair_request_assign_contract",
    "repair_request_cancel",
    "repair_request_confirm_emergency",
    "repair_request_escalate",
    "repair_request_lock",
    "repair_request_order_planned_work",
    "repair_request_reject",
    "repair_request_reopen",
    "repair_request_report",
    "repair_request_route",
    "repair_request_submit",
    "repair_request_take",
    "repair_request_transition",
    "repair_requests_autoplan",
    "reuse_record",
    "slot_take",
    "unrouted_alert_key",
    "unrouted_alert_queue",
    "visit_record",
]
