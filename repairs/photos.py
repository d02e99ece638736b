"""Photos from tenants and craftsmen: checked, re-encoded and stripped before they are stored.

An upload is decoded with a pixel cap (so a decompression bomb is refused, not expanded),
turned upright, and saved anew as JPEG without any EXIF or location data.
"""

import io
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTOS = 5
MAX_BYTES = 10 * 1024 * 1024
# 40 megapixels: more than any phone camera, far less than a bomb expands to.
MAX_PIXELS = 40_000_000
MAX_SIDE = 2048
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class CleanPhoto:
    content: ContentFile
    width: int
    height: int


def photo_clean(upload: UploadedFile) -> CleanPhoto:
    """Return the photo re-encoded as JPEG, or raise ValidationError saying what is wrong."""
    name = upload.name or _("this file")
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(
            _("%(name)s is %(size)s; a photo may be at most 10 MB.")
            % {"name": name, "size": filesizeformat(upload.size)},
            code="too_large",
        )
    upload.seek(0)
    try:
        with Image.open(upload) as probe:
            image_format = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _("%(name)s has too many pixels to be a photo. Send a smaller picture.")
                    % {"name": name},
                    code="too_many_pixels",
                )
            if image_format not in ALLOWED_FORMATS:
                raise ValidationError(
                    _("%(name)s is not a JPEG, PNG or WebP photo.") % {"name": name},
                    code="format",
                )
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as error:
        if isinstance(error, Image.DecompressionBombError):
            message = _("%(name)s has too many pixels to be a photo. Send a smaller picture.")
        else:
            message = _("%(name)s is not a photo we can open. Send a JPEG, PNG or WebP photo.")
        raise ValidationError(message % {"name": name}, code="invalid") from error
    finally:
        upload.seek(0)

    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    # Pillow writes a JPEG comment from `info` when saving (a JPEG's COM marker, a PNG's
    # "comment" text), so the original's metadata is dropped before the fresh save; this also
    # keeps an over-long comment from failing the save.
    image.info = {}
    buffer = io.BytesIO()
    # A fresh save carries no EXIF, GPS or other metadata of the original.
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return CleanPhoto(
        content=ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.jpg"),
        width=image.width,
        height=image.height,
    )


def photos_clean(uploads: list[UploadedFile]) -> list[CleanPhoto]:
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(
            _("You can add at most %(max)d photos; you chose %(count)d.")
            % {"max": MAX_PHOTOS, "count": len(uploads)},
            code="too_many",
        )
    errors, cleaned = [], []
    for upload in uploads:
        try:
            cleaned.append(photo_clean(upload))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned
