"""The form engine's rules between questions and its conditional questions."""

import pytest
from django.utils import translation

from socplan.monitoring.forms_engine import SchemaError, check, schema_check

SCHEMA = {
    "sections": [
        {
            "title": "Жалби и решение",
            "items": [
                {"key": "complaints", "type": "integer", "label": "Получени жалби"},
                {"key": "upheld", "type": "integer", "label": "Уважени жалби"},
                {"key": "adopted", "type": "yesno", "label": "Докладът е приет от общинския съвет"},
                {"key": "decision", "type": "text", "label": "Решение №", "required_if": {"question": "adopted", "equals": True}},
            ],
        }
    ],
    "rules": [{"type": "lte", "left": "upheld", "right": "complaints"}],
}


def test_a_rule_between_two_questions():
    schema_check(SCHEMA)
    with translation.override("en"):
        checked = check(SCHEMA, {"complaints": "4", "upheld": "6", "adopted": "no"}, for_submit=True)
    assert [(e.item, "must not be more than" in e.message) for e in checked.errors] == [("upheld", True)]
    assert check(SCHEMA, {"complaints": "6", "upheld": "4", "adopted": "no"}, for_submit=True).ok
    # A draft is not held to the rules.
    assert check(SCHEMA, {"complaints": "4", "upheld": "6"}, for_submit=False).ok


def test_a_question_required_by_the_answer_to_another():
    with translation.override("en"):
        checked = check(SCHEMA, {"complaints": "1", "upheld": "0", "adopted": "yes"}, for_submit=True)
    assert [e.item for e in checked.errors] == ["decision"]
    assert "Докладът е приет" in checked.errors[0].message
    assert check(SCHEMA, {"adopted": "yes", "decision": "№512/26.10.2017"}, for_submit=True).ok
    assert check(SCHEMA, {"adopted": "no"}, for_submit=True).ok


@pytest.mark.parametrize(
    "broken",
    [
        {"rules": [{"type": "lte", "left": "adopted", "right": "complaints"}]},
        {"rules": [{"type": "gte", "left": "complaints", "right": "missing"}]},
        {"condition": {"question": "nowhere", "equals": True}},
        {"condition": "adopted"},
    ],
)
def test_broken_rules_and_conditions_are_named(broken):
    import copy

    schema = copy.deepcopy(SCHEMA)
    if "rules" in broken:
        schema["rules"] = broken["rules"]
    else:
        schema["sections"][0]["items"][3]["required_if"] = broken["condition"]
    with pytest.raises(SchemaError):
        schema_check(schema)
