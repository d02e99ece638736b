"""Who sees which project, and the reads of its pages. Outside the reader's scope a project
answers 404, the same as a missing one: a tenant sees the projects that include a dwelling
they rent today, a contractor user its own contractor's, staff their associations'."""

import datetime

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from contractors.models import ContractorMembership
from portal.models import Tenancy, User
from repairs.models import Appointment, AppointmentStatus

from .models import DwellingStatus, Project, ProjectDwelling, ProjectSlot


def _current_dwelling_ids(user: User) -> QuerySet:
    today = timezone.localdate()
    return (
        Tenancy.objects.filter(tenant=user, start_date__lte=today)
        .exclude(end_date__lt=today)
        .values("dwelling_id")
    )


def project_rows_for_tenant(*, user: User) -> QuerySet[ProjectDwelling]:
    """The project rows of the dwellings the user rents today, of projects that invited them."""
    return (
        ProjectDwelling.objects.filter(
            dwelling_id__in=_current_dwelling_ids(user), invited_at__isnull=False
        )
        .select_related("project", "dwelling")
        .order_by("-project__starts_on", "pk")
    )


def project_rows_open_for_tenant(*, user: User) -> QuerySet[ProjectDwelling]:
    """The rows still waiting for the tenant's choice: what the repairs page points to."""
    return project_rows_for_tenant(user=user).filter(
        status=DwellingStatus.INVITED,
        project__closed_at__isnull=True,
        project__ends_on__gte=timezone.localdate(),
    )


def project_row_get_for_tenant(*, user: User, project_id: int) -> ProjectDwelling:
    row = (
        project_rows_for_tenant(user=user)
        .filter(project_id=project_id)
        .select_related(
            "project__organisation",
            "project__contractor",
            "request",
            "tenancy",
        )
        .prefetch_related(
            Prefetch(
                "request__appointments",
                queryset=Appointment.objects.filter(
                    status=AppointmentStatus.PLANNED
                ).select_related("slot__daypart"),
                to_attr="planned_visits",
            )
        )
        .first()
    )
    if row is None:
        raise Http404
    return row


def reservations_bookable(*, project: Project) -> QuerySet[ProjectSlot]:
    """The project's reserved dayparts with a place left, from tomorrow on, in time order."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    return (
        ProjectSlot.objects.filter(project=project, slot__date__gte=tomorrow)
        .filter(used__lt=F("reserved"))
        .select_related("slot__daypart")
        .order_by("slot__starts_at", "pk")
    )


def projects_for_contractor(*, membership: ContractorMembership) -> QuerySet[Project]:
    return (
        Project.objects.for_contractor(membership.contractor_id)
        .with_progress()
        .select_related("organisation")
        .order_by("-starts_on", "-pk")
    )


def project_get_for_contractor(*, membership: ContractorMembership, project_id: int) -> Project:
    project = projects_for_contractor(membership=membership).filter(pk=project_id).first()
    if project is None:
        raise Http404
    return project


def project_rows_for_progress(*, project: Project) -> QuerySet[ProjectDwelling]:
    """The project's dwellings with their tenant's answer and planned visit, for a list."""
    return (
        ProjectDwelling.objects.filter(project=project)
        .select_related("dwelling", "request")
        .prefetch_related(
            Prefetch(
                "request__appointments",
                queryset=Appointment.objects.filter(
                    status__in=[AppointmentStatus.PLANNED, AppointmentStatus.DONE]
                ).select_related("slot__daypart"),
                to_attr="visits",
            )
        )
        .order_by("dwelling__postcode", "dwelling__house_number", "pk")
    )
