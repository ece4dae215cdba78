"""Forms described as data: the schema of a template, reading answers, checking them.

A template's schema::

    {"sections": [
        {"key": "general", "title": "…", "help": "…", "items": [
            {"key": "staff", "type": "integer", "label": "…", "required": true, "min": 0, "max": 500,
             "prefill": "municipality.population", "indicator": "1.2.a"},
            {"key": "services", "type": "table", "label": "…", "prefill": "services",
             "min_rows": 1, "max_rows": 300,
             "columns": [{"key": "name", "type": "text", "label": "…", "readonly": true}, …],
             "row_rules": [{"type": "lte", "left": "users", "right": "capacity"}]}]}],
     "rules": [{"type": "sum_equals", "table": "services", "column": "users", "question": "users_total"},
               {"type": "lte", "left": "complaints_upheld", "right": "complaints"}]}

A question may be required only for some answer of another:
``"required_if": {"question": "adopted", "equals": true}``.

Question types: integer, number, text, longtext, date, choice (with "choices"), yesno, file; a
"table" item repeats its columns (same types except file and table) once per row. Answers are kept
as JSON: numbers as canonical decimal strings (no float rounding), dates as ISO strings, yes/no as
booleans, a file as the list of SubmissionFile ids, a table as a list of row objects; prefilled
rows carry their origin in "_ref" (e.g. "service:12", "indicator:5", "municipality:SFO07").
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.formats import date_format
from django.utils.translation import gettext as _

QUESTION_TYPES = ("integer", "number", "text", "longtext", "date", "choice", "yesno", "file")
COLUMN_TYPES = ("integer", "number", "text", "longtext", "date", "choice", "yesno")
QUESTION_PREFILLS = (
    "respondent.name",
    "municipality.name",
    "municipality.population",
    "round.period",
    "services.count",
    "services.capacity",
    "services.users",
    "previous",
)
TABLE_PREFILLS = ("services", "indicators", "municipalities", "target_groups", "previous")
ROW_RULES = ("lte", "gte")
FORM_RULES = ("sum_equals", "sum_lte", "lte", "gte")
# Rules between two number questions of the form ("complaints upheld ≤ complaints received").
COMPARE_RULES = ("lte", "gte")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ROWS = 1000
MAX_TEXT = 20000


class SchemaError(ValueError):
    """The template itself is wrong (a form builder mistake); the message names the place."""


@dataclass
class FieldError:
    item: str
    message: str
    row: int | None = None
    column: str | None = None

    @property
    def anchor(self) -> str:
        if self.row is None:
            return f"q-{self.item}"
        return f"t-{self.item}-{self.row}-{self.column}" if self.column else f"t-{self.item}"


@dataclass
class Checked:
    answers: dict
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- The schema ---------------------------------------------------------------------------------


def items(schema: dict):
    """Every item (question or table) in order, with its section."""
    for section in schema.get("sections", []):
        for item in section.get("items", []):
            yield section, item


def item_map(schema: dict) -> dict[str, dict]:
    return {item["key"]: item for _section, item in items(schema)}


def schema_check(schema: dict) -> dict:
    """Check a template's schema and return it; raise SchemaError naming the first mistake."""
    try:
        return _schema_check(schema)
    except SchemaError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        raise SchemaError(_("The form is malformed: %(error)s") % {"error": error}) from None


