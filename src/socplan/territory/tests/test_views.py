from django.urls import reverse


def test_municipality_page_shows_population_settlements_and_map(client, db):
    page = client.get(reverse("territory:municipality-detail", args=["PVN08"])).content.decode()
    assert "Гулянци" in page
    assert "<svg" in page and "shape current" in page
    assert "31.12.2025" in page  # population dates written dd.mm.yyyy
    assert "Милковица" in page  # a village of the municipality


def test_settlement_search_answers_with_the_table_only_for_htmx(client, db):
    url = reverse("territory:municipality-detail", args=["VTR04"])
    response = client.get(url, {"q": "arbanas"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="settlements")
    body = response.content.decode()
    assert "<html" not in body
    assert "Арбанаси" in body and "Ресен" not in body


def test_cyrillic_search_ignores_case(client, db):
    response = client.get(reverse("api:settlement-list"), {"municipality": "VTR04", "q": "АРБАН"})
    assert [s["name_bg"] for s in response.json()["results"]] == ["Арбанаси"]


def test_region_page_lists_municipalities_with_population(client, db):
    page = client.get(reverse("territory:region-detail", args=["PVN"])).content.decode()
    assert "Гулянци" in page and "Плевен" in page
    assert "65+" in page  # age structure of the region


def test_api_lists_are_paginated_and_filtered(client, db):
    data = client.get(reverse("api:municipality-list"), {"region": "VTR", "page_size": 5}).json()
    assert data["count"] == 10 and len(data["results"]) == 5 and data["next"]
    assert all(m["region"] == "VTR" for m in data["results"])
    assert client.get(reverse("api:municipality-list"), {"region": "XXX"}).status_code == 404
