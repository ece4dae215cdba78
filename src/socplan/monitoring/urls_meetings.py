"""URLs of meetings, decisions and follow-ups (included by monitoring/urls.py, namespace "monitoring")."""

from django.urls import path

from .views import meetings

urlpatterns = [
    path("meetings/", meetings.meeting_list, name="meeting_list"),
    path("meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", meetings.meeting_update, name="meeting_update"),
    path("meetings/<int:pk>/minutes.docx", meetings.meeting_minutes, name="meeting_minutes"),
    path("meetings/<int:pk>/agenda/", meetings.meeting_agenda_add, name="meeting_agenda_add"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/", meetings.meeting_agenda_edit, name="meeting_agenda_edit"),
    path("meetings/<int:pk>/agenda/<int:item_pk>/delete/", meetings.meeting_agenda_delete, name="meeting_agenda_delete"),
    path("meetings/<int:pk>/attendance/", meetings.meeting_attendance, name="meeting_attendance"),
    path("meetings/<int:pk>/attendance/members/", meetings.meeting_attendance_refresh, name="meeting_attendance_refresh"),
    path("meetings/<int:pk>/decisions/", meetings.decision_create, name="decision_create"),
    path("decisions/<int:pk>/", meetings.decision_update, name="decision_update"),
    path("decisions/<int:pk>/delete/", meetings.decision_delete, name="decision_delete"),
    path("decisions/<int:pk>/follow-ups/", meetings.follow_up_create, name="follow_up_create"),
    path("follow-ups/", meetings.follow_up_list, name="follow_up_list"),
    path("follow-ups/<int:pk>/", meetings.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/close/", meetings.follow_up_close, name="follow_up_close"),
    path("follow-ups/<int:pk>/reopen/", meetings.follow_up_reopen, name="follow_up_reopen"),
]
