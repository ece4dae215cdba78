"""Changes in monitoring. Every function checks who may make the change, validates, and is atomic."""

from .evaluations import (
    evaluation_complete,
    evaluation_link_update,
    evaluation_save,
    evaluation_start_update,
    finding_save,
)
from .indicators import evidence_add, indicator_delete, indicator_save, target_delete, target_set, value_record
from .meetings import (
    agenda_item_delete,
    agenda_item_save,
    attendance_from_body,
    attendance_set,
    decision_delete,
    decision_save,
    follow_up_close,
    follow_up_reopen,
    follow_ups_add,
    meeting_save,
)
from .reports import report_request
from .rounds import (
    assignment_remove,
    assignments_add,
    deadline_set,
    reminders_send,
    respondent_candidates,
    round_close,
    round_create,
    round_open,
    round_update,
    submission_accept,
    submission_attach,
    submission_decision,
    submission_return,
    submission_save,
    submission_submit,
    submission_upload,
    values_from_submission,
)
from .templates import template_save

__all__ = [
    "agenda_item_delete", "agenda_item_save", "assignment_remove", "assignments_add", "attendance_from_body",
    "attendance_set", "deadline_set", "decision_delete", "decision_save", "evaluation_complete", "evaluation_link_update",
    "evaluation_save", "evaluation_start_update", "evidence_add", "finding_save", "follow_up_close",
    "follow_up_reopen", "follow_ups_add", "indicator_delete", "indicator_save", "meeting_save", "reminders_send",
    "report_request", "respondent_candidates", "round_close", "round_create", "round_open", "round_update",
    "submission_accept", "submission_attach", "submission_decision", "submission_return", "submission_save",
    "submission_submit", "submission_upload", "target_delete", "target_set", "template_save", "value_record",
    "values_from_submission",
]
