"""The tenant's mails of a project: the invitation with the letter, and one reminder to those
who have not answered. Each is queued in the outbox by the service that causes it and sent
here once (a mail key), in the tenant's language."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from outbox.handlers import outbox_handler
from outbox.services import outbox_add
from portal.mail import mail_send_once

from .models import DwellingStatus, ProjectDwelling


def tenant_address(row: ProjectDwelling) -> tuple[str | None, str]:
    """The e-mail address and language of the row's tenant: their account's, else the one
    the association has on file; (None, …) when there is none."""
    tenancy = row.tenancy
    if tenancy is None:
        return None, settings.LANGUAGE_CODE
    tenant = tenancy.tenant
    if tenant is not None and tenant.email:
        return tenant.email, tenant.language or settings.LANGUAGE_CODE
    return (tenancy.email or None), settings.LANGUAGE_CODE


def mail_key(row_id: int, *, reminder: bool) -> str:
    return f"project-{'reminder' if reminder else 'invitation'}-{row_id}"


def project_mail_queue(row: ProjectDwelling, *, reminder: bool, send_after_commit: bool = True):
    """Queue the invitation (or the reminder) of one dwelling in the caller's transaction."""
    return outbox_add(
        key=mail_key(row.pk, reminder=reminder),
        handler=project_mail_send,
        payload={"row_id": row.pk, "reminder": reminder},
        organisation_id=row.organisation_id,
        send_after_commit=send_after_commit,
    )


@outbox_handler("projects.tenant_mail")
def project_mail_send(*, row_id: int, reminder: bool) -> bool:
    row = (
        ProjectDwelling.objects.select_related(
            "project__organisation", "project__contractor", "dwelling", "tenancy__tenant"
        )
        .filter(pk=row_id)
        .first()
    )
    if row is None or row.project.closed_at is not None:
        return False
    # A reminder queued before the tenant answered is not sent any more.
    if reminder and (row.status != DwellingStatus.INVITED or row.responded_at is not None):
        return False
    email, language = tenant_address(row)
    if email is None:
        return False
    project = row.project
    with translation.override(language):
        context = {
            "row": row,
            "project": project,
            "organisation": project.organisation,
            "link": settings.SITE_URL + reverse("project_page", args=[project.pk]),
            "period": _("%(start)s to %(end)s")
            % {
                "start": formats.date_format(project.starts_on, "j F Y"),
                "end": formats.date_format(project.ends_on, "j F Y"),
            },
            "reminder": reminder,
        }
        subject = (
            _("Reminder: choose a time for %(project)s")
            if reminder
            else _("%(project)s: choose a time for the visit")
        ) % {"project": project.name}
        body = render_to_string("projects/mail/invitation.txt", context)
    return mail_send_once(
        key=mail_key(row.pk, reminder=reminder),
        build=lambda: EmailMessage(
            subject=subject,
            body=body,
            from_email=project.organisation.mail_from or None,
            to=[email],
        ),
    )
