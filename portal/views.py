from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from .access import is_staff
from .forms import ClaimExistingAccountForm, ClaimForm, ClaimPasswordForm, EmailAuthenticationForm
from .models import User
from .services import (
    ClaimNotPossible,
    email_masked,
    tenancy_claim_complete,
    tenancy_claim_read_token,
    tenancy_claim_request,
)

# One message for every refusal: it never tells which part was wrong, whether the contract
# exists, whether a code was wrong, used or expired, or that the tries ran out.
NEUTRAL_CLAIM_ERROR = gettext_lazy(
    "We could not find a current tenancy with these details. Check the contract number on "
    "your tenancy agreement, your postcode, your house number and, if you have one, the "
    "activation code from our letter. After 5 tries that do not match, wait an hour before "
    "you try again. Still stuck? Call your housing association."
)


def client_address(request) -> str | None:
    """The client's internet address, read as the login lockout reads it (django-axes, which
    knows the number of proxies in front)."""
    return get_client_ip_address(request)


def home(request):
    """Tenants go to their repairs, contractors to their work, staff to the admin."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "portal/home.html")
    if is_staff(user):
        return redirect("admin:index")
    if user.has_contractor_membership:
        return redirect("contractor_home")
    return redirect("my_repairs")


class PortalLoginView(LoginView):
    form_class = EmailAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@require_http_methods(["GET", "POST"])
def claim(request):
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        started = tenancy_claim_request(
            contract_number=data["contract_number"],
            postcode=data["postcode"],
            house_number=data["house_number"],
            suffix=data["suffix"],
            code=data["code"],
            email=data["email"],
            client_address=client_address(request),
            build_url=request.build_absolute_uri,
        )
        if started is None:
            form.add_error(None, NEUTRAL_CLAIM_ERROR)
        else:
            request.session["claim_sent"] = {
                "email": email_masked(started.email) if started.on_file else data["email"],
                "on_file": started.on_file,
            }
            return redirect("claim_sent")
    return render(request, "portal/claim.html", {"form": form})


def claim_sent(request):
    sent = request.session.get("claim_sent") or {}
    return render(
        request,
        "portal/claim_sent.html",
        {"email": sent.get("email"), "on_file": sent.get("on_file", False)},
    )


@require_http_methods(["GET", "POST"])
def claim_confirm(request, token: str):
    try:
        tenancy, email = tenancy_claim_read_token(token)
    except ClaimNotPossible as error:
        return render(request, "portal/claim_invalid.html", {"message": error.message}, status=410)
    existing = User.objects.filter(email__iexact=email).exists()
    if tenancy.tenant_id is not None and not existing:
        return render(
            request,
            "portal/claim_invalid.html",
            {"message": _("This tenancy already has an account. Log in, or reset its password.")},
            status=410,
        )
    form_class = ClaimExistingAccountForm if existing else ClaimPasswordForm
    kwargs = {} if existing else {"email": email}
    form = form_class(request.POST or None, **kwargs)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data.get("password") or form.cleaned_data["password1"]
        try:
            user = tenancy_claim_complete(
                token=token, password=password, client_address=client_address(request)
            )
        except ClaimNotPossible as error:
            form.add_error(None, error.message)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome! Your account is ready. Here you report repairs and follow them."),
            )
            return redirect(reverse("my_repairs"))
    return render(
        request,
        "portal/claim_confirm.html",
        {"form": form, "email": email, "tenancy": tenancy, "existing": existing},
    )


def locked_out(request, original_response=None, credentials=None):
    """django-axes: the page shown while an account is locked for this address."""
    cooloff = settings.AXES_COOLOFF_TIME
    until = timezone.localtime(timezone.now() + cooloff)
    return render(
        request,
        "portal/locked_out.html",
        {"cooloff_minutes": int(cooloff.total_seconds() // 60), "until": until.strftime("%H:%M")},
        status=429,
    )
