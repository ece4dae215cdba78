"""The main pages make the same number of SQL queries with ten times the data (no N+1)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from socplan.organizations.models import Organization
from socplan.organizations.tests.factories import (
    AppointmentFactory,
    BodyFactory,
    MembershipFactory,
    OrganizationFactory,
)
from socplan.territory.models import Municipality


def _grow(times: int, vtr_admin_org, body):
    municipalities = list(Municipality.objects.filter(region__code="VTR"))
    for i in range(times):
        for m in municipalities:
            org = OrganizationFactory(kind=Organization.Kind.NGO, municipality=m, region=m.region)
            org.phone = f"0{i}"
            org.save()
        other = BodyFactory(organization=vtr_admin_org)
        order = AppointmentFactory(body=other)
        AppointmentFactory(body=body)
        for j in range(3):
            MembershipFactory(body=body, composition="extended" if j else "core", start_date=datetime.date(2018, 1, 1))
            MembershipFactory(body=other, appointment=order)


def _pages(o):
    return [
        reverse("core:home"),
        reverse("territory:region-list"),
        reverse("territory:region-detail", args=["VTR"]),
        reverse("territory:municipality-detail", args=["VTR04"]),
        reverse("organizations:organization-list") + "?region=VTR",
        reverse("organizations:organization-detail", args=[o["org"].pk]),
        reverse("organizations:body-detail", args=[o["body"].pk]),
        reverse("api:municipality-list") + "?region=VTR",
        reverse("api:organization-list") + "?region=VTR",
        reverse("api:body-detail", args=[o["body"].pk]),
    ]


def _counts(client, urls):
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(queries)
    return counts


@pytest.mark.django_db
def test_query_count_of_main_pages_does_not_grow_with_data(client, regional, vtr_admin_org):
    client.force_login(regional)
    body = BodyFactory(organization=vtr_admin_org)
    objects = {"org": vtr_admin_org, "body": body}
    _grow(1, vtr_admin_org, body)
    small = _counts(client, _pages(objects))
    _grow(9, vtr_admin_org, body)
    large = _counts(client, _pages(objects))
    grown = {url: (small[url], large[url]) for url in small if large[url] != small[url]}
    assert not grown, f"queries grew with the data (×1 → ×10): {grown}"
