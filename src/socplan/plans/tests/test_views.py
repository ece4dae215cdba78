"""The plan pages as a user drives them: create, import with preview, edit the tree, publish."""

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from socplan.conftest import client_for
from socplan.plans.models import ImportJob, Level, Node, Plan

from .factories import PlanFactory, municipal_org

pytestmark = pytest.mark.django_db

SOURCE = Path(__file__).resolve().parents[1] / "data" / "vtr_regional_strategy_2011-2015.txt"


def test_a_municipal_expert_creates_a_plan(municipal):
    client = client_for(municipal)
    response = client.post(
        reverse("plans:plan-create"),
        {
            "kind": "municipal_strategy",
            "title": "Стратегия 2027–2031",
            "municipality": municipal_org("VTR04").municipality_id,
            "owner": municipal_org("VTR04").pk,
            "period_start": 2027,
            "period_end": 2031,
        },
    )
    plan = Plan.objects.get(title="Стратегия 2027–2031")
    assert response.status_code == 302
    assert plan.region.code == "VTR" and plan.versions.count() == 1
    assert plan.levels == Plan.DEFAULT_LEVELS[Plan.Kind.MUNICIPAL_STRATEGY]


def test_import_preview_correct_and_apply(regional):
    plan = PlanFactory(regional=True, period_start=2011, period_end=2015)
    client = client_for(regional)
    upload = SimpleUploadedFile("strategy.txt", SOURCE.read_bytes(), content_type="text/plain")
    response = client.post(reverse("plans:plan-import", kwargs={"pk": plan.pk}), {"file": upload})
    job = ImportJob.objects.get(plan=plan)
    assert response.status_code == 302 and response["Location"].endswith(f"/import/{job.pk}/")
    nodes = job.result["nodes"]
    preview = client.get(response["Location"]).content.decode()
    assert "Специфична цел" not in preview or "4.2.1" in preview
    assert "Изграждане на капацитет за управление на социалните услуги" in preview
    # The user unticks the last activity (its text goes to the element above) and fixes a title.
    data = {}
    for index, row in enumerate(nodes):
        if index != len(nodes) - 1:
            data[f"include-{index}"] = "on"
        data[f"level-{index}"] = row["level"]
        data[f"number-{index}"] = row["number"] or ""
        data[f"title-{index}"] = row["title"]
    goal4 = next(i for i, row in enumerate(nodes) if row["number"] == "4")
    data[f"title-{goal4}"] = "Качество и ефективност на социалните услуги"
    response = client.post(reverse("plans:import-preview", kwargs={"pk": plan.pk, "job_pk": job.pk}), data)
    assert response.status_code == 302
    version = plan.versions.get()
    assert version.nodes.count() == len(nodes) - 1
    first = Node.objects.get(version=version, number="4")
    assert first.title == "Качество и ефективност на социалните услуги" and first.level == Level.GENERAL_GOAL
    last_kept = Node.objects.get(version=version, number="4.3.4.2")
    assert nodes[-1]["title"][:40] in last_kept.description
    job.refresh_from_db()
    assert job.status == ImportJob.Status.APPLIED
    # Applying the same preview again is refused: nothing is imported twice.
    client.post(reverse("plans:import-preview", kwargs={"pk": plan.pk, "job_pk": job.pk}), data)
    assert version.nodes.count() == len(nodes) - 1


def test_import_preview_refuses_a_node_below_an_activity_and_duplicate_numbers(regional):
    plan = PlanFactory(regional=True, period_start=2011, period_end=2015)
    client = client_for(regional)
    upload = SimpleUploadedFile("strategy.txt", SOURCE.read_bytes(), content_type="text/plain")
    client.post(reverse("plans:plan-import", kwargs={"pk": plan.pk}), {"file": upload})
    job = ImportJob.objects.get(plan=plan)
    nodes = job.result["nodes"]
    data = {}
    for index, row in enumerate(nodes):
        data[f"include-{index}"] = "on"
        data[f"level-{index}"] = row["level"]
        data[f"number-{index}"] = row["number"] or ""
        data[f"title-{index}"] = row["title"]
    data["number-2"] = nodes[1]["number"]  # "5.2" becomes a second "5.1"
    response = client.post(reverse("plans:import-preview", kwargs={"pk": plan.pk, "job_pk": job.pk}), data)
    assert response.status_code == 200
    assert "used twice" in response.content.decode() or "два пъти" in response.content.decode()
    assert not plan.versions.get().nodes.exists()
    data["number-2"] = nodes[2]["number"]
    # An activity made into the parent of the next activity's row is refused too.
    activity = next(i for i, row in enumerate(nodes) if row["level"] == "activity")
    data[f"level-{activity - 1}"] = "activity"
    response = client.post(reverse("plans:import-preview", kwargs={"pk": plan.pk, "job_pk": job.pk}), data)
    assert "below an activity" in response.content.decode() or "под дейност" in response.content.decode()
    assert not plan.versions.get().nodes.exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.docx", b"", "empty"),
        ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "document"),
    ],
)
def test_bad_files_get_a_message_and_nothing_is_saved(municipal, name, content, message):
    plan = PlanFactory()
    client = client_for(municipal)
    upload = SimpleUploadedFile(name, content)
    response = client.post(reverse("plans:plan-import", kwargs={"pk": plan.pk}), {"file": upload})
    assert response.status_code == 200
    assert not ImportJob.objects.filter(plan=plan).exists()
    assert 'role="alert"' in response.content.decode()


