from django.urls import include, path

from .views import builder, indicators, rounds

app_name = "monitoring"

urlpatterns = [
    path("", rounds.overview, name="overview"),
    path("my/", rounds.my_reports, name="my_reports"),
    # Rounds
    path("rounds/", rounds.round_list, name="round_list"),
    path("rounds/new/", rounds.round_create, name="round_create"),
    path("rounds/<int:pk>/", rounds.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", rounds.round_edit, name="round_edit"),
    path("rounds/<int:pk>/assign/", rounds.round_assign, name="round_assign"),
    path("rounds/<int:pk>/completeness.xlsx", rounds.round_completeness_xlsx, name="round_completeness_xlsx"),
    path("rounds/<int:pk>/report/", rounds.round_report, name="round_report"),
    path("rounds/<int:pk>/<str:action>/", rounds.round_action, name="round_action"),
    path("reports/<int:pk>/", rounds.report, name="report"),
    path("reports/<int:pk>/download/", rounds.report_download, name="report_download"),
    path("national-summary/", rounds.national_summary, name="national_summary"),
    # Reports of respondents
    path("submissions/<int:pk>/", rounds.submission, name="submission"),
    path("submissions/<int:pk>/review/", rounds.submission_review, name="submission_review"),
    path("submissions/<int:pk>/attach/", rounds.submission_attach, name="submission_attach"),
    path("submissions/<int:pk>/decision/", rounds.submission_decision, name="submission_decision"),
    path("submissions/<int:pk>/form.xlsx", rounds.submission_xlsx, name="submission_xlsx"),
    path("submissions/<int:pk>/upload/", rounds.submission_upload, name="submission_upload"),
    path("files/<int:pk>/", rounds.submission_file, name="submission_file"),
    # Templates
    path("templates/", rounds.template_list, name="template_list"),
    path("templates/new/", builder.template_build, name="template_build"),
    path("templates/<int:pk>/", rounds.template_detail, name="template_detail"),
    path("templates/<int:pk>/form.xlsx", rounds.template_xlsx, name="template_xlsx"),
    # Indicators
    path("plans/<int:plan_pk>/logframe/", indicators.logframe, name="logframe"),
    path("plans/<int:plan_pk>/logframe.<str:fmt>", indicators.logframe_export, name="logframe_export"),
    path("plans/<int:plan_pk>/indicators/new/", indicators.indicator_create, name="indicator_create"),
    path("services/<int:service_pk>/indicators/", indicators.service_indicators, name="service_indicators"),
    path("indicators/<int:pk>/", indicators.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/edit/", indicators.indicator_edit, name="indicator_edit"),
    path("indicators/<int:pk>/delete/", indicators.indicator_delete, name="indicator_delete"),
    path("indicators/<int:pk>/targets/", indicators.target_add, name="target_add"),
    path("targets/<int:pk>/delete/", indicators.target_delete, name="target_delete"),
    path("evidence/<int:pk>/", indicators.evidence_download, name="evidence_download"),
]

# Meetings, evaluations and dashboards have their own url modules.
for _module in ("urls_meetings", "urls_evaluations", "urls_dashboards"):
    try:
        urlpatterns.append(path("", include(f"socplan.monitoring.{_module}")))
    except ImportError:  # pragma: no cover - while the module is being written
        pass
