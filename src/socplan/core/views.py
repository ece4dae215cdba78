from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .cache import cached_page, cached_render
from .forms import LoginForm, TokenForm
from .panels import panels_for


@cached_page
def home(request):
    if not request.user.is_authenticated:
        return render(request, "core/home_public.html")
    content = cached_render(
        request, "core/partials/_home_content.html", lambda: {"panels": panels_for("home", request)}, parts=(request.user.pk,)
    )
    return render(request, "core/home.html", {"content": content})


@require_GET
def healthz(request):
    """The trivial view: also the benchmark's yardstick for what the stack costs per request."""
    return HttpResponse("ok", content_type="text/plain")


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        device = getattr(form.get_user(), "otp_device", None)
        if device is not None:
            otp_login(self.request, device)
        return response


class LogoutView(auth_views.LogoutView):
    pass


def _safe_next(request, default: str = "/") -> str:
    target = request.GET.get("next") or request.POST.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    out = BytesIO()
    image.save(out)
    return out.getvalue().decode()


@never_cache
@login_required
def two_factor(request):
    """Set up, confirm, verify or turn off the TOTP second factor of the signed-in user."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = TokenForm(request.POST or None)
    action = request.POST.get("action", "")

    if confirmed is not None:
        if request.method == "POST" and form.is_valid():
            if not confirmed.verify_token(form.cleaned_data["token"]):
                form.add_error("token", _("The code is not valid. Check your phone's clock and try again."))
            elif action == "disable":
                TOTPDevice.objects.filter(user=user).delete()
                messages.success(request, _("Two-factor authentication is off."))
                return redirect("core:two-factor")
            else:
                otp_login(request, confirmed)
                messages.success(request, _("Code accepted."))
                return redirect(_safe_next(request))
        return render(
            request,
            "core/two_factor.html",
            {"form": form, "confirmed": True, "verified": user.is_verified(), "next": _safe_next(request)},
        )

    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, _("Two-factor authentication is on. You will be asked for a code at sign-in."))
            return redirect(_safe_next(request))
        form.add_error("token", _("The code is not valid. Check your phone's clock and try again."))
    secret = b32encode(device.bin_key).decode()
    return render(
        request,
        "core/two_factor.html",
        {
            "form": form,
            "confirmed": False,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_svg": _qr_svg(device.config_url),
            "next": _safe_next(request),
        },
    )
