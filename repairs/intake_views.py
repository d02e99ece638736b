"""The admin's "Take a report" page: staff find a dwelling by postcode and house number, see
its current tenancy and common areas, and take a report for the tenant on the phone, for a
common area or for a vacant home, booking a free daypart (repairs.services.intake).

Two steps on one URL, without JavaScript: a GET with postcode and house number finds the
dwelling; the POST of the report form saves it. The model admin of repair requests mounts
it (intake_urls)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contractors.routing import route
from portal.errors import ApplicationError
from portal.models import CollectiveObject, Dwelling
from portal.postcode import PostcodeFormField, format_postcode
from portal.scoping import scope_queryset

from .models import CallerRelation, Channel, RepairCategory, RepairRequest, Responsibility
from .selectors import slots_free_for, tenancy_current_of
from .services.base import SlotFull, SlotNotBookable
from .services.intake import repair_request_take

TENANT, VACANT = "tenant", "vacant"


class DwellingFindForm(forms.Form):
    postcode = PostcodeFormField(label=gettext_lazy("Postcode"))
    house_number = forms.IntegerField(label=gettext_lazy("House number"), min_value=1)
    suffix = forms.CharField(label=gettext_lazy("Suffix"), required=False, max_length=10)


class IntakeForm(forms.Form):
    """The report itself, for one dwelling found in the first step."""

    dwelling = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.ChoiceField(label=gettext_lazy("What is it for"), widget=forms.RadioSelect)
    category = forms.ModelChoiceField(
        label=gettext_lazy("What is broken"), queryset=RepairCategory.objects.none()
    )
    description = forms.CharField(
        label=gettext_lazy("What the caller says"), widget=forms.Textarea(attrs={"rows": 3})
    )
    caller_name = forms.CharField(label=gettext_lazy("Caller's name"), max_length=120)
    caller_phone = forms.CharField(
        label=gettext_lazy("Caller's phone number"), max_length=30, required=False
    )
    caller_relation = forms.ChoiceField(
        label=gettext_lazy("Caller is"),
        choices=CallerRelation.choices,
        widget=forms.RadioSelect,
        initial=CallerRelation.TENANT,
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        choices=[
            (Channel.PHONE, gettext_lazy("Phone (TEL)")),
            (Channel.STAFF, gettext_lazy("Desk (BAL)")),
        ],
        widget=forms.RadioSelect,
        initial=Channel.PHONE,
    )
    access_notes = forms.CharField(
        label=gettext_lazy("Access notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    slot = forms.TypedChoiceField(
        label=gettext_lazy("Daypart booked with the caller"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, dwelling, tenancy, collective_objects, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dwelling"].initial = dwelling.pk
        subjects = []
        if tenancy is not None:
            subjects.append((TENANT, _("The tenant's repair in this dwelling")))
        else:
            subjects.append((VACANT, _("Vacant home (mutatie): work between tenancies")))
        subjects += [
            (f"co-{obj.pk}", _("Common area: %(name)s") % {"name": obj.name})
            for obj in collective_objects
        ]
        self.fields["subject"].choices = subjects
        self.fields["subject"].initial = subjects[0][0]
        self.fields["category"].queryset = RepairCategory.objects.filter(
            organisation_id=dwelling.organisation_id,
            is_active=True,
            responsibility=Responsibility.LANDLORD,
        ).order_by("name_nl")
        self.fields["slot"].choices = [("", _("No daypart now: the contractor plans it"))] + [
            (slot.pk, slot_label(slot)) for slot in slots
        ]
        self.fields["slot"].initial = ""


def slot_label(slot) -> str:
    starts = timezone.localtime(slot.starts_at)
    ends = timezone.localtime(slot.ends_at)
    day = formats.date_format(starts, "l j F")
    hours = f"{formats.time_format(starts, 'H:i')}–{formats.time_format(ends, 'H:i')}"
    return f"{day}, {hours} ({slot.daypart.get_kind_display()})"


def intake_urls(model_admin) -> list:
    """The page's URL, mounted once: by the repair requests' admin, not by its subclasses
    (the unrouted queue), whose URL of the same name would shadow it."""
    if model_admin.model is not RepairRequest:
        return []
    view = model_admin.admin_site.admin_view(lambda request: intake_view(model_admin, request))
    return [path("take/", view, name="repairs_repairrequest_take")]


def _dwellings_at(request, find: DwellingFindForm):
    data = find.cleaned_data
    found = scope_queryset(Dwelling.objects.all(), request).filter(
        postcode=data["postcode"], house_number=data["house_number"]
    )
    suffix = data["suffix"].strip()
    if suffix:
        found = found.filter(house_number_suffix__iexact=suffix)
    return list(found.order_by("house_number_suffix")[:20])


def intake_view(model_admin, request):
    """Find the dwelling (GET), then take the report (POST); 404 is never needed: a dwelling
    outside the user's associations is simply not found."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Take a report"),
        "opts": model_admin.opts,
    }
    dwelling = None
    if request.method == "POST":
        dwelling = (
            scope_queryset(Dwelling.objects.all(), request)
            .filter(pk=request.POST.get("dwelling") or 0)
            .first()
        )
        find = DwellingFindForm(
            initial=dwelling
            and {
                "postcode": format_postcode(dwelling.postcode),
                "house_number": dwelling.house_number,
                "suffix": dwelling.house_number_suffix,
            }
        )
        if dwelling is None:
            context["not_found"] = _("This dwelling is not found. Search again.")
    else:
        find = DwellingFindForm(request.GET if "postcode" in request.GET else None)
        if find.is_bound and find.is_valid():
            matches = _dwellings_at(request, find)
            if len(matches) == 1:
                dwelling = matches[0]
            elif matches:
                context["matches"] = matches
            else:
                context["not_found"] = _(
                    "No dwelling of your association at %(postcode)s %(number)s. Check the "
                    "postcode and house number with the caller, or add the suffix."
                ) % {
                    "postcode": format_postcode(find.cleaned_data["postcode"]),
                    "number": find.cleaned_data["house_number"],
                }
    context["find"] = find
    status = 200
    if dwelling is not None:
        tenancy = tenancy_current_of(dwelling=dwelling)
        collective_objects = [
            obj
            for obj in CollectiveObject.objects.filter(
                organisation_id=dwelling.organisation_id,
                postcode=dwelling.postcode,
                is_active=True,
                house_number_from__lte=dwelling.house_number,
            ).order_by("name")
            if obj.house_number_to is None or obj.house_number_to >= dwelling.house_number
        ]
        contract = route(dwelling, timezone.localdate())
        # A daypart just chosen stays listed, full or not, so one taken meanwhile is refused
        # by the booking (SlotFull) with its own message next to the field.
        chosen = request.POST.get("slot") if request.method == "POST" else ""
        slots = []
        if contract is not None:
            slots = list(
                slots_free_for(
                    contract=contract, keep_slot_id=int(chosen) if chosen.isdigit() else None
                )
            )
        form = IntakeForm(
            request.POST if request.method == "POST" else None,
            dwelling=dwelling,
            tenancy=tenancy,
            collective_objects=collective_objects,
            slots=slots,
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            subject = data["subject"]
            collective_object = None
            if subject.startswith("co-"):
                collective_object = next(
                    obj for obj in collective_objects if f"co-{obj.pk}" == subject
                )
            try:
                repair_request = repair_request_take(
                    actor=request.user,
                    dwelling=dwelling,
                    category=data["category"],
                    description=data["description"],
                    channel=data["channel"],
                    caller_name=data["caller_name"],
                    caller_phone=data["caller_phone"],
                    caller_relation=data["caller_relation"],
                    access_notes=data["access_notes"],
                    collective_object=collective_object,
                    vacant_home=subject == VACANT,
                    slot_id=data["slot"],
                )
            except (SlotFull, SlotNotBookable) as refusal:
                form.add_error("slot", refusal.message)
            except ApplicationError as refusal:
                form.add_error(None, refusal.message)
            else:
                model_admin.message_user(
                    request,
                    _("Report %(reference)s is taken: %(status)s.")
                    % {
                        "reference": repair_request.reference,
                        "status": repair_request.get_status_display(),
                    },
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:repairs_repairrequest_change", args=[repair_request.pk])
                )
        if form.is_bound and form.errors:
            status = 422
        context.update(
            dwelling=dwelling,
            tenancy=tenancy,
            contract=contract,
            collective_objects=collective_objects,
            form=form,
            slots_offered=bool(slots),
        )
    return TemplateResponse(request, "admin/repairs/intake.html", context, status=status)
