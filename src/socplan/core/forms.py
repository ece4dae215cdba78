from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice


class LoginForm(AuthenticationForm):
    """Username and password, and the six-digit code for users who have turned on a second factor."""

    otp_token = forms.CharField(
        label=_("Verification code"),
        required=False,
        max_length=8,
        help_text=_("Only if you have turned on two-factor authentication: the 6 digits from your app."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean(self):
        cleaned = super().clean()  # the password check (django-axes counts its failures)
        user = self.get_user()
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() if user else None
        if device is None:
            return cleaned
        token = (cleaned.get("otp_token") or "").strip()
        if not token:
            raise forms.ValidationError(
                _("Your account uses two-factor authentication: enter the code from your app."),
                code="token_required",
            )
        allowed, _extra = device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(_("Too many wrong codes. Wait a minute and try again."), code="throttled")
        if not device.verify_token(token):
            raise forms.ValidationError(
                _("The code is not valid. Check your phone's clock and try again."), code="invalid_token"
            )
        user.otp_device = device
        return cleaned


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("Verification code"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}),
    )


def add_service_errors(form: forms.Form, error) -> None:
    """Show a service's ValidationError/ApplicationError on the form: on its field when the form has
    that field, above the form otherwise."""
    from django.core.exceptions import ValidationError

    from .exceptions import ApplicationError

    if isinstance(error, ApplicationError):
        form.add_error(None, str(error.message))
        return
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    form.add_error(None, error)
