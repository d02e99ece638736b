"""docs/privacy.md, the processing register, lists every field that looks personal: a new
one without an entry fails here, so the register never falls behind the models."""

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models

REGISTER = Path(settings.BASE_DIR) / "docs" / "privacy.md"
# A field is personal-looking when a word of its name is one of these, or its type holds an
# address, an internet address or a file.
WORDS = {
    "address",
    "comment",
    "description",
    "email",
    "image",
    "ip",
    "name",
    "note",
    "notes",
    "phone",
    "photo",
    "recipient",
}
TYPES = (models.EmailField, models.GenericIPAddressField, models.FileField)


def personal_looking_fields() -> list[str]:
    found = []
    for model in apps.get_models():
        app_path = Path(apps.get_app_config(model._meta.app_label).path).resolve()
        if app_path.parent != Path(settings.BASE_DIR).resolve() or model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if set(field.name.split("_")) & WORDS or isinstance(field, TYPES):
                found.append(f"{model._meta.label}.{field.name}")
    return found


def test_every_personal_looking_field_is_in_the_register():
    listed = set(re.findall(r"`([a-z_]+\.[A-Z][A-Za-z]+\.[a-z_]+)`", REGISTER.read_text()))
    fields = personal_looking_fields()

    assert "repairs.RepairRequest.contact_phone" in fields  # the scan finds the obvious ones
    assert sorted(set(fields) - listed) == []


def test_the_register_names_only_fields_that_exist():
    listed = set(re.findall(r"`([a-z_]+\.[A-Z][A-Za-z]+\.[a-z_]+)`", REGISTER.read_text()))
    existing = set()
    for model in apps.get_models():
        existing |= {f"{model._meta.label}.{field.name}" for field in model._meta.get_fields()}
    assert sorted(listed - existing) == []
