"""Every URL and API endpoint, driven with every role: allowed, read-only (403), hidden (404).

Each app lists its cases in <app>/tests/matrix.py (CASES). The last test fails when a URL of the
project has no case, so the matrix grows with every feature.
"""

import importlib

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from socplan.conftest import client_for

APPS = ["core", "territory", "organizations", "plans", "social_services", "monitoring", "archive"]
# Framework URLs that are not ours to test here (Django admin is for administrators only).
EXEMPT_PREFIXES = ("admin:", "set_language", "javascript-catalog")


def _cases():
    for app in APPS:
        module = importlib.import_module(f"socplan.{app}.tests.matrix")
        yield from module.CASES


CASES = list(_cases())


@pytest.fixture
def objects(db, users, vtr_admin_org, pvn_admin_org, vtr_ngo):
    from socplan.organizations.tests.factories import AppointmentFactory, BodyFactory, MembershipFactory

    vtr_body = BodyFactory(organization=vtr_admin_org, name="ЗМО Велико Търново")
    pvn_body = BodyFactory(organization=pvn_admin_org, name="ЗМО Плевен")
    order = AppointmentFactory(body=vtr_body, number="ОА-1")
    member = MembershipFactory(body=vtr_body, appointment=order, person_name="Иван Иванов")
    from socplan.archive.tests.matrix import objects as archive_objects
    from socplan.monitoring.tests.matrix import objects as monitoring_objects
    from socplan.plans.tests.matrix import objects as plan_objects
    from socplan.social_services.tests.matrix import objects as service_objects

    plans = plan_objects(users)
    return {
        **plans,
        **monitoring_objects(users, plans),
        **service_objects(users, vtr_ngo),
        **archive_objects(users),
        "vtr_org": vtr_admin_org,
        "pvn_org": pvn_admin_org,
        "ngo": vtr_ngo,
        "vtr_body": vtr_body,
        "pvn_body": pvn_body,
        "order": order,
        "member": member,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_role_matrix(case, users, objects):
    failures = []
    for role, expected in case.expected.items():
        client = client_for(users[role])
        url = case.url(objects)
        data = case.data(role, objects) if callable(case.data) else case.data
        if case.method == "get":
            response = client.get(url)
        elif case.method in ("patch", "put"):
            response = getattr(client, case.method)(url, data=data, content_type="application/json")
        else:
            response = client.post(url, data=data, content_type=case.content_type) if case.content_type else client.post(url, data=data)
        if response.status_code != expected:
            failures.append(f"{role}: expected {expected}, got {response.status_code}")
    assert not failures, f"{case.id} {case.method.upper()}: " + "; ".join(failures)


def _named_patterns(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_is_in_the_role_matrix():
    covered = {c.url_name for c in CASES}
    names = {n for n in _named_patterns(get_resolver()) if not n.startswith(EXEMPT_PREFIXES)}
    missing = sorted(names - covered)
    assert not missing, f"URLs without a role-matrix case: {missing}"
