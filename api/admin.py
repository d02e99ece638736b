"""API clients in the admin: staff make clients for their own association's ERP; a platform
admin (superuser) makes them for a contractor too. The secret is shown once, on the page that
answers the save, and never again: only its hash is stored."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.scoping import OrganisationScopedAdmin

from .models import ApiClient
from .scopes import ASSOCIATION_DEFAULT_SCOPES, CONTRACTOR_DEFAULT_SCOPES, scope_choices
from .services import NewApiClient, api_client_create, api_client_revoke


class ApiClientAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the client may read and write (OHD's OAuth2 scopes)."),
    )

    class Meta:
        model = ApiClient
        fields = ["name", "contractor", "organisation", "scopes"]

    def clean_scopes(self) -> str:
        # The model keeps them as one line; the service gets the list (scope_list).
        self.scope_list = self.cleaned_data["scopes"]
        return " ".join(self.scope_list)

    def clean(self):
        cleaned = super().clean()
        if "contractor" in self.fields and bool(cleaned.get("contractor")) == bool(
            cleaned.get("organisation")
        ):
            raise ValidationError(_("Choose one: a contractor or a housing association."))
        return cleaned


@admin.register(ApiClient)
class ApiClientAdmin(OrganisationScopedAdmin):
    list_display = ["name", "owner", "is_active", "created_at", "client_id"]
    list_select_related = ["contractor", "organisation", "application"]
    list_filter = ["is_active"]
    search_fields = ["name", "=application__client_id"]
    actions = ["revoke"]
    change_readonly = [
        "owner",
        "client_id",
        "scopes",
        "is_active",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
    ]

    @admin.display(description=_("belongs to"))
    def owner(self, obj: ApiClient) -> str:
        return str(obj.contractor or obj.organisation)

    @admin.display(description=_("client id"))
    def client_id(self, obj: ApiClient) -> str:
        return obj.application.client_id

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ["name", *self.change_readonly]
        if request.user.is_superuser:
            return ["name", "contractor", "organisation", "scopes"]
        return ["name", "organisation", "scopes"]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organisation" and not request.user.is_superuser:
            formfield.required = True
        return formfield

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        defaults = (
            CONTRACTOR_DEFAULT_SCOPES if request.user.is_superuser else ASSOCIATION_DEFAULT_SCOPES
        )
        initial.setdefault("scopes", list(defaults))
        return initial

    def has_delete_permission(self, request, obj=None) -> bool:
        # Revoked, not deleted: who made and revoked a client stays on record.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name"])
            return
        new = api_client_create(
            name=obj.name,
            scopes=form.scope_list,
            contractor=form.cleaned_data.get("contractor"),
            organisation=form.cleaned_data.get("organisation"),
            created_by=request.user,
        )
        # The admin goes on with `obj` (its log entry, the answer): it becomes the saved row.
        saved = new.api_client
        obj.pk, obj.application, obj.created_at = saved.pk, saved.application, saved.created_at
        obj.created_by, obj.scopes = saved.created_by, saved.scopes
        obj._state.adding, obj._state.db = False, saved._state.db
        request.new_api_client = new

    def response_add(self, request, obj, post_url_continue=None):
        new: NewApiClient = request.new_api_client
        context = {
            **self.admin_site.each_context(request),
            "title": _("Client secret"),
            "opts": self.model._meta,
            "api_client": new.api_client,
            "client_id": new.client_id,
            "client_secret": new.client_secret,
        }
        response = TemplateResponse(request, "admin/api/apiclient/secret_once.html", context)
        # The only copy of the secret: no cache may keep this page.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(
        description=_("Revoke the selected clients (their tokens stop working)"),
        permissions=["change"],
    )
    def revoke(self, request, queryset):
        revoked = 0
        for api_client in queryset.filter(is_active=True).order_by("pk"):
            api_client_revoke(api_client=api_client, revoked_by=request.user)
            revoked += 1
        self.message_user(
            request,
            ngettext("%(count)d client revoked.", "%(count)d clients revoked.", revoked)
            % {"count": revoked},
            messages.SUCCESS,
        )
