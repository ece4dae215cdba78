"""Role-matrix cases of the plans app (see socplan/tests/test_role_matrix.py).

Objects: a draft municipal strategy of Veliko Tarnovo (VTR04, implementing the regional one), the
adopted and published regional strategy of Veliko Tarnovo with an update in draft, and an annual
plan of VTR04 under public consultation with one comment.

Who: the municipal expert of VTR04 edits VTR04's plans; the regional expert of VTR reads them
but edits only the regional strategy; the national expert reads everything; the directorate,
the provider and the outsider (Pleven) see only what is published; anonymous visitors see
published plans on the public pages.
"""

from socplan.tests.matrix import case, expect

DRAFT = {"kwargs": lambda o: {"pk": o["plan_draft"].pk}}
REGIONAL = {"kwargs": lambda o: {"pk": o["plan_regional"].pk}}
ANNUAL = {"kwargs": lambda o: {"pk": o["plan_annual"].pk}}
NODE = {"kwargs": lambda o: {"pk": o["plan_draft"].pk, "node_pk": o["plan_node"].pk}}

READ_DRAFT = dict(admin=200, national=200, regional=200, municipal=200)
EDIT_DRAFT = dict(admin=200, national=403, regional=403, municipal=200)
POSTED = dict(admin=302, national=302, regional=302, municipal=302)

CASES = [
    case("plan-list", "plans:plan-list", expect(200, anonymous=302)),
    case("plan-create", "plans:plan-create", expect(200, anonymous=302)),
    case("plan-detail-draft", "plans:plan-detail", expect(404, anonymous=302, **READ_DRAFT), **DRAFT),
    case("plan-detail-published", "plans:plan-detail", expect(200, anonymous=302), **REGIONAL),
    case("plan-detail-guessed-id", "plans:plan-detail", expect(404, anonymous=302), kwargs=lambda o: {"pk": 987654}),
    case("plan-update-draft", "plans:plan-update", expect(404, anonymous=302, **EDIT_DRAFT), **DRAFT),
    case(
        "plan-update-regional",
        "plans:plan-update",
        expect(403, anonymous=302, admin=200, regional=200),
        **REGIONAL,
    ),
    case("version-update", "plans:version-update", expect(404, anonymous=302, **EDIT_DRAFT), **DRAFT),
    case("plan-tree-draft", "plans:plan-tree", expect(404, anonymous=302, **READ_DRAFT), **DRAFT),
    case("plan-tree-published", "plans:plan-tree", expect(200, anonymous=302), **REGIONAL),
    case("node-add", "plans:node-add", expect(404, anonymous=302, **EDIT_DRAFT), **DRAFT),
    case("node-edit", "plans:node-edit", expect(404, anonymous=302, **READ_DRAFT), **NODE),
    case("node-align", "plans:node-align", expect(404, anonymous=302, **EDIT_DRAFT), **NODE),
    case(
        "node-action",
        "plans:node-action",
        expect(404, anonymous=302, **EDIT_DRAFT),
        method="post",
        kwargs=lambda o: {"pk": o["plan_draft"].pk, "node_pk": o["plan_node"].pk, "action": "down"},
    ),
    # Draft updates are compared by those who read drafts; the public sees one published version.
    case("plan-diff", "plans:plan-diff", expect(302, admin=200, national=200, regional=200), **REGIONAL),
    case("update-create", "plans:update-create", expect(404, anonymous=302, **POSTED), method="post", data={"reason": "x"}, **DRAFT),
    case("plan-adopt", "plans:plan-adopt", expect(404, anonymous=302, **EDIT_DRAFT), **DRAFT),
    case(
        "plan-status",
        "plans:plan-status",
        expect(404, anonymous=302, **POSTED),
        method="post",
        kwargs=lambda o: {"pk": o["plan_draft"].pk, "action": "close"},
    ),
    case("plan-stages", "plans:plan-stages", expect(404, anonymous=302, **READ_DRAFT), **DRAFT),
    case("plan-sections", "plans:plan-sections", expect(404, anonymous=302, **READ_DRAFT), **DRAFT),
    # The administrator deletes the item first, so the municipal expert then finds it gone.
    case(
        "section-delete",
        "plans:section-delete",
        expect(404, anonymous=302, admin=302, national=403, regional=403),
        method="post",
        kwargs=lambda o: {"pk": o["plan_draft"].pk, "part": "stakeholder", "item_pk": o["plan_stakeholder"].pk},
    ),
    case("plan-consultation", "plans:plan-consultation", expect(404, anonymous=302, **READ_DRAFT), **DRAFT),
    # The administrator takes the annual plan back into draft; after that only those who read drafts find it.
    case(
        "consultation-withdraw",
        "plans:consultation-withdraw",
        expect(404, anonymous=302, **POSTED),
        method="post",
        **ANNUAL,
    ),
    case("consultation-summary", "plans:consultation-summary", expect(302), method="post", data={"summary": "Обобщение"}, **ANNUAL),
    case(
        "comment-moderate",
        "plans:comment-moderate",
        expect(302),
        method="post",
        data={"status": "published", "answer": "Благодарим"},
        kwargs=lambda o: {"pk": o["plan_annual"].pk, "comment_pk": o["plan_comment"].pk},
    ),
    case("document-add", "plans:document-add", expect(404, anonymous=302, **POSTED), method="post", **DRAFT),
    case(
        "document-download",
        "plans:document-download",
        expect(200),
        kwargs=lambda o: {"pk": o["plan_regional"].pk, "document_pk": o["plan_document"].pk},
    ),
    case("plan-coverage", "plans:plan-coverage", expect(200, anonymous=302), **REGIONAL),
    case("plan-import", "plans:plan-import", expect(404, anonymous=302, **EDIT_DRAFT), **DRAFT),
    case(
        "import-preview",
        "plans:import-preview",
        expect(404, anonymous=302, **EDIT_DRAFT),
        kwargs=lambda o: {"pk": o["plan_draft"].pk, "job_pk": o["plan_import"].pk},
    ),
    case(
        "plan-export-published",
        "plans:plan-export",
        expect(200),
        kwargs=lambda o: {"pk": o["plan_regional"].pk, "fmt": "docx"},
    ),
    case(
        "plan-export-draft",
        "plans:plan-export",
        expect(404, **READ_DRAFT),
        kwargs=lambda o: {"pk": o["plan_draft"].pk, "fmt": "xlsx"},
    ),
    case(
        "export-status",
        "plans:export-status",
        expect(200),
        kwargs=lambda o: {"pk": o["plan_regional"].pk, "export_pk": o["plan_export"].pk},
    ),
    case("public-list", "plans:public-list", expect(200)),
    # API: the same scoping; anonymous callers get 401.
    case("api-plan-list", "api:plan-list", expect(200, anonymous=401)),
    case("api-plan-draft", "api:plan-detail", expect(404, anonymous=401, **READ_DRAFT), **DRAFT),
    case("api-plan-published", "api:plan-detail", expect(200, anonymous=401), **REGIONAL),
    case("public-detail-published", "plans:public-detail", expect(200), **REGIONAL),
    # A draft is not public, whoever asks on the public page.
    case("public-detail-draft", "plans:public-detail", expect(404), **DRAFT),
]


