"""Scoped reads of the chain contracts."""

from portal.models import User

from .models import Contractor, ContractorRole


def contractor_emails(*, contractor_id: int) -> list[str]:
    """Where a contractor's work mail goes: its own address and its planners'."""
    contractor = Contractor.objects.filter(pk=contractor_id).values_list("email", flat=True).first()
    planners = User.objects.filter(
        contractor_membership__contractor_id=contractor_id,
        contractor_membership__role=ContractorRole.PLANNER,
        is_active=True,
    ).values_list("email", flat=True)
    return sorted({email for email in [contractor, *planners] if email})
