from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User
from .postcode import normalise_postcode


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "This e-mail address and password do not match an account. Check both and try again."
        ),
    }


class ClaimForm(forms.Form):
    contract_number = forms.CharField(
        label=_("Tenancy contract number"),
        max_length=30,
        help_text=_("On your tenancy agreement or a letter about your rent."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "placeholder": "1234 AB"}),
    )
    house_number = forms.IntegerField(
        label=_("House number"),
        min_value=1,
        max_value=99999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": _("Enter the house number as digits only, for example 12.")},
    )
    suffix = forms.CharField(
        label=_("Suffix (optional)"),
        max_length=10,
        required=False,
        help_text=_("For example A or bis."),
    )
    code = forms.CharField(
        label=_("Activation code (optional)"),
        max_length=30,
        required=False,
        help_text=_("From our letter about the tenant portal, for example ABCD-EFGH-JKMN."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "characters"}
        ),
    )
    email = forms.EmailField(
        label=_("E-mail address (with an activation code)"),
        required=False,
        help_text=_(
            "With a code, we send the link to this address. Without a code, we send it to the "
            "e-mail address we have on file for you."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data["postcode"])

    def clean(self):
        cleaned = super().clean()
        code, email = cleaned.get("code", "").strip(), cleaned.get("email")
        cleaned["code"] = code
        if code and not email and "email" not in self.errors:
            self.add_error("email", _("Fill in your e-mail address: we send the link there."))
        elif email and not code:
            self.add_error(
                "code",
                _(
                    "Fill in the activation code from our letter, or leave the e-mail address "
                    "empty: without a code we send the link to the address we have on file."
                ),
            )
        return cleaned


class ClaimPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Repeat the password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ. Type the same one twice."))
        elif first:
            try:
                password_validation.validate_password(first, User(email=self.email))
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ClaimExistingAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Password of your account"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
