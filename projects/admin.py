"""Staff's project screens: the projects with their progress, each project's dwellings with
the tenants' answers, and the actions that add dwellings, keep capacity, invite and close."""

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.errors import ApplicationError
from portal.scoping import OrganisationScopedAdmin, ReadOnlyTabularInline

from . import services
from .models import Project, ProjectDwelling, ProjectScope, ProjectSlot


class ProjectForm(forms.ModelForm):
    dwelling_file = forms.FileField(
        label=_("List of dwellings (CSV)"),
        required=False,
        help_text=_(
            "For an uploaded list: one dwelling a row, its VHE number, or its postcode and "
            "house number (with a suffix as a third column). Added when saved."
        ),
    )

    class Meta:
        model = Project
        fields = [
            "organisation",
            "name",
            "kind",
            "contract",
            "category",
            "scope",
            "complex_code",
            "street",
            "postcode",
            "house_number_from",
            "house_number_to",
            "starts_on",
            "ends_on",
            "visit_minutes",
            "letter",
        ]

    def clean(self):
        data = super().clean()
        if (
            data.get("scope") == ProjectScope.LIST
            and not data.get("dwelling_file")
            and not (self.instance.pk and self.instance.dwellings.exists())
        ):
            self.add_error("dwelling_file", _("Upload the list of dwellings."))
        return data


class ProjectSlotInline(ReadOnlyTabularInline):
    model = ProjectSlot
    fields = ["slot", "reserved", "used"]
    readonly_fields = fields
    verbose_name_plural = _("capacity reserved for the project")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("slot__daypart")


@admin.register(Project)
class ProjectAdmin(OrganisationScopedAdmin):
    form = ProjectForm
    list_display = [
        "name",
        "contractor",
        "starts_on",
        "ends_on",
        "invited",
        "booked",
        "done",
        "objected",
        "no_answer",
    ]
    list_filter = ["kind"]
    search_fields = ["name"]
    list_select_related = ["contractor"]
    readonly_fields = ["contractor", "invited_at", "closed_at", "progress"]
    inlines = [ProjectSlotInline]
    actions = ["add_scope_dwellings", "reserve_capacity", "invite_tenants", "close_projects"]
    fieldsets = [
        (None, {"fields": ["organisation", "name", "kind", "contract", "contractor", "category"]}),
        (
            _("Dwellings"),
            {
                "fields": [
                    "scope",
                    "complex_code",
                    "street",
                    "postcode",
                    "house_number_from",
                    "house_number_to",
                    "dwelling_file",
                ]
            },
        ),
        (_("Period and visit"), {"fields": ["starts_on", "ends_on", "visit_minutes", "letter"]}),
        (_("Progress"), {"fields": ["progress", "invited_at", "closed_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_progress()

    def _dwellings_link(self, obj, count, status: str = "", answered: str = ""):
        url = reverse("admin:projects_projectdwelling_changelist") + f"?project__id__exact={obj.pk}"
        if status:
            url += f"&status__exact={status}"
        if answered:
            url += f"&responded_at__isempty={answered}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=_("invited"), ordering="invited_count")
    def invited(self, obj):
        return self._dwellings_link(obj, obj.invited_count)

    @admin.display(description=_("booked"), ordering="booked_count")
    def booked(self, obj):
        return self._dwellings_link(obj, obj.booked_count, "booked")

    @admin.display(description=_("done"), ordering="done_count")
    def done(self, obj):
        return self._dwellings_link(obj, obj.done_count, "done")

    @admin.display(description=_("objected"), ordering="objected_count")
    def objected(self, obj):
        return self._dwellings_link(obj, obj.objected_count, "objected")

    @admin.display(description=_("no answer"), ordering="no_answer_count")
    def no_answer(self, obj):
        return self._dwellings_link(obj, obj.no_answer_count, "invited", "1")

    @admin.display(description=_("progress"))
    def progress(self, obj):
        if obj.pk is None:
            return "–"
        counts = Project.objects.with_progress().get(pk=obj.pk)
        return format_html(
            "{}: {} · {}: {} · {}: {} · {}: {} · {}: {} · {}",
            _("invited"),
            counts.invited_count,
            _("booked"),
            counts.booked_count,
            _("done"),
            counts.done_count,
            _("objected"),
            counts.objected_count,
            _("no answer"),
            counts.no_answer_count,
            self._dwellings_link(obj, _("see the dwellings")),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        upload = form.cleaned_data.get("dwelling_file")
        if upload:
            result = services.project_dwellings_from_csv(project=obj, content=upload.read())
            self.message_user(
                request,
                ngettext(
                    "%(n)d dwelling added from the list.",
                    "%(n)d dwellings added from the list.",
                    result.added,
                )
                % {"n": result.added},
            )
            for error in result.errors[:20]:
                self.message_user(request, error, messages.WARNING)

    def _each(self, request, queryset, work, message):
        done = 0
        for project in queryset:
            try:
                done += work(project)
            except ApplicationError as error:
                self.message_user(request, f"{project}: {error.message}", messages.ERROR)
        self.message_user(request, message % {"n": done})

    @admin.action(description=_("Add the dwellings of the scope (complex or street)"))
    def add_scope_dwellings(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda project: services.project_dwellings_add(project=project),
            _("Dwellings added: %(n)d."),
        )

    @admin.action(description=_("Reserve the contractor's free capacity in the period"))
    def reserve_capacity(self, request, queryset):
        self._each(
            request,
            queryset.select_related("contract"),
            lambda project: services.project_capacity_reserve_free(project=project),
            _("Visits reserved: %(n)d."),
        )

    @admin.action(description=_("Invite the tenants (mail with the letter)"))
    def invite_tenants(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda project: services.project_invite(project=project),
            _("Tenants invited: %(n)d."),
        )

    @admin.action(description=_("Close: give unused reserved visits back"))
    def close_projects(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda project: services.project_close(project=project),
            _("Reserved visits given back: %(n)d."),
        )


@admin.register(ProjectDwelling)
class ProjectDwellingAdmin(OrganisationScopedAdmin):
    list_display = [
        "dwelling",
        "project",
        "status",
        "response_kind",
        "answer",
        "invited_at",
        "reminded_at",
        "request",
    ]
    list_filter = [
        "project",
        "status",
        "response_kind",
        ("responded_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["dwelling", "project", "request"]
    search_fields = ["dwelling__reference"]
    fields = [
        "project",
        "dwelling",
        "tenancy",
        "status",
        "response_kind",
        "response_text",
        "responded_at",
        "invited_at",
        "reminder_due_at",
        "reminded_at",
        "request",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("question or objection"))
    def answer(self, obj):
        text = obj.response_text
        return text if len(text) <= 120 else text[:117] + "…"
