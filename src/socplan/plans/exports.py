"""Exports of a plan version: the document for the council (DOCX), a PDF and the action plan (XLSX).

All three are built from one read of the version (`collect`): the version with its plan and adoption
act, the nodes in document order with their prefetched relations (`selectors.node_rows`), the
stages, the institutional framework, the partnership instruments and the communication programme —
a fixed number of queries however large the plan, so a strategy of 500 elements exports as fast as
one of five.

Labels go through gettext, so a document comes out in the active language; names, titles and the
citation of the adoption act ("Решение №84/25.03.2016, Протокол №8/25.03.2016", as the model writes
it) stay as they were written. Amounts are written the Bulgarian way ("10 267,00 лв."), dates
dd.mm.yyyy, as in the source documents (000, 001).
"""

from __future__ import annotations

import copy
import io
import logging
import re
import unicodedata
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError

from . import selectors
from .models import (
    LEVEL_ORDER,
    AdoptionAct,
    CommunicationItem,
    Currency,
    FinancingLine,
    Level,
    Node,
    PartnershipInstrument,
    Plan,
    PlanVersion,
    Responsibility,
    Stage,
    StakeholderRole,
)

FORMATS = ("docx", "pdf", "xlsx")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# The fixed rate of the lev to the euro: the currency board's rate since 1999, kept as the
# irrevocable conversion rate of the changeover.
EUR_RATE = Decimal("1.95583")
CENT = Decimal("0.01")
# The levels that make up the action plan table; a plan without them lists its leaves instead.
ACTION_LEVELS = (Level.MEASURE, Level.ACTIVITY)
FONT_SERIF = "Times New Roman"

# How the adopting sentence agrees with the document's noun in Bulgarian (стратегията е приета,
# анализът е приет, предложението е прието).
_GENDER = {
    Plan.Kind.REGIONAL_STRATEGY: "feminine",
    Plan.Kind.MUNICIPAL_STRATEGY: "feminine",
    Plan.Kind.ROMA_STRATEGY: "feminine",
    Plan.Kind.NEEDS_ANALYSIS: "masculine",
    Plan.Kind.PLANNING_PROPOSAL: "neuter",
    Plan.Kind.ANNUAL_PLAN: "masculine",
    Plan.Kind.PROJECT: "masculine",
}

# Characters XML 1.0 cannot hold (text pasted from old Word files carries \x0b, \x0c…): python-docx
# and openpyxl refuse them, so they are dropped before writing.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BULLET = re.compile(r"^\s*(?:[•·▪◦‣●○■□\uf0b7*]|[-–—](?=\s))\s*")


# --- Content shared by the three formats -----------------------------------------------------------


@dataclass
class Block:
    """A paragraph of text, or a bulleted list when `items` is set."""

    text: str = ""
    items: list[str] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return bool(self.items)


@dataclass
class NodeSection:
    """A node as a heading of the goals tree, with its text."""

    node: Node
    heading: int  # 1..5: Word's Heading N, HTML's <hN>
    title: str  # "Мярка 4.2.1. Изграждане на капацитет…"
    blocks: list[Block]
    target_groups: str
    results: list[Block]


@dataclass
class ActionRow:
    """A row of the action plan table: a measure (shown as a shaded group row) or an activity."""

    node: Node
    is_group: bool
    number: str
    title: str
    responsible: list[str]
    period: str
    budget: str
    financing: list[str]
    indicators: list[str]


@dataclass
class StageRow:
    period: str
    title: str
    activities: list[str]


@dataclass
class StakeholderBlock:
    name: str
    items: list[str]


@dataclass
class PartnershipBlock:
    kind: str
    blocks: list[Block]
    partners: str


@dataclass
class CommunicationGroup:
    label: str
    items: list[str]


@dataclass
class MoneyLine:
    label: str
    currency: str
    amount: Decimal

    @property
    def text(self) -> str:
        return money(self.amount, self.currency)


@dataclass
class ExportData:
    """Everything a document shows, read once and formatted in the active language."""

    version: PlanVersion
    plan: Plan
    adoption: AdoptionAct | None
    labels: dict[str, str]
    owner: str
    kind_label: str
    title: str
    territory: str
    period: str
    version_label: str
    status_line: str
    closing: str
    signed_by: list[str]
    vision: list[Block]
    introduction: list[Block]
    nodes: list[Node]
    sections: list[NodeSection]
    action_rows: list[ActionRow]
    budget_totals: list[MoneyLine]
    conversion: str
    financing_totals: list[MoneyLine]
    financing_currency_totals: list[MoneyLine]
    financing_conversion: str
    stages: list[StageRow]
    stakeholders: list[StakeholderBlock]
    partnerships: list[PartnershipBlock]
    communication: list[CommunicationGroup]

    @property
    def budget_total_text(self) -> str:
        """The estimated budget per currency on one line: 13 267,00 лв.; 5 000,00 €."""
        return "; ".join(line.text for line in self.budget_totals)


def _field(model, name: str) -> str:
    """A model field's (translated) verbose name as a label: reuses the catalogue's strings."""
    return capfirst(str(model._meta.get_field(name).verbose_name))