def objects(users) -> dict:
    """The plans the cases above use (built by the role-matrix fixture)."""
    import datetime

    from django.core.files.base import ContentFile

    from socplan.plans import services
    from socplan.plans.models import (
        Comment,
        Consultation,
        ImportJob,
        Level,
        Node,
        Plan,
        PlanDocument,
        PlanExport,
        StakeholderRole,
    )

    from .factories import PlanFactory, regional_org

    regional_plan = PlanFactory(regional=True, title="Областна стратегия Велико Търново")
    rv = regional_plan.versions.get()
    goal = Node.objects.create(version=rv, level=Level.GENERAL_GOAL, title="Грижа в общността", number="1")
    services.version_adopt(
        user=users["admin"], version=rv, body=regional_org("VTR"), decision_number="1", adopted_on=datetime.date(2016, 5, 1)
    )
    services.version_create_update(user=users["admin"], plan=regional_plan, reason="Междинна оценка")
    document = PlanDocument.objects.create(
        plan=regional_plan, version=rv, kind="text", title="Стратегия", file=ContentFile(b"%PDF-1.4", name="s.pdf")
    )
    draft = PlanFactory(title="Общинска стратегия Велико Търново", implements=regional_plan)
    dv = draft.versions.get()
    node = Node.objects.create(version=dv, level=Level.MEASURE, title="ЦОП", number="1")
    Node.objects.create(version=dv, level=Level.MEASURE, title="ЦНСТ", number="2", position=1)
    stakeholder = StakeholderRole.objects.create(version=dv, stakeholder="Кмет", responsibilities="Ръководи")
    job = ImportJob.objects.create(
        plan=draft, version=dv, filename="s.txt", sha256="0" * 64, size=1,
        result={"preamble": "", "nodes": [{"level": "measure", "number": "1", "title": "Мярка", "description": "", "parent": None}]},
    )
    annual = PlanFactory(kind=Plan.Kind.ANNUAL_PLAN, title="Годишен план 2026", period_start=2026, period_end=2026)
    av = annual.versions.get()
    Node.objects.create(version=av, level=Level.MEASURE, title="ЦНСТ — 14 потребители", number="1")
    today = datetime.date.today()
    consultation = Consultation.objects.create(version=av, opens_on=today, closes_on=today + datetime.timedelta(days=30))
    av.status = "consultation"
    av.save()
    annual.is_public = True
    annual.status = Plan.Status.CONSULTATION
    annual.save()
    comment = Comment.objects.create(consultation=consultation, author_name="Гражданин", text="Коментар")
    export = PlanExport.objects.create(version=rv, fmt="pdf", language="bg", revision=rv.revision, status="running")
    return {
        "plan_regional": regional_plan,
        "plan_regional_goal": goal,
        "plan_document": document,
        "plan_draft": draft,
        "plan_node": node,
        "plan_stakeholder": stakeholder,
        "plan_import": job,
        "plan_annual": annual,
        "plan_comment": comment,
        "plan_export": export,
    }