def _schema_check(schema: dict) -> dict:
    if not isinstance(schema, dict) or not isinstance(schema.get("sections"), list) or not schema["sections"]:
        raise SchemaError(_("A form needs at least one section."))
    seen: set[str] = set()
    for s_index, section in enumerate(schema["sections"], 1):
        if not isinstance(section, dict) or not str(section.get("title", "")).strip():
            raise SchemaError(_("Section %(n)s has no title.") % {"n": s_index})
        if not isinstance(section.get("items", []), list):
            raise SchemaError(_("Section %(n)s has no list of fields.") % {"n": s_index})
        for item in section.get("items", []):
            if not isinstance(item, dict):
                raise SchemaError(_("Section %(n)s holds something that is not a field.") % {"n": s_index})
            _item_check(item, seen, section["title"])
    questions = item_map(schema)
    for _section, item in items(schema):
        condition = item.get("required_if")
        if condition and condition["question"] not in questions:
            raise SchemaError(_("The condition of “%(key)s” names a question that is not in the form.") % {"key": item["key"]})
    for rule in schema.get("rules", []):
        kind = rule.get("type")
        if kind not in FORM_RULES:
            raise SchemaError(_("Unknown form rule “%(rule)s”.") % {"rule": kind})
        if kind in COMPARE_RULES:
            for side in ("left", "right"):
                question = questions.get(rule.get(side, ""))
                if question is None or question["type"] not in ("integer", "number"):
                    raise SchemaError(_("A comparison rule must name two number questions of this form."))
            continue
        table = questions.get(rule.get("table", ""))
        if table is None or table["type"] != "table":
            raise SchemaError(_("The rule “%(rule)s” names no table of this form.") % {"rule": kind})
        numeric = {c["key"] for c in table["columns"] if c["type"] in ("integer", "number")}
        if rule.get("column") not in numeric:
            raise SchemaError(_("The rule “%(rule)s” names no number column of the table “%(table)s”.") % {"rule": kind, "table": table["label"]})
        target = questions.get(rule.get("question", ""))
        if target is None or target["type"] not in ("integer", "number"):
            raise SchemaError(_("The rule “%(rule)s” must name a number question of this form.") % {"rule": kind})
    return schema


def _item_check(item: dict, seen: set[str], section_title: str) -> None:
    key = item.get("key", "")
    where = {"key": key, "section": section_title}
    if not isinstance(key, str) or not KEY.match(key):
        raise SchemaError(_("“%(key)s” in section “%(section)s” is not a valid field key (small Latin letters, digits, _).") % where)
    if key in seen:
        raise SchemaError(_("The field key “%(key)s” is used twice.") % where)
    seen.add(key)
    if not str(item.get("label", "")).strip():
        raise SchemaError(_("The field “%(key)s” has no label.") % where)
    kind = item.get("type")
    if kind == "table":
        columns = item.get("columns") or []
        if not columns:
            raise SchemaError(_("The table “%(key)s” has no columns.") % where)
        column_keys: set[str] = set()
        for column in columns:
            ckey = column.get("key", "")
            if not isinstance(ckey, str) or not KEY.match(ckey) or ckey in column_keys:
                raise SchemaError(_("The table “%(key)s” has a missing, invalid or repeated column key “%(column)s”.") % {**where, "column": ckey})
            column_keys.add(ckey)
            if column.get("type") not in COLUMN_TYPES:
                raise SchemaError(_("The column “%(column)s” of “%(key)s” has an unknown type.") % {**where, "column": ckey})
            if not str(column.get("label", "")).strip():
                raise SchemaError(_("The column “%(column)s” of “%(key)s” has no label.") % {**where, "column": ckey})
            _choices_check(column, where)
        numeric = {c["key"] for c in columns if c["type"] in ("integer", "number")}
        for rule in item.get("row_rules", []):
            if rule.get("type") not in ROW_RULES or rule.get("left") not in numeric or rule.get("right") not in numeric:
                raise SchemaError(_("A row rule of the table “%(key)s” must compare two number columns.") % where)
        if item.get("prefill") and item["prefill"] not in TABLE_PREFILLS:
            raise SchemaError(_("The table “%(key)s” has an unknown prefill source.") % where)
        low, high = int(item.get("min_rows") or 0), int(item.get("max_rows") or MAX_ROWS)
        if low < 0 or low > high:
            raise SchemaError(_("The table “%(key)s” needs more rows than it allows.") % where)
        return
    if kind not in QUESTION_TYPES:
        raise SchemaError(_("The field “%(key)s” has an unknown type.") % where)
    condition = item.get("required_if")
    if condition is not None and (not isinstance(condition, dict) or not KEY.match(str(condition.get("question", ""))) or "equals" not in condition):
        raise SchemaError(_("The condition of “%(key)s” must name a question and the answer that makes it required.") % where)
    _choices_check(item, where)
    if item.get("prefill") and item["prefill"] not in QUESTION_PREFILLS:
        raise SchemaError(_("The field “%(key)s” has an unknown prefill source.") % where)
    numeric_prefills = ("municipality.population", "services.count", "services.capacity", "services.users")
    if item.get("prefill") in numeric_prefills and kind not in ("integer", "number"):
        raise SchemaError(_("The field “%(key)s” is filled with a number, so it must be a number field.") % where)
    if item.get("indicator") and kind not in ("integer", "number"):
        raise SchemaError(_("Only a number field can give an indicator's value (“%(key)s”).") % where)