def labels() -> dict[str, str]:
    """The documents' labels in the active language (evaluated per export, not at import)."""
    return {
        "vision": _field(PlanVersion, "vision"),
        "introduction": _field(PlanVersion, "introduction"),
        "expected_results": _field(Node, "expected_results"),
        "target_groups": _field(Node, "target_groups"),
        "action_plan": _("Action plan"),
        "col_number": _("No."),
        "col_activity": _("Measure / activity"),
        "col_responsible": _("Responsible"),
        "col_period": _("Period"),
        "col_budget": _("Budget"),
        "col_financing": _("Financing"),
        "col_indicators": _("Indicators"),
        "budget_total": _("Total estimated budget"),
        "financing_by_source": _("Financing by source"),
        "source": _field(FinancingLine, "source"),
        "programme": _field(FinancingLine, "programme"),
        "currency": _field(FinancingLine, "currency"),
        "amount": _field(FinancingLine, "amount"),
        "total": _("Total"),
        "stages": _("Implementation stages"),
        "stage": _field(Node, "stage"),
        "activities": _field(Stage, "activities"),
        "institutional": _("Institutional framework"),
        "roles": _("Roles and responsibilities in the implementation"),
        "partnership": _("Partnership mechanisms"),
        "partners": _field(PartnershipInstrument, "partners"),
        "communication": _("Communication programme"),
        "level": _field(Node, "level"),
        "number": _field(Node, "number"),
        "title": _field(Node, "title"),
        "from": _field(Node, "starts_on"),
        "to": _field(Node, "ends_on"),
        "budget": _field(Node, "budget"),
        "responsible": _("Responsible"),
        "sheet_action_plan": _("Action plan"),
        "sheet_financing": _("Financing"),
    }


def communication_labels() -> dict[str, str]:
    """Headings of the communication programme's parts, in the order document 001 gives them."""
    Kind = CommunicationItem.Kind
    return {
        Kind.GOAL: _("Goals"),
        Kind.TASK: _("Tasks"),
        Kind.MEASURE: _("Measures"),
        Kind.AUDIENCE: _("Target audiences"),
        Kind.TECHNIQUE: _("Communication techniques"),
        Kind.PERFORMER: _("Carried out by"),
    }


def clean(text: str | None) -> str:
    return _XML_ILLEGAL.sub("", text or "").strip()


def blocks(text: str | None, *, bullets: bool = False) -> list[Block]:
    """Split stored text into paragraphs and bulleted lists.

    Lines that start with a bullet sign (•, -, –…) become list items, the others paragraphs; with
    `bullets` every line is an item (the institutional framework lists a stakeholder's tasks).
    """
    result: list[Block] = []
    for raw in clean(text).splitlines():
        line = raw.strip()
        if not line:
            continue
        match = _BULLET.match(line)
        if match or bullets:
            item = line[match.end() :].strip() if match else line
            if not item:
                continue
            if result and result[-1].is_list:
                result[-1].items.append(item)
            else:
                result.append(Block(items=[item]))
        else:
            result.append(Block(text=line))
    return result


def fmt_date(value: date | None) -> str:
    return f"{value:%d.%m.%Y}" if value else ""


def fmt_period(start: date | None, end: date | None) -> str:
    if start and end:
        return f"{fmt_date(start)} – {fmt_date(end)}"
    if start:
        return _("from %(date)s") % {"date": fmt_date(start)}
    if end:
        return _("until %(date)s") % {"date": fmt_date(end)}
    return ""


def _currency_sign(currency: str) -> str:
    """лв. and € in Bulgarian (as official documents write them), the ISO codes otherwise."""
    if (get_language() or "bg").startswith("bg"):
        return {Currency.BGN: "лв.", Currency.EUR: "€"}.get(currency, currency)
    return currency


def fmt_number(value: Decimal | float, decimals: int = 2) -> str:
    """10 267,00: the separators of the active format module (socplan.formats: comma, no-break space)."""
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    return f"{fmt_number(amount)}\xa0{_currency_sign(currency)}"


def conversion_line(totals: dict[str, Decimal]) -> str:
    """When levs and euros mix, the grand total in both at the fixed rate, stating the rate."""
    bgn, eur = totals.get(Currency.BGN), totals.get(Currency.EUR)
    if not bgn or not eur:
        return ""
    in_bgn = (bgn + eur * EUR_RATE).quantize(CENT, ROUND_HALF_UP)
    in_eur = (eur + bgn / EUR_RATE).quantize(CENT, ROUND_HALF_UP)
    return _("Total at the fixed rate 1 EUR = %(rate)s BGN: %(bgn)s (%(eur)s)") % {
        "rate": fmt_number(EUR_RATE, 5),
        "bgn": money(in_bgn, Currency.BGN),
        "eur": money(in_eur, Currency.EUR),
    }


def level_label(level: str) -> str:
    """The model's level names capitalised for headings: Приоритет, Обща цел, Мярка…"""
    try:
        return capfirst(str(Level(level).label))
    except ValueError:
        return capfirst(level)


def node_heading_text(node: Node) -> str:
    """Level, number and title, as documents 000 and 001 head their elements: Мярка 4.2.1. Изграждане…"""
    title = clean(node.title)
    if node.number:
        return f"{level_label(node.level)} {node.number}. {title}"
    return f"{level_label(node.level)}: {title}"


def _responsible(node: Node) -> list[str]:
    """The responsible as written, then the linked organisations not already named in it."""
    lines = [clean(node.responsible_text)] if node.responsible_text.strip() else []
    written = lines[0] if lines else ""
    for responsibility in node.responsibilities.all():
        name = responsibility.organization.name
        if name in written:
            continue
        if responsibility.role == Responsibility.Role.PARTNER:
            name = f"{name} ({Responsibility.Role.PARTNER.label})"
        lines.append(name)
    return lines


