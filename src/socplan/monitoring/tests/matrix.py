"""Role-matrix cases of monitoring (see socplan/tests/test_role_matrix.py).

Objects: an open round of the Велико Търново regional administration on its regional strategy,
with the report of the municipality of Велико Търново (VTR04) and one of another municipality of
the region; an attached file; a finished regional report; an indicator of the regional strategy
with a target and a value of VTR04 with its evidence.

Who: the regional expert (and the administrator) run and review the round; the national expert
reads it but changes nothing; the municipality sees only its own report, which it fills; the
directorate, the provider and the other region's expert see none of it. Meetings, evaluations
and dashboards have their own modules (matrix_meetings, matrix_dashboards).
"""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from socplan.tests.matrix import case, expect

from .matrix_dashboards import CASES as DASHBOARD_CASES
from .matrix_dashboards import objects as dashboard_objects
from .matrix_meetings import CASES as MEETING_CASES
from .matrix_meetings import objects as meeting_objects

ROUND = {"kwargs": lambda o: {"pk": o["mon_round"].pk}}
SUBMISSION = {"kwargs": lambda o: {"pk": o["mon_submission"].pk}}
OTHER_SUBMISSION = {"kwargs": lambda o: {"pk": o["mon_other_submission"].pk}}
REPORT = {"kwargs": lambda o: {"pk": o["mon_report"].pk}}
TEMPLATE = {"kwargs": lambda o: {"pk": o["mon_template"].pk}}
PLAN = {"kwargs": lambda o: {"plan_pk": o["plan_regional"].pk}}
INDICATOR = {"kwargs": lambda o: {"pk": o["mon_indicator"].pk}}

SIGNED_IN = expect(200, anonymous=302)
# The round's page: its managers, and the national expert read-only.
ROUND_READ = dict(admin=200, national=200, regional=200)
# A POST a manager makes (redirect), the national expert may not (403), others do not see the round.
ROUND_ACT = dict(admin=302, national=403, regional=302)
# The municipality's report: itself, the region's reviewers, the national expert.
MINE = dict(admin=200, national=200, regional=200, municipal=200)
MINE_POST = dict(admin=302, national=302, regional=302, municipal=302)
ORGANIZERS = dict(admin=200, national=200, regional=200, outsider=200)
PLAN_EDITORS = dict(admin=200, regional=200)


def _pdf(role, objects):
    return {"file": SimpleUploadedFile("prilozhenie.pdf", b"%PDF-1.4 matrix", content_type="application/pdf")}


CASES = [
    case("overview", "monitoring:overview", SIGNED_IN),
    case("my-reports", "monitoring:my_reports", SIGNED_IN),
    case("round-list", "monitoring:round_list", SIGNED_IN),
    case("round-create", "monitoring:round_create", expect(403, anonymous=302, **ORGANIZERS)),
    case("round-detail", "monitoring:round_detail", expect(404, anonymous=302, **ROUND_READ), **ROUND),
    case("round-edit", "monitoring:round_edit", expect(404, anonymous=302, admin=200, national=403, regional=200), **ROUND),
    case("round-assign", "monitoring:round_assign", expect(404, anonymous=302, **ROUND_ACT), method="post", data={}, **ROUND),
    case(
        "round-action", "monitoring:round_action", expect(404, anonymous=302, **ROUND_ACT), method="post",
        kwargs=lambda o: {"pk": o["mon_round"].pk, "action": "open"},
    ),
    case("round-completeness", "monitoring:round_completeness_xlsx", expect(404, anonymous=302, **ROUND_READ), **ROUND),
    case("round-report", "monitoring:round_report", expect(404, anonymous=302, **ROUND_ACT), method="post", data={"fmt": "xml"}, **ROUND),
    case("report", "monitoring:report", expect(404, anonymous=302, **ROUND_READ), **REPORT),
    case("report-download", "monitoring:report_download", expect(404, anonymous=302, **ROUND_READ), **REPORT),
    case("national-summary", "monitoring:national_summary", expect(403, anonymous=302, admin=200, national=200)),
    case("submission-own", "monitoring:submission", expect(404, anonymous=302, **MINE), **SUBMISSION),
    # Another municipality's report: not the municipal expert of Велико Търново.
    case("submission-other", "monitoring:submission", expect(404, anonymous=302, admin=200, national=200, regional=200), **OTHER_SUBMISSION),
    case(
        "submission-review", "monitoring:submission_review",
        expect(404, anonymous=302, admin=302, regional=302, national=403, municipal=403), method="post",
        data={"action": "accept"}, **SUBMISSION,
    ),
    # Attaching is the respondent's: the reviewers and the national expert are refused.
    case(
        "submission-attach", "monitoring:submission_attach",
        expect(404, anonymous=302, admin=302, municipal=302, regional=403, national=403), method="post", data=_pdf, **SUBMISSION,
    ),
    case("submission-decision", "monitoring:submission_decision", expect(404, anonymous=302, **MINE_POST), method="post", data={}, **SUBMISSION),
    case("submission-xlsx", "monitoring:submission_xlsx", expect(404, anonymous=302, **MINE), **SUBMISSION),
    case("submission-upload", "monitoring:submission_upload", expect(404, anonymous=302, **MINE_POST), method="post", data={}, **SUBMISSION),
    case("submission-file", "monitoring:submission_file", expect(404, anonymous=302, **MINE), kwargs=lambda o: {"pk": o["mon_file"].pk}),
    case("template-list", "monitoring:template_list", SIGNED_IN),
    case("template-build", "monitoring:template_build", expect(403, anonymous=302, **ORGANIZERS)),
    case("template-detail", "monitoring:template_detail", SIGNED_IN, **TEMPLATE),
    case("template-xlsx", "monitoring:template_xlsx", SIGNED_IN, **TEMPLATE),
    # The regional strategy is adopted (published): everyone signed in reads its logical framework.
    case("logframe", "monitoring:logframe", SIGNED_IN, **PLAN),
    case("logframe-export", "monitoring:logframe_export", SIGNED_IN, kwargs=lambda o: {"plan_pk": o["plan_regional"].pk, "fmt": "xlsx"}),
    case("indicator-create", "monitoring:indicator_create", expect(403, anonymous=302, **PLAN_EDITORS), **PLAN),
    case("indicator-detail", "monitoring:indicator_detail", SIGNED_IN, **INDICATOR),
    # A published service: everyone signed in reads its indicators.
    case("service-indicators", "monitoring:service_indicators", SIGNED_IN, kwargs=lambda o: {"service_pk": o["ss_ngo_service"].pk}),
    case("indicator-edit", "monitoring:indicator_edit", expect(403, anonymous=302, **PLAN_EDITORS), **INDICATOR),
    # It has values: the editors are told it cannot be deleted; others may not.
    case("indicator-delete", "monitoring:indicator_delete", expect(403, anonymous=302, admin=302, regional=302), method="post", **INDICATOR),
    case(
        "target-add", "monitoring:target_add", expect(403, anonymous=302, admin=302, regional=302), method="post",
        data={"label": "2019", "due_on": "2019-12-31", "value": "12"}, **INDICATOR,
    ),
    # The administrator (first in order) deletes the target; after that it is gone for everyone.
    case("target-delete", "monitoring:target_delete", expect(404, anonymous=302, admin=302), method="post", kwargs=lambda o: {"pk": o["mon_target"].pk}),
    # The evidence of a value of Велико Търново: its municipality, its region, the national expert.
    case("evidence", "monitoring:evidence_download", expect(404, anonymous=302, **MINE), kwargs=lambda o: {"pk": o["mon_evidence"].pk}),
    *MEETING_CASES,
    *DASHBOARD_CASES,
]


