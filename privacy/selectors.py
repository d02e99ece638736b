"""Reads of the tenant's own data: whose tenancies an export covers, and the export itself.

An export is a ZIP written to a temporary file (photos are copied in piece by piece), so
memory stays bounded whatever the photos weigh. It asks the same few queries for one
request or fifty.
"""

import json
import shutil
import tempfile
import zipfile
from pathlib import PurePosixPath
from typing import IO

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from portal.models import Tenancy, User
from portal.selectors import staff_organisation_ids
from repairs.models import Appointment, Photo, RepairRequest

EXPORT_JSON = "data.json"


def export_tenancies_for_tenant(*, user: User) -> QuerySet[Tenancy]:
    """A tenant's export: every tenancy their account holds, at any association."""
    return Tenancy.objects.filter(tenant=user)


def tenancy_get_for_staff(*, user: User, pk: int) -> Tenancy:
    """A tenancy of the staff user's association; 404 for any other (or a missing one)."""
    tenancies = Tenancy.objects.select_related("tenant", "dwelling", "organisation")
    organisation_ids = staff_organisation_ids(user)
    if organisation_ids is not None:
        tenancies = tenancies.filter(organisation_id__in=organisation_ids)
    tenancy = tenancies.filter(pk=pk).first()
    if tenancy is None:
        raise Http404
    return tenancy


def export_tenancies_for_staff(*, tenancy: Tenancy) -> QuerySet[Tenancy]:
    """Staff's export on a tenant's request: the tenant's tenancies at this association
    only (never another association's), or this tenancy alone if no account claimed it."""
    tenancies = Tenancy.objects.filter(organisation_id=tenancy.organisation_id)
    if tenancy.tenant_id is None:
        return tenancies.filter(pk=tenancy.pk)
    return tenancies.filter(tenant_id=tenancy.tenant_id)


def _when(value):
    return timezone.localtime(value).isoformat() if value else None


def _photo_name(photo: Photo, reference: str) -> str:
    suffix = PurePosixPath(photo.image.name).suffix or ".jpg"
    return f"photos/{reference}/{photo.pk}{suffix}"


def export_data(*, tenancies: QuerySet[Tenancy], account: User | None) -> tuple[dict, list]:
    """The JSON document of an export and the photos to put beside it (name, Photo)."""
    tenancy_rows = list(
        tenancies.select_related("dwelling", "organisation").order_by("start_date", "pk")
    )
    tenancy_ids = [tenancy.pk for tenancy in tenancy_rows]
    contracts = {tenancy.pk: tenancy.contract_number for tenancy in tenancy_rows}
    requests = list(
        RepairRequest.objects.filter(tenancy_id__in=tenancy_ids)
        .select_related("category", "survey_invitation__response")
        .order_by("created_at", "pk")
    )
    references = {request.pk: request.reference for request in requests}
    appointments = list(
        Appointment.objects.filter(request_id__in=references)
        .select_related("contractor")
        .order_by("starts_at", "pk")
    )
    photos = list(Photo.objects.filter(request_id__in=references).order_by("created_at", "pk"))
    photo_files = [(_photo_name(photo, references[photo.request_id]), photo) for photo in photos]

    survey_answers = []
    for request in requests:
        invitation = getattr(request, "survey_invitation", None)
        response = getattr(invitation, "response", None) if invitation else None
        if response is None:
            continue
        survey_answers.append(
            {
                "request": request.reference,
                "answered_at": _when(response.answered_at),
                "overall_grade": response.overall_grade,
                "fixed_first_time": response.fixed_first_time,
                "on_time": response.on_time,
                "craftsman_grade": response.craftsman_grade,
                "comment": response.comment,
                "may_contact": response.may_contact,
                "sent_to": invitation.email,
            }
        )
    document = {
        "exported_at": _when(timezone.now()),
        "account": None
        if account is None
        else {
            "email": account.email,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "phone": account.phone,
            "language": account.language,
            "created_at": _when(account.date_joined),
            "last_login": _when(account.last_login),
        },
        "tenancies": [
            {
                "contract_number": tenancy.contract_number,
                "housing_association": tenancy.organisation.name,
                "address": tenancy.dwelling.address_line,
                "postcode": tenancy.dwelling.postcode,
                "city": tenancy.dwelling.city,
                "start_date": tenancy.start_date,
                "end_date": tenancy.end_date,
                "email_on_file": tenancy.email,
                "claimed_at": _when(tenancy.claimed_at),
                "claimed_from_ip": tenancy.claimed_from_ip,
            }
            for tenancy in tenancy_rows
        ],
        "repair_requests": [
            {
                "reference": request.reference,
                "tenancy": contracts.get(request.tenancy_id),
                "category": request.category.name,
                "status": request.status,
                "reported_at": _when(request.created_at),
                "channel": request.channel,
                "emergency": request.is_urgent,
                "description": request.description,
                "access_notes": request.access_notes,
                "contact_phone": request.contact_phone,
                "caller_name": request.caller_name,
                "cancel_reason": request.cancel_reason,
                "completed_at": _when(request.completed_at),
            }
            for request in requests
        ],
        "appointments": [
            {
                "request": references[appointment.request_id],
                "contractor": appointment.contractor.name,
                "starts_at": _when(appointment.starts_at),
                "ends_at": _when(appointment.ends_at),
                "status": appointment.status,
                "outcome": appointment.outcome,
                "notes": appointment.outcome_notes,
            }
            for appointment in appointments
        ],
        "survey_answers": survey_answers,
        "photos": [
            {
                "request": references[photo.request_id],
                "file": name,
                "added_at": _when(photo.created_at),
            }
            for name, photo in photo_files
        ],
    }
    return document, photo_files


def export_zip(*, tenancies: QuerySet[Tenancy], account: User | None) -> IO[bytes]:
    """The export as a ZIP in a temporary file, at its start (deleted when closed)."""
    document, photo_files = export_data(tenancies=tenancies, account=account)
    # Handed to the response, which closes (and so deletes) it once sent.
    archive = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(
            EXPORT_JSON,
            json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        )
        for name, photo in photo_files:
            try:
                source = photo.image.open("rb")
            except FileNotFoundError:
                continue
            # Photos are already compressed (JPEG): stored as they are.
            with source, zipped.open(name, "w") as target:
                shutil.copyfileobj(source, target, length=1024 * 1024)
    archive.seek(0)
    return archive
