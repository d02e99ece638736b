"""The outbox's admin screen, registered here: the outbox is the bottom layer and knows
nothing of the associations' scoping, which lives in portal."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from outbox.models import OutboxMessage

from .scoping import OrganisationScopedAdmin


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    STATES = {
        "failed": Q(sent_at__isnull=True, attempts__gt=0),
        "pending": Q(sent_at__isnull=True),
        "sent": Q(sent_at__isnull=False),
    }

    def lookups(self, request, model_admin):
        return [
            ("failed", _("failed, to be tried again")),
            ("pending", _("not sent yet")),
            ("sent", _("sent")),
        ]

    def queryset(self, request, queryset):
        if self.value() in self.STATES:
            return queryset.filter(self.STATES[self.value()])
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(OrganisationScopedAdmin):
    """Read only: what went out, what waits, and why a message failed. The payload (a link
    with a token, say) is not shown."""

    list_display = ["key", "kind", "organisation", "attempts", "due_at", "sent_at", "last_error"]
    list_filter = [StateFilter, "kind"]
    list_select_related = ["organisation"]
    search_fields = ["key"]
    date_hierarchy = None
    fields = [
        "key",
        "kind",
        "handler",
        "organisation",
        "created_at",
        "due_at",
        "attempts",
        "last_error",
        "sent_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
