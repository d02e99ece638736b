"""Scoped reads of the base app."""

from .models import StaffMembership, User


def staff_organisation_ids(user: User) -> list[int] | None:
    """The organisations whose rows this user may see in the admin; None means all (superuser).

    Cached on the user object so one request asks the database once.
    """
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    cached = getattr(user, "_staff_organisation_ids", None)
    if cached is None:
        cached = list(
            StaffMembership.objects.filter(user=user).values_list("organisation_id", flat=True)
        )
        user._staff_organisation_ids = cached
    return cached


def staff_emails(*, organisation_id: int) -> list[str]:
    return list(
        User.objects.filter(
            staff_memberships__organisation_id=organisation_id, is_active=True, is_staff=True
        )
        .order_by("email")
        .values_list("email", flat=True)
    )
