"""The staff role: one group whose permissions every association's staff share.

What staff may do is this group; which rows they may do it to is their organisation,
enforced by the scoped admin and selectors.
"""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

STAFF_GROUP_NAME = "Corporatiemedewerkers"

# app_label -> model -> actions
STAFF_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "portal": {
        "organisation": ("view", "change"),
        "staffmembership": ("view",),
        "dwelling": ("view", "add", "change", "delete"),
        "tenancy": ("view", "add", "change", "delete"),
        "collectiveobject": ("view", "add", "change", "delete"),
        "neighbourhood": ("view", "add", "change", "delete"),
        "importjob": ("view", "add"),
    },
    "contractors": {
        "contractor": ("view",),
        "area": ("view", "add", "change", "delete"),
        "postcoderule": ("view", "add", "change", "delete"),
        "contract": ("view", "add", "change", "delete"),
        "contracttypefee": ("view", "add", "change", "delete"),
        "weeklyschedule": ("view",),
        "feestatement": ("view", "add"),
        "feestatementline": ("view",),
        "sroicontribution": ("view", "add", "change", "delete"),
        "slot": ("view",),
    },
    "repairs": {
        "repaircategory": ("view", "add", "change", "delete"),
        "repairrequest": ("view", "change"),
        "unroutedrequest": ("view", "change"),
        "repairevent": ("view",),
        "appointment": ("view",),
        "photo": ("view",),
        "materialreuse": ("view",),
    },
    "surveys": {
        "surveyinvitation": ("view",),
        "surveyresponse": ("view",),
        "followup": ("view", "change"),
        "kpidashboard": ("view",),
        "contractscorecard": ("view",),
    },
    # Planned maintenance and renovation: made, their tenants invited, closed; never deleted.
    "projects": {
        "project": ("view", "add", "change"),
        "projectdwelling": ("view",),
        "projectslot": ("view",),
    },
    "outbox": {
        "outboxmessage": ("view",),
    },
    # Their systems' webhook endpoints: made and switched off, never deleted; the delivery
    # log read, and a delivery sent again ("change").
    "webhooks": {
        "webhookendpoint": ("view", "add", "change"),
        "webhookdelivery": ("view", "change"),
    },
    # Their ERP's clients of the machine interface: made and revoked, never deleted.
    "api": {
        "apiclient": ("view", "add", "change"),
    },
}


def staff_group_sync() -> Group:
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP_NAME)
    wanted = Q(pk__in=[])
    for app_label, models in STAFF_PERMISSIONS.items():
        for model, actions in models.items():
            wanted |= Q(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
    group.permissions.set(Permission.objects.filter(wanted))
    return group
