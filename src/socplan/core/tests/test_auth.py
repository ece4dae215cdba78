from django.test import override_settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from socplan.core.models import PersonalDataAccess
from socplan.core.services import personal_data_read_log
from socplan.organizations.tests.factories import UserFactory


def _login(client, username, password, token=""):
    return client.post(reverse("core:login"), {"username": username, "password": password, "otp_token": token})


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_login_with_password_reaches_home(client, regional):
    response = _login(client, "regional", "correct-horse-battery")
    assert response.status_code == 302
    assert client.get(reverse("core:home")).context["user"] == regional


def test_five_failed_logins_lock_the_account(client, regional):
    for _ in range(5):
        response = _login(client, "regional", "wrong")
    response = _login(client, "regional", "correct-horse-battery")
    assert response.status_code == 429
    assert "30" in response.content.decode()  # the page says for how long
    assert "_auth_user_id" not in client.session


def test_a_user_with_totp_needs_the_code(client, regional):
    device = TOTPDevice.objects.create(user=regional, name="app", confirmed=True)
    response = _login(client, "regional", "correct-horse-battery")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = _login(client, "regional", "correct-horse-battery", token="000000" if _code(device) != "000000" else "111111")
    assert "_auth_user_id" not in client.session
    # A wrong code throttles the device for a moment (brute-force protection of django-otp).
    device.refresh_from_db()
    device.throttle_reset()
    response = _login(client, "regional", "correct-horse-battery", token=_code(device))
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(regional.pk)


def test_setting_up_totp_confirms_the_device(client, regional):
    client.force_login(regional)
    page = client.get(reverse("core:two-factor"))
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=regional, confirmed=False)
    response = client.post(reverse("core:two-factor"), {"token": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed


@override_settings(SOCPLAN_OTP_REQUIRED_FOR_ADMINS=True)
def test_administrator_without_second_factor_is_sent_to_set_it_up(client, administrator, regional):
    client.force_login(administrator)
    response = client.get(reverse("organizations:organization-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:two-factor"))
    # Other roles are not forced.
    client.force_login(regional)
    assert client.get(reverse("organizations:organization-list")).status_code == 200


def test_reading_personal_data_is_logged_with_who_and_where(rf, regional):
    request = rf.get("/archive/dossiers/1/", HTTP_USER_AGENT="pytest", REMOTE_ADDR="10.1.2.3")
    entry = personal_data_read_log(
        request=request, user=regional, person_identifier="8032056031", object_type="dossier", object_id=1
    )
    stored = PersonalDataAccess.objects.get(pk=entry.pk)
    assert (stored.user, stored.ip_address, stored.person_identifier, stored.path) == (
        regional,
        "10.1.2.3",
        "8032056031",
        "/archive/dossiers/1/",
    )


def test_user_changes_are_audited(db):
    user = UserFactory(username="audited")
    user.first_name = "Петя"
    user.save()
    assert [h.history_type for h in user.history.order_by("history_date")][-1] == "~"