def _choices_check(item: dict, where: dict) -> None:
    if item.get("type") == "choice":
        choices = item.get("choices")
        if not isinstance(choices, list) or not [c for c in choices if str(c).strip()]:
            raise SchemaError(_("The choice field “%(key)s” lists no choices.") % where)
        if len({str(c).strip().lower() for c in choices}) != len(choices):
            raise SchemaError(_("The choice field “%(key)s” lists a choice twice.") % where)
    for bound in ("min", "max"):
        if bound in item and item[bound] not in (None, ""):
            try:
                Decimal(str(item[bound]))
            except InvalidOperation:
                raise SchemaError(_("The limit of “%(key)s” is not a number.") % where) from None


# --- Reading values -----------------------------------------------------------------------------


def parse_number(raw) -> Decimal | None:
    """A number as people type it: "1 234,5", "1234.5", "12 %". Empty gives None; else ValueError."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "").rstrip("%")
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite():
        raise ValueError(raw)
    return value


def parse_date(raw) -> datetime.date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    text = str(raw).strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text.rstrip(" г."), fmt).date()
        except ValueError:
            continue
    raise ValueError(raw)


def canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _value(spec: dict, raw, label: str) -> tuple[object, str | None]:
    """One answer: its stored form and an error message (or None)."""
    kind = spec["type"]
    if kind in ("integer", "number"):
        try:
            number = parse_number(raw)
        except ValueError:
            return raw, _("“%(value)s” is not a number.") % {"value": raw}
        if number is None:
            return None, None
        if kind == "integer" and number != number.to_integral_value():
            return raw, _("Enter a whole number.")
        low, high = spec.get("min"), spec.get("max")
        if low not in (None, "") and number < Decimal(str(low)):
            return canonical(number), _("The value must be at least %(min)s.") % {"min": low}
        if high not in (None, "") and number > Decimal(str(high)):
            return canonical(number), _("The value must be at most %(max)s.") % {"max": high}
        return canonical(number), None
    if kind == "date":
        try:
            day = parse_date(raw)
        except ValueError:
            return raw, _("“%(value)s” is not a date (day.month.year).") % {"value": raw}
        return (day.isoformat() if day else None), None
    if kind == "yesno":
        if raw in (None, ""):
            return None, None
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in ("yes", "да", "true", "1", "on", "y", "д"):
            return True, None
        if text in ("no", "не", "false", "0", "off", "n", "н"):
            return False, None
        return raw, _("Answer yes or no.")
    if kind == "choice":
        if raw in (None, ""):
            return None, None
        choices = [str(c) for c in spec.get("choices", [])]
        text = str(raw).strip()
        for choice in choices:
            if choice.lower() == text.lower():
                return choice, None
        return text, _("Choose one of: %(choices)s.") % {"choices": "; ".join(choices)}
    if kind == "file":
        ids = [int(x) for x in (raw or []) if str(x).isdigit()]
        return (ids or None), None
    text = "" if raw is None else str(raw).strip()
    if len(text) > MAX_TEXT:
        return text[:MAX_TEXT], _("The text is longer than %(n)s characters.") % {"n": MAX_TEXT}
    return (text or None), None


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def check(schema: dict, raw_answers: dict, *, for_submit: bool) -> Checked:
    """Normalise the answers and check them against the schema.

    A draft keeps everything typed (wrong values included, so nothing is lost) and reports only
    format errors; `for_submit` adds the required fields, row counts and the rules.
    """
    answers: dict = {}
    errors: list[FieldError] = []
    for _section, item in items(schema):
        key = item["key"]
        raw = raw_answers.get(key)
        if item["type"] == "table":
            rows = raw if isinstance(raw, list) else []
            clean_rows = []
            for r_index, row in enumerate(rows[:MAX_ROWS]):
                row = row if isinstance(row, dict) else {}
                clean = {"_ref": row["_ref"]} if row.get("_ref") else {}
                for column in item["columns"]:
                    value, message = _value(column, row.get(column["key"]), column["label"])
                    clean[column["key"]] = value
                    if message:
                        errors.append(FieldError(key, message, r_index, column["key"]))
                    elif for_submit and column.get("required") and _empty(value):
                        errors.append(FieldError(key, _("Required."), r_index, column["key"]))
                if for_submit:
                    errors.extend(_row_rules(item, clean, r_index))
                clean_rows.append(clean)
            if len(rows) > MAX_ROWS:
                errors.append(FieldError(key, _("A table holds at most %(n)s rows.") % {"n": MAX_ROWS}, None))
            answers[key] = clean_rows
            if for_submit:
                low, high = int(item.get("min_rows") or 0), int(item.get("max_rows") or MAX_ROWS)
                if len(clean_rows) < low:
                    errors.append(FieldError(key, _("Fill at least %(n)s rows.") % {"n": low}))
                if len(clean_rows) > high:
                    errors.append(FieldError(key, _("Fill at most %(n)s rows.") % {"n": high}))
            continue
        value, message = _value(item, raw, item["label"])
        answers[key] = value
        if message:
            errors.append(FieldError(key, message))
        elif for_submit and item.get("required") and _empty(value):
            errors.append(FieldError(key, _("Required.")))
    if for_submit:
        errors.extend(_conditions(schema, answers, {e.item for e in errors}))
    if for_submit and not errors:
        errors.extend(_form_rules(schema, answers))
    return Checked(answers, errors)


def _conditions(schema: dict, answers: dict, already: set[str]) -> list[FieldError]:
    """Questions required only for some answer of another ("the council decision, when adopted")."""
    errors = []
    questions = item_map(schema)
    for _section, item in items(schema):
        condition = item.get("required_if")
        if not condition or item["key"] in already or not _empty(answers.get(item["key"])):
            continue
        other = questions.get(condition["question"])
        if other is not None and answers.get(condition["question"]) == condition["equals"]:
            errors.append(FieldError(item["key"], _("Required, because of the answer to “%(question)s”.") % {"question": other["label"]}))
    return errors


def _row_rules(item: dict, row: dict, r_index: int) -> list[FieldError]:
    errors = []
    labels = {c["key"]: c["label"] for c in item["columns"]}
    for rule in item.get("row_rules", []):
        left, right = row.get(rule["left"]), row.get(rule["right"])
        if left is None or right is None:
            continue
        try:
            a, b = Decimal(left), Decimal(right)
        except (InvalidOperation, TypeError):
            continue
        broken = a > b if rule["type"] == "lte" else a < b
        if broken:
            template = (
                _("“%(left)s” (%(a)s) must not be more than “%(right)s” (%(b)s).")
                if rule["type"] == "lte"
                else _("“%(left)s” (%(a)s) must not be less than “%(right)s” (%(b)s).")
            )
            message = rule.get("message") or template % {"left": labels[rule["left"]], "right": labels[rule["right"]], "a": left, "b": right}
            errors.append(FieldError(item["key"], message, r_index, rule["left"]))
    return errors


def _form_rules(schema: dict, answers: dict) -> list[FieldError]:
    errors = []
    questions = item_map(schema)
    for rule in schema.get("rules", []):
        if rule["type"] in COMPARE_RULES:
            errors.extend(_compare(rule, answers, questions))
            continue
        rows = answers.get(rule["table"]) or []
        total = sum((Decimal(r[rule["column"]]) for r in rows if r.get(rule["column"]) not in (None, "")), Decimal(0))
        target = answers.get(rule["question"])
        if target is None:
            continue
        expected = Decimal(target)
        table, question = questions[rule["table"]], questions[rule["question"]]
        column = next(c for c in table["columns"] if c["key"] == rule["column"])
        names = {"column": column["label"], "table": table["label"], "question": question["label"], "sum": canonical(total), "value": target}
        if rule["type"] == "sum_equals" and total != expected:
            errors.append(FieldError(rule["question"], rule.get("message") or _("The sum of “%(column)s” in “%(table)s” is %(sum)s, but “%(question)s” is %(value)s.") % names))
        if rule["type"] == "sum_lte" and total > expected:
            errors.append(FieldError(rule["question"], rule.get("message") or _("The sum of “%(column)s” in “%(table)s” (%(sum)s) is more than “%(question)s” (%(value)s).") % names))
    return errors


def _compare(rule: dict, answers: dict, questions: dict) -> list[FieldError]:
    left, right = answers.get(rule["left"]), answers.get(rule["right"])
    if left in (None, "") or right in (None, ""):
        return []
    a, b = Decimal(str(left)), Decimal(str(right))
    names = {"left": questions[rule["left"]]["label"], "right": questions[rule["right"]]["label"], "a": left, "b": right}
    if rule["type"] == "lte" and a > b:
        return [FieldError(rule["left"], rule.get("message") or _("“%(left)s” (%(a)s) must not be more than “%(right)s” (%(b)s).") % names)]
    if rule["type"] == "gte" and a < b:
        return [FieldError(rule["left"], rule.get("message") or _("“%(left)s” (%(a)s) must not be less than “%(right)s” (%(b)s).") % names)]
    return []


def protect(schema: dict, raw: dict, stored: dict) -> dict:
    """What the respondent may not change, taken from the stored answers instead of the browser:
    read-only questions and cells, and the origin ("_ref") of prefilled rows. A row whose "_ref" is
    not one of the stored rows loses it (so a forged reference can never point a row at an
    indicator or a service); a read-only cell of a row added by the respondent stays empty."""
    result = dict(raw)
    for _section, item in items(schema):
        key = item["key"]
        if item["type"] == "table":
            stored_rows = {str(r.get("_ref")): r for r in stored.get(key) or [] if isinstance(r, dict) and r.get("_ref")}
            readonly = [c["key"] for c in item["columns"] if c.get("readonly")]
            rows = []
            for row in raw.get(key) or []:
                if not isinstance(row, dict):
                    continue
                row = dict(row)
                origin = stored_rows.get(str(row.get("_ref") or ""))
                if origin is None:
                    row.pop("_ref", None)
                for column in readonly:
                    row[column] = origin.get(column) if origin is not None else None
                rows.append(row)
            result[key] = rows
        elif item.get("readonly"):
            result[key] = stored.get(key)
    return result


def from_post(schema: dict, data) -> dict:
    """The raw answers from a submitted HTML form: "q-<key>" fields and "t-<table>-<row>-<column>"
    fields (rows may have gaps after deletions: they are kept in their order)."""
    answers: dict = {}
    for _section, item in items(schema):
        key = item["key"]
        if item["type"] == "table":
            indexes = sorted({int(m.group(1)) for name in data for m in [re.match(rf"^t-{key}-(\d+)-", name)] if m})
            rows = []
            for index in indexes:
                row = {column["key"]: data.get(f"t-{key}-{index}-{column['key']}", "") for column in item["columns"]}
                if column_ref := data.get(f"t-{key}-{index}-_ref"):
                    row["_ref"] = column_ref
                if item.get("drop_empty_rows", True) and not row.get("_ref") and all(str(v).strip() == "" for k, v in row.items()):
                    continue
                rows.append(row)
            answers[key] = rows
        elif item["type"] == "yesno":
            answers[key] = data.get(f"q-{key}", "")
        elif item["type"] == "file":
            continue
        else:
            answers[key] = data.get(f"q-{key}", "")
    return answers


def display(spec: dict, value) -> str:
    """An answer as a person reads it (for the review page, the report and the exports)."""
    if _empty(value):
        return "—"
    kind = spec["type"]
    if kind in ("integer", "number"):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        text = f"{number:,f}".replace(",", "\u00a0")
        return text.replace(".", ",")
    if kind == "date":
        try:
            return date_format(parse_date(value), "d.m.Y")
        except ValueError:
            return str(value)
    if kind == "yesno":
        return _("yes") if value is True else _("no") if value is False else str(value)
    return str(value)
