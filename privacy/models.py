from django.utils.translation import gettext_lazy as _

from portal.models import Tenancy


class TenantData(Tenancy):
    """The admin's screen for a tenant's data on request: export and early erasure.

    A proxy of the tenancy, so it is scoped as tenancies are and needs no table."""

    class Meta:
        proxy = True
        verbose_name = _("tenant's data (AVG)")
        verbose_name_plural = _("tenants' data (AVG)")
