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

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from socplan.core.http import attachment_header

from .. import selectors
from ..models import (
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


def field_label(model, name: str) -> str:
    """A model field's (translated) verbose name as a label: reuses the catalogue's strings."""
    return capfirst(str(model._meta.get_field(name).verbose_name))


def labels() -> dict[str, str]:
    """The documents' labels in the active language (evaluated per export, not at import)."""
    return {
        "vision": field_label(PlanVersion, "vision"),
        "introduction": field_label(PlanVersion, "introduction"),
        "expected_results": field_label(Node, "expected_results"),
        "target_groups": field_label(Node, "target_groups"),
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
        "source": field_label(FinancingLine, "source"),
        "programme": field_label(FinancingLine, "programme"),
        "currency": field_label(FinancingLine, "currency"),
        "amount": field_label(FinancingLine, "amount"),
        "total": _("Total"),
        "stages": _("Implementation stages"),
        "stage": field_label(Node, "stage"),
        "activities": field_label(Stage, "activities"),
        "institutional": _("Institutional framework"),
        "roles": _("Roles and responsibilities in the implementation"),
        "partnership": _("Partnership mechanisms"),
        "partners": field_label(PartnershipInstrument, "partners"),
        "communication": _("Communication programme"),
        "level": field_label(Node, "level"),
        "number": field_label(Node, "number"),
        "title": field_label(Node, "title"),
        "from": field_label(Node, "starts_on"),
        "to": field_label(Node, "ends_on"),
        "budget": field_label(Node, "budget"),
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


def safe_name(text: str) -> str:
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
    return f"{safe_name(base)}_v{version.number}.{fmt}"


def content_disposition(filename: str) -> str:
    """An attachment header: the UTF-8 name (RFC 5987/6266 `filename*`) and an ASCII fallback."""
    fallback = unicodedata.normalize("NFKD", transliterate(filename)).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback).strip("_") or "download"
    return attachment_header(filename, fallback)




def page_parts() -> list[tuple[bool, str]]:
    """The footer "стр. 3 от 12" split around its numbers: (is_field, text or field name) pairs."""
    template = _("page %(page)s of %(pages)s")
    fields = {"%(page)s": "PAGE", "%(pages)s": "NUMPAGES"}
    return [
        (piece in fields, fields.get(piece, piece))
        for piece in re.split(r"(%\(page\)s|%\(pages\)s)", template)
        if piece
    ]


