import pytest
from socplan.conftest import client_for
from socplan.monitoring.tests.matrix_meetings import CASES, objects as mt_objects


@pytest.fixture
def objects(db, users):
    return mt_objects(users)


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matrix(case, users, objects):
    failures = []
    for role, expected in case.expected.items():
        client = client_for(users[role])
        url = case.url(objects)
        data = case.data(role, objects) if callable(case.data) else case.data
        response = client.get(url) if case.method == "get" else client.post(url, data=data)
        if response.status_code != expected:
            failures.append(f"{role}: expected {expected}, got {response.status_code}")
    assert not failures, f"{case.id} {case.method.upper()}: " + "; ".join(failures)