def test_tree_edit_over_htmx_with_a_stale_revision_shows_the_conflict(municipal):
    plan = PlanFactory()
    version = plan.versions.get()
    node = Node.objects.create(version=version, level=Level.GENERAL_GOAL, title="Цел", number="1")
    client = client_for(municipal)
    url = reverse("plans:node-edit", kwargs={"pk": plan.pk, "node_pk": node.pk})
    form = {"title": "Цел (нова)", "level": "general_goal", "budget_currency": "BGN", "revision": node.revision}
    assert client.post(url, form, HTTP_HX_REQUEST="true").status_code == 200
    stale = client.post(url, {**form, "title": "Цел (стара)"}, HTTP_HX_REQUEST="true")
    assert "Someone else" in stale.content.decode() or "Някой друг" in stale.content.decode()
    assert Node.objects.get(pk=node.pk).title == "Цел (нова)"


def test_tree_action_returns_the_renumbered_tree(municipal):
    plan = PlanFactory()
    version = plan.versions.get()
    a = Node.objects.create(version=version, level=Level.GENERAL_GOAL, title="А", number="1", position=0)
    Node.objects.create(version=version, level=Level.GENERAL_GOAL, title="Б", number="2", position=1)
    client = client_for(municipal)
    response = client.post(
        reverse("plans:node-action", kwargs={"pk": plan.pk, "node_pk": a.pk, "action": "down"}), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.index("Б") < html.index("А")
    assert Node.objects.get(pk=a.pk).number == "2"


def test_public_pages_show_published_plans_only(client):
    published = PlanFactory(title="Приета стратегия", is_public=True, status=Plan.Status.IN_FORCE)
    published.versions.update(status="adopted")
    draft = PlanFactory(title="Чернова")
    listing = client.get(reverse("plans:public-list")).content.decode()
    assert "Приета стратегия" in listing and "Чернова" not in listing
    assert client.get(reverse("plans:public-detail", kwargs={"pk": published.pk})).status_code == 200
    assert client.get(reverse("plans:public-detail", kwargs={"pk": draft.pk})).status_code == 404


def test_stage_outside_the_period_is_refused(municipal):
    plan = PlanFactory()
    client = client_for(municipal)
    response = client.post(
        reverse("plans:plan-stages", kwargs={"pk": plan.pk}),
        {"kind": "implementation", "title": "Трети етап", "starts_on": "2021-01-01", "ends_on": "2022-12-31"},
    )
    assert response.status_code == 200 and not plan.versions.get().stages.exists()
    response = client.post(
        reverse("plans:plan-stages", kwargs={"pk": plan.pk}),
        {"kind": "implementation", "title": "Първи етап", "starts_on": "2016-01-01", "ends_on": "2018-12-31"},
    )
    assert response.status_code == 302
    assert plan.versions.get().stages.get().ends_on == datetime.date(2018, 12, 31)


def test_sections_are_added_and_edited(municipal):
    plan = PlanFactory()
    client = client_for(municipal)
    url = reverse("plans:plan-sections", kwargs={"pk": plan.pk})
    client.post(url, {"part": "partnership", "partnership-kind": "public_forum", "partnership-description": "Форум"})
    item = plan.versions.get().partnerships.get()
    page = client.get(url, {"part": "partnership", "edit": item.pk}).content.decode()
    assert 'name="item"' in page
    client.post(
        url,
        {"part": "partnership", "item": item.pk, "partnership-kind": "public_forum", "partnership-description": "Годишен форум"},
    )
    assert plan.versions.get().partnerships.get().description == "Годишен форум"


def test_the_pdf_is_made_in_the_background_once_and_then_served(client, django_capture_on_commit_callbacks):
    from socplan.plans.models import PlanExport

    plan = PlanFactory(title="Публикувана стратегия", is_public=True, status=Plan.Status.IN_FORCE)
    version = plan.versions.get()
    version.status = "adopted"
    version.save()
    Node.objects.create(version=version, level=Level.GENERAL_GOAL, title="Грижа в общността", number="1")
    url = reverse("plans:plan-export", kwargs={"pk": plan.pk, "fmt": "pdf"})
    with django_capture_on_commit_callbacks(execute=True):
        waiting = client.get(url)
    assert waiting.status_code == 200 and b"export-status" in waiting.content
    export = PlanExport.objects.get(version=version, fmt="pdf")
    assert export.status == PlanExport.Status.DONE
    status = client.get(reverse("plans:export-status", kwargs={"pk": plan.pk, "export_pk": export.pk}))
    assert b"plans/%d/export/pdf/" % plan.pk in status.content
    response = client.get(url)
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert PlanExport.objects.count() == 1


def test_a_failed_pdf_says_why_and_can_be_asked_for_again(client, django_capture_on_commit_callbacks, monkeypatch):
    from socplan.plans import exports
    from socplan.plans.models import PlanExport

    plan = PlanFactory(is_public=True, status=Plan.Status.IN_FORCE)
    plan.versions.update(status="adopted")
    url = reverse("plans:plan-export", kwargs={"pk": plan.pk, "fmt": "pdf"})

    def broken(**kwargs):
        raise RuntimeError("Pango is missing")

    monkeypatch.setattr(exports, "export", broken)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    export = PlanExport.objects.get()
    assert export.status == PlanExport.Status.FAILED and "Pango" in export.error
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.get(url)
    export.refresh_from_db()
    assert export.status == PlanExport.Status.DONE


def test_a_too_large_file_is_refused_before_it_is_read(municipal, monkeypatch):
    from socplan.plans.importing import extract

    monkeypatch.setattr(extract, "MAX_IMPORT_BYTES", 1000)
    plan = PlanFactory()
    upload = SimpleUploadedFile("big.txt", "Мярка 1.1. Голяма\n".encode() * 200)
    response = client_for(municipal).post(reverse("plans:plan-import", kwargs={"pk": plan.pk}), {"file": upload})
    assert response.status_code == 200 and not ImportJob.objects.exists()
    assert "MB" in response.content.decode()
