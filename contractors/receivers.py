"""Keep each dwelling's stored area (`DwellingArea`) current, in the transaction of the change.

Receivers rather than calls in each service, because a rule or a dwelling is written by the
admin (forms and inlines), by services, by imports and by tests' factories alike, and the
stored area must follow every one of them. Each receiver calls one set-based service.
Writes that bypass the model's signals — `QuerySet.update()` and `bulk_create()` of rules or
dwellings — must call `dwelling_areas_refresh` (or, for dwellings, send
`portal.signals.dwellings_changed`) themselves; `manage.py refresh_dwelling_areas` repairs
anything else.
"""

from django.db.models import Q
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from portal.models import Dwelling
from portal.signals import dwellings_changed

from .models import PostcodeRule
from .services import dwelling_areas_refresh, postcode_rule_coverage

# Saving a dwelling with update_fields that name none of these keeps its area.
ADDRESS_FIELDS = {"postcode", "organisation", "organisation_id"}


@receiver(dwellings_changed, dispatch_uid="contractors_dwelling_areas_on_dwellings_changed")
def dwellings_changed_refresh_areas(sender, *, organisation_id, dwelling_ids=None, **kwargs):
    dwelling_areas_refresh(organisation_id=organisation_id, dwelling_ids=dwelling_ids)


@receiver(post_save, sender=Dwelling, dispatch_uid="contractors_dwelling_area_on_save")
def dwelling_saved_refresh_area(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and not ADDRESS_FIELDS & set(update_fields):
        return
    dwelling_areas_refresh(organisation_id=instance.organisation_id, dwelling_ids=[instance.pk])


def _coverage(rule: dict) -> tuple[int, Q]:
    return rule["organisation_id"], postcode_rule_coverage(
        postcode=rule["postcode"], range_start=rule["range_start"], range_end=rule["range_end"]
    )


RULE_FIELDS = ("organisation_id", "postcode", "range_start", "range_end")


@receiver(pre_save, sender=PostcodeRule, dispatch_uid="contractors_rule_remember_coverage")
def postcode_rule_remember_coverage(sender, instance, raw=False, **kwargs):
    """What the rule held before this save, so the dwellings it lets go are recomputed too."""
    instance._coverage_before = (
        PostcodeRule.objects.filter(pk=instance.pk).values(*RULE_FIELDS).first()
        if instance.pk and not raw
        else None
    )


@receiver(post_save, sender=PostcodeRule, dispatch_uid="contractors_dwelling_areas_on_rule_save")
def postcode_rule_saved_refresh_areas(sender, instance, **kwargs):
    rules = [{field: getattr(instance, field) for field in RULE_FIELDS}]
    before = getattr(instance, "_coverage_before", None)
    if before is not None and before != rules[0]:
        rules.append(before)
    instance._coverage_before = None
    _refresh(rules)


@receiver(
    post_delete, sender=PostcodeRule, dispatch_uid="contractors_dwelling_areas_on_rule_delete"
)
def postcode_rule_deleted_refresh_areas(sender, instance, **kwargs):
    _refresh([{field: getattr(instance, field) for field in RULE_FIELDS}])


def _refresh(rules: list[dict]) -> None:
    by_organisation: dict[int, Q] = {}
    for rule in rules:
        organisation_id, coverage = _coverage(rule)
        by_organisation[organisation_id] = by_organisation.get(organisation_id, Q()) | coverage
    for organisation_id, postcodes in sorted(by_organisation.items()):
        dwelling_areas_refresh(organisation_id=organisation_id, postcodes=postcodes)
