from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="plan-list"),
    path("new/", views.plan_create, name="plan-create"),
    path("public/", views.public_list, name="public-list"),
    path("public/<int:pk>/", views.public_detail, name="public-detail"),
    path("<int:pk>/", views.plan_detail, name="plan-detail"),
    path("<int:pk>/edit/", views.plan_update, name="plan-update"),
    path("<int:pk>/content/", views.version_update, name="version-update"),
    path("<int:pk>/tree/", views.plan_tree, name="plan-tree"),
    path("<int:pk>/tree/add/", views.node_add, name="node-add"),
    path("<int:pk>/tree/<int:node_pk>/", views.node_edit, name="node-edit"),
    path("<int:pk>/tree/<int:node_pk>/align/", views.node_align, name="node-align"),
    path("<int:pk>/tree/<int:node_pk>/<str:action>/", views.node_action, name="node-action"),
    path("<int:pk>/diff/", views.plan_diff, name="plan-diff"),
    path("<int:pk>/update/", views.update_create, name="update-create"),
    path("<int:pk>/adopt/", views.plan_adopt, name="plan-adopt"),
    path("<int:pk>/status/<str:action>/", views.plan_status, name="plan-status"),
    path("<int:pk>/stages/", views.plan_stages, name="plan-stages"),
    path("<int:pk>/sections/", views.plan_sections, name="plan-sections"),
    path("<int:pk>/sections/<str:part>/<int:item_pk>/delete/", views.section_delete, name="section-delete"),
    path("<int:pk>/consultation/", views.plan_consultation, name="plan-consultation"),
    path("<int:pk>/consultation/withdraw/", views.consultation_withdraw, name="consultation-withdraw"),
    path("<int:pk>/consultation/summary/", views.consultation_summary, name="consultation-summary"),
    path("<int:pk>/comments/<int:comment_pk>/", views.comment_moderate, name="comment-moderate"),
    path("<int:pk>/documents/", views.document_add, name="document-add"),
    path("<int:pk>/documents/<int:document_pk>/", views.document_download, name="document-download"),
    path("<int:pk>/coverage/", views.plan_coverage, name="plan-coverage"),
    path("<int:pk>/import/", views.plan_import, name="plan-import"),
    path("<int:pk>/import/<int:job_pk>/", views.import_preview, name="import-preview"),
    path("<int:pk>/export/<str:fmt>/", views.plan_export, name="plan-export"),
    path("<int:pk>/exports/<int:export_pk>/", views.export_status, name="export-status"),
]