def _financing(node: Node) -> list[str]:
    lines = []
    for line in node.financing.all():
        text = _source_label(line.source)
        if line.programme:
            text += f" – {clean(line.programme)}"
        if line.amount is not None:
            text += f": {money(line.amount, line.currency)}"
        if line.year:
            text += f" ({line.year})"
        lines.append(text)
    return lines


def _source_label(source: str) -> str:
    return str(FinancingLine.Source(source).label) if source in FinancingLine.Source.values else source


def _node_period(node: Node) -> str:
    if node.starts_on or node.ends_on:
        return fmt_period(node.starts_on, node.ends_on)
    if node.stage_id and node.stage is not None:
        return f"{node.stage.title} ({fmt_period(node.stage.starts_on, node.stage.ends_on)})"
    return ""


def budget_totals(nodes: list[Node]) -> dict[str, Decimal]:
    """Estimated budget per currency, counting each amount once.

    A measure's budget is often the sum of its activities' budgets, so adding every row of the table
    would count the money twice: a node's budget counts only when no node below it has one (the
    most detailed figures win).
    """
    parent = {node.pk: node.parent_id for node in nodes}
    covered: set[int] = set()
    for node in nodes:
        if node.budget is None:
            continue
        pk = parent.get(node.pk)
        while pk and pk not in covered:
            covered.add(pk)
            pk = parent.get(pk)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for node in nodes:
        if node.budget is not None and node.pk not in covered:
            totals[node.budget_currency] += node.budget
    return dict(totals)


