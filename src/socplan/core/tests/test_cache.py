import re

import pytest
from django.core.cache import cache, caches
from django.test import Client, override_settings
from django.urls import reverse

from socplan.conftest import client_for
from socplan.core.cache import CSRF_PLACEHOLDER, data_version
from socplan.organizations import services
from socplan.organizations.tests.factories import BodyFactory

LOCMEM = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cache-test"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages-test"},
}


@pytest.fixture(autouse=True)
def real_cache():
    with override_settings(CACHES=LOCMEM):
        cache.clear()
        caches["pages"].clear()
        yield
        cache.clear()
        caches["pages"].clear()


def test_a_change_is_shown_at_once_although_the_page_is_cached(client, regional, vtr_ngo, django_capture_on_commit_callbacks):
    client.force_login(regional)
    url = reverse("organizations:organization-detail", args=[vtr_ngo.pk])
    assert "062 111 222" not in client.get(url).content.decode()
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.organization_update(user=regional, organization=vtr_ngo, phone="062 111 222")
    assert data_version() > before
    assert "062 111 222" in client.get(url).content.decode()


def test_without_a_change_the_page_comes_from_the_cache(client, regional, vtr_ngo, django_assert_max_num_queries):
    client.force_login(regional)
    url = reverse("organizations:organization-detail", args=[vtr_ngo.pk])
    client.get(url)
    with django_assert_max_num_queries(6):  # session, user, data version, scope, the organisation
        client.get(url)


def test_cached_content_is_not_shared_between_scopes(municipal, vtr_municipality_org):
    url = reverse("territory:municipality-detail", args=["VTR04"])
    assert "Община Велико Търново" in client_for(municipal).get(url).content.decode()  # its institutions
    anonymous = client_for(None).get(url).content.decode()
    assert "Община Велико Търново</a>" not in anonymous


def test_cached_forms_carry_the_token_of_the_user_who_reads_them(regional, administrator, vtr_admin_org):
    body = BodyFactory(organization=vtr_admin_org)
    url = reverse("organizations:body-detail", args=[body.pk])
    client_for(administrator).get(url)  # another scope: an entry of its own
    client = Client(enforce_csrf_checks=True)
    client.force_login(regional)
    client.get(url)
    page = client.get(url).content.decode()  # from the cache
    assert CSRF_PLACEHOLDER not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        reverse("organizations:appointment-create", args=[body.pk]),
        {"number": "ОА-7", "date": "01.02.2018", "issued_by": "Областен управител", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_a_page_with_a_flash_message_is_neither_served_from_nor_stored_in_the_cache(
    regional, vtr_admin_org, django_capture_on_commit_callbacks
):
    body = BodyFactory(organization=vtr_admin_org)
    url = reverse("organizations:body-detail", args=[body.pk])
    client = client_for(regional)
    client.get(url)  # cached
    with django_capture_on_commit_callbacks(execute=True):  # the commit that bumps the data version
        client.post(
            reverse("organizations:appointment-create", args=[body.pk]),
            {"number": "ОА-8", "date": "01.02.2018", "issued_by": "Областен управител"},
        )
    with_message = client.get(url).content.decode()
    assert "ОА-8" in with_message
    assert 'class="message message-success"' in with_message
    assert 'class="message message-success"' not in client.get(url).content.decode()


def test_a_cached_page_is_served_with_few_queries(regional, django_assert_max_num_queries):
    client = client_for(regional)
    url = reverse("territory:region-detail", args=["VTR"])
    client.get(url)
    with django_assert_max_num_queries(3):  # session, user, data version
        assert "Велико Търново" in client.get(url).content.decode()


def test_with_a_shared_cache_the_version_is_read_from_it_and_bumped_in_both(db, tmp_path, django_capture_on_commit_callbacks, django_assert_num_queries):
    from socplan.core.cache import VERSION_KEY, bump_data_version

    shared = {**LOCMEM, "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}}
    with override_settings(CACHES=shared):
        start = data_version()
        with django_assert_num_queries(0):
            assert data_version() == start
        with django_capture_on_commit_callbacks(execute=True):
            bump_data_version()
        assert cache.get(VERSION_KEY) == start + 1 == data_version()


def test_a_deactivated_user_is_signed_out_at_the_next_request_although_users_are_cached(
    regional, django_capture_on_commit_callbacks
):
    client = Client()
    client.post(reverse("core:login"), {"username": "regional", "password": "correct-horse-battery"})
    url = reverse("organizations:organization-list")
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # the user now comes from the cache
    with django_capture_on_commit_callbacks(execute=True):
        regional.is_active = False
        regional.save()
    assert client.get(url).status_code == 302  # to the sign-in page


def test_signing_in_does_not_invalidate_the_cache(regional, django_capture_on_commit_callbacks):
    before = data_version()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("core:login"), {"username": "regional", "password": "correct-horse-battery"})
    assert data_version() == before