def objects(users, plans: dict) -> dict:
    from django.core.files.base import ContentFile

    from socplan.monitoring import services
    from socplan.monitoring.models import (
        Deadline,
        Evidence,
        FormTemplate,
        Indicator,
        Report,
        Submission,
        SubmissionFile,
        Target,
        Value,
    )
    from socplan.organizations.models import Organization
    from socplan.territory.models import Municipality

    admin = users["admin"]
    organizer = Organization.objects.get(kind=Organization.Kind.REGIONAL_ADMINISTRATION, region__code="VTR")
    template = FormTemplate.objects.create(
        code="matrix-form", name="Доклад",
        schema={"sections": [{"title": "Общо", "items": [{"key": "team", "type": "text", "label": "Екип"}]}]},
    )
    round = services.round_create(
        user=admin, name="Мониторинг 2016", organizer=organizer, plan=plans["plan_regional"],
        period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2016, 12, 31),
        deadlines=[(Deadline.Kind.SUBMISSION, "Доклади", datetime.date(2099, 10, 10))],
    )
    mine = Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="VTR04")
    other = Organization.objects.get(kind=Organization.Kind.MUNICIPALITY, municipality__code="VTR06")
    services.assignments_add(user=admin, round=round, template=template, respondents=[mine, other])
    services.round_open(user=admin, round=round)
    submission = Submission.objects.get(assignment__round=round, assignment__respondent=mine)
    attached = SubmissionFile.objects.create(
        submission=submission, file=ContentFile(b"%PDF-1.4", name="a.pdf"), name="a.pdf", sha256="0" * 64, size=8
    )
    report = Report.objects.create(round=round, fmt="docx", status=Report.Status.DONE, file=ContentFile(b"PK", name="doklad.docx"))
    indicator = Indicator.objects.create(plan=plans["plan_regional"], node_key=plans["plan_regional_goal"].key, code="1", name="Деца в ЦОП")
    target = Target.objects.create(indicator=indicator, label="2018", due_on=datetime.date(2018, 12, 31), value=40)
    vtr04 = Municipality.objects.get(code="VTR04")
    value = Value.objects.create(
        indicator=indicator, period_start=datetime.date(2016, 1, 1), period_end=datetime.date(2016, 12, 31), unit_code="VTR04",
        municipality=vtr04, region_id=vtr04.region_id, value=12,
    )
    evidence = Evidence.objects.create(value=value, file=ContentFile(b"%PDF-1.4", name="e.pdf"), name="e.pdf", sha256="0" * 64, size=8)
    return {
        "mon_round": round,
        "mon_submission": submission,
        "mon_other_submission": Submission.objects.get(assignment__round=round, assignment__respondent=other),
        "mon_file": attached,
        "mon_report": report,
        "mon_template": template,
        "mon_indicator": indicator,
        "mon_target": target,
        "mon_evidence": evidence,
        **meeting_objects(users),
        **dashboard_objects(users),
    }