def financing_totals(nodes: list[Node]) -> dict[tuple[str, str], Decimal]:
    """Money per (source, currency) over all financing lines: the figures of the plan's summary page
    (selectors.version_totals), from the prefetched lines instead of another query."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for node in nodes:
        for line in node.financing.all():
            if line.amount is not None:
                totals[(line.source, line.currency)] += line.amount
    order = {source: index for index, source in enumerate(FinancingLine.Source.values)}
    return dict(sorted(totals.items(), key=lambda item: (order.get(item[0][0], 99), item[0][1])))


def _currency_lines(totals: dict[str, Decimal], label: str) -> list[MoneyLine]:
    return [
        MoneyLine(label, currency, totals[currency]) for currency in Currency.values if currency in totals
    ]


def _action_nodes(nodes: list[Node]) -> list[Node]:
    chosen = [node for node in nodes if node.level in ACTION_LEVELS]
    if chosen:
        return chosen
    parents = {node.parent_id for node in nodes}
    return [node for node in nodes if node.pk not in parents]


def _territory(plan: Plan) -> str:
    if plan.municipality_id:
        return _("Municipality of %(name)s") % {"name": plan.municipality.name}
    if plan.region_id:
        return _("Region of %(name)s") % {"name": plan.region.name}
    return plan.owner.name


def _adopted_with(plan: Plan, adoption: AdoptionAct) -> str:
    """The title page's "Приета с Решение №84/25.03.2016, … на Общински съвет Гулянци".

    The participle agrees with the document's noun; each context is written out, as makemessages
    only finds pgettext calls with a literal context.
    """
    values = {"act": str(adoption), "body": adoption.body.name}
    gender = _GENDER.get(plan.kind, "feminine")
    if gender == "masculine":
        return pgettext("masculine", "Adopted with %(act)s of %(body)s") % values
    if gender == "neuter":
        return pgettext("neuter", "Adopted with %(act)s of %(body)s") % values
    return pgettext("feminine", "Adopted with %(act)s of %(body)s") % values


def _closing(plan: Plan, adoption: AdoptionAct) -> str:
    """The closing line, as document 001 ends: Настоящата Стратегия е приета с Решение №84/… на …"""
    values = {"act": str(adoption), "body": adoption.body.name}
    Kind = Plan.Kind
    if plan.kind == Kind.NEEDS_ANALYSIS:
        return _("This analysis was adopted with %(act)s of %(body)s.") % values
    if plan.kind == Kind.PLANNING_PROPOSAL:
        return _("This proposal was adopted with %(act)s of %(body)s.") % values
    if plan.kind == Kind.ANNUAL_PLAN:
        return _("This plan was adopted with %(act)s of %(body)s.") % values
    if plan.kind == Kind.PROJECT:
        return _("This project was approved with %(act)s of %(body)s.") % values
    return _("This strategy was adopted with %(act)s of %(body)s.") % values


def collect(version: PlanVersion) -> ExportData:
    """Read the version once (a fixed number of queries) and format it in the active language."""
    version = PlanVersion.objects.select_related(
        "plan__owner", "plan__region", "plan__municipality", "adoption__body"
    ).get(pk=version.pk)
    plan = version.plan
    try:
        adoption = version.adoption
    except AdoptionAct.DoesNotExist:
        adoption = None
    nodes = selectors.node_rows(version=version)
    stages = list(Stage.objects.filter(version=version).order_by("starts_on", "order", "id"))
    stakeholders = list(StakeholderRole.objects.filter(version=version).order_by("order", "id"))
    partnerships = list(PartnershipInstrument.objects.filter(version=version).order_by("order", "id"))
    communication = list(CommunicationItem.objects.filter(version=version).order_by("order", "id"))
    names = labels()

    if adoption is not None:
        status_line = _adopted_with(plan, adoption)
        closing = _closing(plan, adoption)
        signed_by = [clean(line) for line in adoption.signed_by.splitlines() if line.strip()]
    else:
        status_line = _("Draft — %(date)s") % {"date": fmt_date(timezone.localdate(version.updated_at))}
        closing, signed_by = "", []

    # Word's and HTML's heading levels follow the levels the tree uses, so a plan that starts at
    # measures still has its top elements as Heading 1.
    used = [level for level in LEVEL_ORDER if any(node.level == level for node in nodes)]
    heading = {level: min(index + 1, 5) for index, level in enumerate(used)}
    sections = [
        NodeSection(
            node=node,
            heading=heading.get(node.level, min(node.depth + 1, 5)),
            title=node_heading_text(node),
            blocks=blocks(node.description),
            target_groups=", ".join(str(group) for group in node.target_groups.all()),
            results=blocks(node.expected_results),
        )
        for node in nodes
    ]
    action_rows = [
        ActionRow(
            node=node,
            is_group=node.level == Level.MEASURE,
            number=node.number,
            title=clean(node.title),
            responsible=_responsible(node),
            period=_node_period(node),
            budget=money(node.budget, node.budget_currency),
            financing=_financing(node),
            # The monitoring app will add real indicators to the nodes; until then this column shows
            # the expected results, which is what the source documents list as the measure of success.
            indicators=[block.text or "; ".join(block.items) for block in blocks(node.expected_results)],
        )
        for node in _action_nodes(nodes)
    ]
    budgets = budget_totals(nodes)
    money_by_source = financing_totals(nodes)
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    for (_source, currency), amount in money_by_source.items():
        per_currency[currency] += amount
    grouped: dict[str, list[str]] = defaultdict(list)
    for item in communication:
        grouped[item.kind].append(clean(item.text))

    return ExportData(
        version=version,
        plan=plan,
        adoption=adoption,
        labels=names,
        owner=plan.owner.name,
        kind_label=str(capfirst(str(plan.get_kind_display()))),
        title=clean(plan.title),
        territory=_territory(plan),
        period=plan.period_label,
        version_label=capfirst(str(version.label)),
        status_line=status_line,
        closing=closing,
        signed_by=signed_by,
        vision=blocks(version.vision),
        introduction=blocks(version.introduction),
        nodes=nodes,
        sections=sections,
        action_rows=action_rows,
        budget_totals=_currency_lines(budgets, names["budget_total"]),
        conversion=conversion_line(budgets),
        financing_totals=[
            MoneyLine(_source_label(source), currency, amount)
            for (source, currency), amount in money_by_source.items()
        ],
        financing_currency_totals=_currency_lines(dict(per_currency), names["total"]),
        financing_conversion=conversion_line(dict(per_currency)),
        stages=[
            StageRow(fmt_period(stage.starts_on, stage.ends_on), clean(stage.title), _lines(stage.activities))
            for stage in stages
        ],
        stakeholders=[
            StakeholderBlock(
                clean(role.stakeholder),
                [i for b in blocks(role.responsibilities, bullets=True) for i in b.items],
            )
            for role in stakeholders
        ],
        partnerships=[
            PartnershipBlock(
                capfirst(str(item.get_kind_display())), blocks(item.description), clean(item.partners)
            )
            for item in partnerships
        ],
        communication=[
            CommunicationGroup(label, grouped[kind])
            for kind, label in communication_labels().items()
            if grouped.get(kind)
        ],
    )


def _lines(text: str) -> list[str]:
    return [_BULLET.sub("", line).strip() for line in clean(text).splitlines() if line.strip()]


# --- File names -------------------------------------------------------------------------------------

# Bulgarian streamlined transliteration (Закон за транслитерацията, 2009), for the ASCII file name
# that old clients fall back to.
# fmt: off
_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s",
    "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sht", "ъ": "a",
    "ь": "y", "ю": "yu", "я": "ya",
}
# fmt: on


def transliterate(text: str) -> str:
    """Стратегия_Гулянци → Strategia_Gulyantsi (-ия at the end of a word is -ia, by the law)."""
    text = re.sub(r"ия(?![^\W_])", "ia", text)
    text = re.sub(r"ИЯ(?![^\W_])", "IA", text)
    out = []
    for char in text:
        latin = _TRANSLIT.get(char.lower())
        if latin is None:
            out.append(char)
        else:
            out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


def _safe_name(text: str) -> str:
    """Letters (Cyrillic kept), digits, - and _; everything else, spaces included, becomes _."""
    text = unicodedata.normalize("NFC", text).replace("–", "-").replace("—", "-")
    text = re.sub(r"[^\w\-]+", "_", text)
    text = re.sub(r"_+", "_", text).strip("_-.")
    return text[:120].rstrip("_-") or "plan"


def export_filename(version: PlanVersion, fmt: str) -> str:
    """The title, the period unless the title has it, the version: Стратегия_Гулянци_2016-2020_v1.docx."""
    plan = version.plan
    base = plan.title
    if str(plan.period_start) not in base:
        base = f"{base} {plan.period_start}" + (
            f"-{plan.period_end}" if plan.period_end != plan.period_start else ""
        )
    return f"{_safe_name(base)}_v{version.number}.{fmt}"


def content_disposition(filename: str) -> str:
    """An attachment header: the UTF-8 name (RFC 5987/6266 `filename*`) and an ASCII fallback."""
    fallback = unicodedata.normalize("NFKD", transliterate(filename)).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback).strip("_") or "download"
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    quoted = urllib.parse.quote(filename, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}"


def export(*, version: PlanVersion, fmt: str) -> tuple[bytes, str, str]:
    """The document in the given format: (content, content type, file name)."""
    writers = {"docx": plan_docx, "pdf": plan_pdf, "xlsx": action_plan_xlsx}
    if fmt not in writers:
        raise ValueError(f"Unknown export format: {fmt}")
    return writers[fmt](version), CONTENT_TYPES[fmt], export_filename(version, fmt)


def _page_parts() -> list[tuple[bool, str]]:
    """The footer "стр. 3 от 12" split around its numbers: (is_field, text or field name) pairs."""
    template = _("page %(page)s of %(pages)s")
    fields = {"%(page)s": "PAGE", "%(pages)s": "NUMPAGES"}
    return [
        (piece in fields, fields.get(piece, piece))
        for piece in re.split(r"(%\(page\)s|%\(pages\)s)", template)
        if piece
    ]


# --- DOCX ---------------------------------------------------------------------------------------------


def plan_docx(version: PlanVersion) -> bytes:
    """The plan as an editable Word document, laid out as the council receives it."""
    return _DocxWriter(collect(version)).render()


class _DocxWriter:
    def __init__(self, data: ExportData):
        from docx import Document

        self.data = data
        self.doc = Document()
        self.styles: dict[int | str, str] = {}
        # The body's final section properties: new paragraphs go just before them.
        self.end = self.doc.element.body.get_or_add_sectPr()

    # Styles and page set-up.

    def _setup(self) -> None:
        from docx.enum.style import WD_STYLE_TYPE
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Cm, Mm, Pt, RGBColor

        doc, styles = self.doc, self.doc.styles
        language = "bg-BG" if (get_language() or "bg").startswith("bg") else "en-GB"
        defaults = styles.element.find(_qn("w:docDefaults"))
        if defaults is not None:
            rpr = defaults.find(_qn("w:rPrDefault") + "/" + _qn("w:rPr"))
            if rpr is not None:
                _set_fonts(rpr, FONT_SERIF)
        normal = styles["Normal"]
        normal.font.size = Pt(12)
        _set_fonts(normal.element.get_or_add_rPr(), FONT_SERIF)
        _set_language(normal.element.get_or_add_rPr(), language)
        normal.paragraph_format.space_after = Pt(6)
        normal.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        sizes = {1: 15, 2: 14, 3: 13, 4: 12, 5: 12}
        for level, size in sizes.items():
            style = styles[f"Heading {level}"]
            style.font.size = Pt(size)
            style.font.bold = True
            style.font.italic = level == 5
            style.font.color.rgb = RGBColor(0, 0, 0)
            _set_fonts(style.element.get_or_add_rPr(), FONT_SERIF)
            style.paragraph_format.space_before = Pt(12 if level <= 2 else 8)
            style.paragraph_format.space_after = Pt(4)
            style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
            self.styles[level] = style.style_id
        for name in ("Title", "Subtitle", "Footer", "List Bullet"):
            _set_fonts(styles[name].element.get_or_add_rPr(), FONT_SERIF)
        styles["Title"].font.color.rgb = RGBColor(0, 0, 0)
        styles["Subtitle"].font.color.rgb = RGBColor(0, 0, 0)
        styles["Footer"].font.size = Pt(9)
        cell = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
        cell.base_style = normal
        cell.font.size = Pt(9.5)
        cell.paragraph_format.space_after = Pt(0)
        cell.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
        # Paragraph styles are applied by id: python-docx's `paragraph.style = …` looks the document's
        # default style up on every call, which made it most of the time of a 500-element plan.
        self.styles["cell"] = cell.style_id
        self.styles["bullet"] = styles["List Bullet"].style_id
        self.grid = styles["Table Grid"]

        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(2.5))
        section.footer_distance = Cm(1.2)
        # The title page carries no page number.
        section.different_first_page_header_footer = True
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for is_field, text in _page_parts():
            if is_field:
                _add_field(footer, text)
            else:
                footer.add_run(text)

        properties = doc.core_properties
        properties.title = self.data.title[:255]
        properties.author = self.data.owner[:255]
        properties.subject = self.data.kind_label[:255]
        properties.language = language

    def render(self) -> bytes:
        self._setup()
        self._title_page()
        self._text_sections()
        self._goals()
        self._action_plan()
        self._stages()
        self._institutional()
        self._partnership()
        self._communication()
        self._closing()
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()

    # Building blocks.

    def paragraph(self, text: str = "", style: str | None = None, *, bold: bool = False):
        """A paragraph at the end of the body (before its final section properties).

        Built directly rather than with Document.add_paragraph, which searches the body for its
        section properties at every call: quadratic in the length of a long plan.
        """
        from docx.oxml import OxmlElement
        from docx.text.paragraph import Paragraph

        element = OxmlElement("w:p")
        self.end.addprevious(element)
        if style:
            element.get_or_add_pPr().style = style
        if text:
            _append_run(element, text, bold=bold)
        return Paragraph(element, self.doc._body)

    def heading(self, text: str, level: int = 1):
        return self.paragraph(text, self.styles[level])

    def blocks(self, items: list[Block]) -> None:
        for block in items:
            if block.is_list:
                for item in block.items:
                    self.paragraph(item, self.styles["bullet"])
            else:
                self.paragraph(block.text)

    def labelled(self, label: str, text: str) -> None:
        paragraph = self.paragraph(f"{label}: ", bold=True)
        _append_run(paragraph._p, text)

    def table(self, headers: list[str], widths_mm: list[float], *, right: tuple[int, ...] = ()) -> _Table:
        """A grid table with a shaded header row repeated on every page; rows are added to it with
        `_Table.add`, copying a prepared empty row (widths, paragraph style, alignment)."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        table = self.doc.add_table(rows=0, cols=len(headers))
        table.style = self.grid
        table.autofit = False
        for column, width in zip(table.columns, widths_mm):
            column.width = Mm(width)
        template = table.add_row()._tr
        for index, tc in enumerate(template.tc_lst):
            paragraph = tc.p_lst[0] if tc.p_lst else tc.add_p()
            paragraph.get_or_add_pPr().style = self.styles["cell"]
            if index in right:
                paragraph.get_or_add_pPr().jc_val = WD_ALIGN_PARAGRAPH.RIGHT
        template.getparent().remove(template)
        result = _Table(table._tbl, template)
        header = result.add([[text] for text in headers], bold=True, fill="D9D9D9")
        _repeat_header(header)
        return result

    def new_section(self, *, landscape: bool) -> None:
        from docx.enum.section import WD_ORIENT, WD_SECTION
        from docx.shared import Mm

        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        section.different_first_page_header_footer = False
        if landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = Mm(297), Mm(210)
        else:
            section.orientation = WD_ORIENT.PORTRAIT
            section.page_width, section.page_height = Mm(210), Mm(297)

    # The parts of the document.

    def _title_page(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
        from docx.shared import Pt

        data = self.data

        def centred(text: str, size: int, *, bold: bool = False, space_before: int = 0) -> None:
            paragraph = self.paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            paragraph.paragraph_format.space_before = Pt(space_before)
            run = paragraph.add_run(text)
            run.bold = bold
            run.font.size = Pt(size)

        centred(data.owner.upper(), 14, bold=True)
        centred(data.kind_label.upper(), 18, bold=True, space_before=150)
        centred(data.title, 16, bold=True, space_before=12)
        centred(data.territory, 14, space_before=12)
        centred(data.period, 14, bold=True, space_before=6)
        centred(data.version_label, 12, space_before=60)
        centred(data.status_line, 12, space_before=6)
        self.doc.paragraphs[-1].runs[-1].add_break(WD_BREAK.PAGE)

    def _text_sections(self) -> None:
        if self.data.vision:
            self.heading(self.data.labels["vision"])
            self.blocks(self.data.vision)
        if self.data.introduction:
            self.heading(self.data.labels["introduction"])
            self.blocks(self.data.introduction)

    def _goals(self) -> None:
        labels = self.data.labels
        for section in self.data.sections:
            self.heading(section.title, section.heading)
            self.blocks(section.blocks)
            if section.target_groups:
                self.labelled(labels["target_groups"], section.target_groups)
            if section.results:
                self.paragraph(f"{labels['expected_results']}:", bold=True)
                self.blocks(section.results)

    def _action_plan(self) -> None:
        data, labels = self.data, self.data.labels
        if not data.action_rows and not data.financing_totals:
            return
        self.new_section(landscape=True)
        self.heading(labels["action_plan"])
        headers = [
            labels["col_number"],
            labels["col_activity"],
            labels["col_responsible"],
            labels["col_period"],
            labels["col_budget"],
            labels["col_financing"],
            labels["col_indicators"],
        ]
        # 247 mm: A4 landscape less the margins.
        table = self.table(headers, [17, 68, 40, 26, 26, 36, 34], right=(4,))
        for row in data.action_rows:
            table.add(
                [
                    [row.number],
                    [row.title],
                    row.responsible,
                    [row.period],
                    [row.budget],
                    row.financing,
                    row.indicators,
                ],
                bold_columns=(0, 1) if row.is_group else (),
                fill="EDEDED" if row.is_group else None,
            )
        if data.budget_totals:
            self.labelled(labels["budget_total"], data.budget_total_text)
        if data.conversion:
            self.paragraph(data.conversion)
        if data.financing_totals:
            self.heading(labels["financing_by_source"], 2)
            table = self.table([labels["source"], labels["amount"]], [120, 50], right=(1,))
            for line in data.financing_totals:
                table.add([[line.label], [line.text]])
            for line in data.financing_currency_totals:
                table.add([[line.label], [line.text]], bold=True)
            if data.financing_conversion:
                self.paragraph(data.financing_conversion)
        self.new_section(landscape=False)

    def _stages(self) -> None:
        labels = self.data.labels
        if not self.data.stages:
            return
        self.heading(labels["stages"])
        table = self.table([labels["col_period"], labels["stage"], labels["activities"]], [40, 45, 75])
        for stage in self.data.stages:
            table.add([[stage.period], [stage.title], stage.activities], bold_columns=(1,))

    def _institutional(self) -> None:
        if not self.data.stakeholders:
            return
        self.heading(self.data.labels["institutional"])
        self.heading(self.data.labels["roles"], 2)
        for stakeholder in self.data.stakeholders:
            self.heading(stakeholder.name, 3)
            for item in stakeholder.items:
                self.paragraph(item, self.styles["bullet"])

    def _partnership(self) -> None:
        if not self.data.partnerships:
            return
        self.heading(self.data.labels["partnership"])
        for item in self.data.partnerships:
            self.heading(item.kind, 3)
            self.blocks(item.blocks)
            if item.partners:
                self.labelled(self.data.labels["partners"], item.partners)

    def _communication(self) -> None:
        if not self.data.communication:
            return
        self.heading(self.data.labels["communication"])
        for group in self.data.communication:
            self.heading(group.label, 2)
            for item in group.items:
                self.paragraph(item, self.styles["bullet"])

    def _closing(self) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        if not self.data.closing:
            return
        paragraph = self.paragraph(self.data.closing)
        paragraph.paragraph_format.space_before = Pt(24)
        for index, line in enumerate(self.data.signed_by):
            paragraph = self.paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if index == 0:
                paragraph.paragraph_format.space_before = Pt(24)
            paragraph.add_run(line).bold = index == 0


class _Table:
    """Rows appended to a Word table by copying an empty prepared row: lxml copies in C what
    python-docx would rebuild cell by cell (widths, styles), the bulk of a long action plan."""

    def __init__(self, tbl, template):
        self.tbl = tbl
        self.template = template

    def add(
        self,
        columns: list[list[str]],
        *,
        bold: bool = False,
        bold_columns: tuple[int, ...] = (),
        fill: str | None = None,
    ):
        row = copy.deepcopy(self.template)
        self.tbl.append(row)
        for index, (cell, lines) in enumerate(zip(row.tc_lst, columns)):
            first = cell.p_lst[0]
            empty = copy.deepcopy(first) if len(lines) > 1 else None
            for number, line in enumerate(lines):
                paragraph = first
                if number:
                    paragraph = copy.deepcopy(empty)
                    cell.append(paragraph)
                if line:
                    _append_run(paragraph, line, bold=bold or index in bold_columns)
            if fill:
                _shade(cell, fill)
        return row


def _append_run(paragraph, text: str, *, bold: bool = False) -> None:
    """A run of plain text (python-docx's Run.text goes through the text character by character)."""
    from lxml import etree

    run = etree.SubElement(paragraph, _qn("w:r"))
    if bold:
        etree.SubElement(etree.SubElement(run, _qn("w:rPr")), _qn("w:b"))
    element = etree.SubElement(run, _qn("w:t"))
    element.text = " ".join(text.split("\n"))
    element.set(_qn("xml:space"), "preserve")


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _set_fonts(rpr, name: str) -> None:
    """Name the font for every script (ascii, hAnsi, eastAsia, cs) and drop theme fonts.

    Word picks the font of a Cyrillic run by the run's script slot, LibreOffice sometimes by the
    eastAsia/cs ones; with only `ascii` set, Cyrillic falls back to the theme font (Calibri).
    """
    fonts = rpr.get_or_add_rFonts()
    for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(_qn(f"w:{attribute}"), name)
    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(_qn(f"w:{attribute}"), None)


def _set_language(rpr, language: str) -> None:
    """Spelling and hyphenation in the document's language."""
    from docx.oxml import OxmlElement

    element = rpr.find(_qn("w:lang"))
    if element is None:
        element = OxmlElement("w:lang")
        rpr.append(element)
    element.set(_qn("w:val"), language)
    element.set(_qn("w:eastAsia"), language)


def _add_field(paragraph, instruction: str) -> None:
    """A field (PAGE, NUMPAGES) that Word and LibreOffice fill in when they lay the pages out."""
    from docx.oxml import OxmlElement

    def char(kind: str):
        run = paragraph.add_run()
        element = OxmlElement("w:fldChar")
        element.set(_qn("w:fldCharType"), kind)
        run._r.append(element)

    char("begin")
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(_qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    char("separate")
    paragraph.add_run("1")
    char("end")


def _shade(cell, fill: str) -> None:
    """Background of a table cell (a w:tc element)."""
    from docx.oxml import OxmlElement

    properties = cell.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(_qn("w:val"), "clear")
    shading.set(_qn("w:color"), "auto")
    shading.set(_qn("w:fill"), fill)
    properties.append(shading)


def _repeat_header(row) -> None:
    """The header row (a w:tr element) is repeated at the top of every page the table runs over."""
    from docx.oxml import OxmlElement

    properties = row.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(_qn("w:val"), "true")
    properties.append(header)


# --- PDF ----------------------------------------------------------------------------------------------


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan_html(version: PlanVersion, data: ExportData | None = None) -> str:
    """The HTML the PDF is printed from (self-contained: no external files)."""
    data = data or collect(version)
    counters = {"PAGE": "counter(page)", "NUMPAGES": "counter(pages)"}
    page_css = " ".join(counters[text] if is_field else _css_string(text) for is_field, text in _page_parts())
    return render_to_string(
        "plans/export/plan_pdf.html",
        {"data": data, "labels": data.labels, "page_css": page_css, "language": get_language() or "bg"},
    )


def plan_pdf(version: PlanVersion) -> bytes:
    """The plan as a PDF, printed by WeasyPrint from the same content as the Word document.

    WeasyPrint is imported here, not at the top: it needs Pango from the system, and the rest of the
    application (and the other two formats) must keep working on a server without it.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise ApplicationError(
            "Експортът в PDF не е достъпен: на сървъра липсва WeasyPrint или библиотеката Pango. "
            "Изтеглете документа като DOCX. / PDF export is unavailable: WeasyPrint or the Pango "
            f"library is missing on the server. Download the DOCX instead. ({error})"
        ) from error
    # WeasyPrint reports every layout step and fontTools every subsetting step at INFO: thousands of
    # lines per document under the project's INFO root logger.
    for name in ("weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)
    data = collect(version)
    return HTML(string=plan_html(version, data)).write_pdf()


# --- XLSX ---------------------------------------------------------------------------------------------


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31] or "Sheet"


def action_plan_xlsx(version: PlanVersion) -> bytes:
    """The action plan as a spreadsheet: one row per element, money as numbers, and the totals."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    data = collect(version)
    labels = data.labels
    nodes = data.nodes
    money_format = "#,##0.00"
    date_format = "DD.MM.YYYY"
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="D9D9D9")
    group_fill = PatternFill("solid", fgColor="EDEDED")
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")

    # One column per (source, currency) that occurs, so every amount sits in a column of one currency.
    pairs: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for node in nodes:
        for line in node.financing.all():
            if (line.source, line.currency) not in seen:
                seen.add((line.source, line.currency))
                pairs.append((line.source, line.currency))
    order = {source: index for index, source in enumerate(FinancingLine.Source.values)}
    pairs.sort(key=lambda pair: (order.get(pair[0], 99), pair[1]))

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(labels["sheet_action_plan"])
    headers = [
        (labels["level"], 16, False),
        (labels["number"], 10, False),
        (labels["title"], 60, True),
        (labels["responsible"], 36, True),
        (labels["from"], 12, False),
        (labels["to"], 12, False),
        (labels["stage"], 24, True),
        (labels["budget"], 15, False),
        (labels["currency"], 9, False),
    ]
    headers += [(f"{_source_label(source)} ({currency})", 16, False) for source, currency in pairs]
    headers += [
        (labels["programme"], 30, True),
        (labels["target_groups"], 30, True),
        (labels["expected_results"], 60, True),
    ]
    wrapped = [index for index, (_name, _width, wraps) in enumerate(headers, start=1) if wraps]
    for column, (name, width, _wraps) in enumerate(headers, start=1):
        cell = sheet.cell(row=1, column=column, value=name)
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(column)].width = width
    first_money = 10
    money_columns = {pair: first_money + index for index, pair in enumerate(pairs)}
    tail = first_money + len(pairs)
    depth = {
        level: index
        for index, level in enumerate(level for level in LEVEL_ORDER if any(n.level == level for n in nodes))
    }

    for row, node in enumerate(nodes, start=2):
        amounts: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        programmes = []
        for line in node.financing.all():
            if line.amount is not None:
                amounts[(line.source, line.currency)] += line.amount
            if line.programme and line.programme not in programmes:
                programmes.append(clean(line.programme))
        values: dict[int, object] = {
            1: level_label(node.level),
            2: node.number,
            3: clean(node.title),
            4: "; ".join(_responsible(node)),
            5: node.starts_on,
            6: node.ends_on,
            7: clean(node.stage.title) if node.stage_id and node.stage is not None else None,
            8: node.budget,
            9: node.budget_currency if node.budget is not None else None,
            tail: "; ".join(programmes),
            tail + 1: ", ".join(str(group) for group in node.target_groups.all()),
            tail + 2: clean(node.expected_results),
        }
        for pair, amount in amounts.items():
            values[money_columns[pair]] = amount
        group = node.level == Level.MEASURE
        upper = node.level in (Level.PRIORITY, Level.GENERAL_GOAL)
        for column, value in values.items():
            if value in (None, ""):
                continue
            cell = sheet.cell(row=row, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a title that starts with "=" is text, not a formula
            if column in (5, 6):
                cell.number_format = date_format
            elif column == 8 or first_money <= column < tail:
                cell.number_format = money_format
            cell.alignment = wrap if column in wrapped else top
            if upper:
                cell.font = bold
        if group:
            for column in range(1, len(headers) + 1):
                sheet.cell(row=row, column=column).fill = group_fill
        if depth.get(node.level):
            sheet.row_dimensions[row].outlineLevel = min(depth[node.level], 7)
    last = get_column_letter(len(headers))
    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = f"A1:{last}{max(len(nodes) + 1, 1)}"
    sheet.sheet_properties.outlinePr.summaryBelow = False
    sheet.print_options.gridLines = True
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.print_title_rows = "1:1"

    totals = workbook.create_sheet(_sheet_title(labels["sheet_financing"]))
    for column, (name, width) in enumerate(
        [(labels["source"], 50), (labels["currency"], 10), (labels["amount"], 18)], start=1
    ):
        cell = totals.cell(row=1, column=column, value=name)
        cell.font = bold
        cell.fill = header_fill
        totals.column_dimensions[get_column_letter(column)].width = width
    row = 2
    for line in data.financing_totals:
        totals.cell(row=row, column=1, value=line.label)
        totals.cell(row=row, column=2, value=line.currency)
        totals.cell(row=row, column=3, value=line.amount).number_format = money_format
        row += 1
    for line in data.financing_currency_totals:
        totals.cell(row=row, column=1, value=line.label).font = bold
        totals.cell(row=row, column=2, value=line.currency).font = bold
        cell = totals.cell(row=row, column=3, value=line.amount)
        cell.number_format = money_format
        cell.font = bold
        row += 1
    if data.financing_conversion:
        totals.cell(row=row + 1, column=1, value=data.financing_conversion)
    totals.freeze_panes = "A2"

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
