"""The minutes (протокол) of a meeting as an editable Word document, in the form of the regional
monitoring units' minutes (document 002: the Sofia region's unit, 09.08.2017).

The form, top to bottom: РЕПУБЛИКА БЪЛГАРИЯ / Областна администрация / the region; the approval
block on the right (УТВЪРДИЛ: the governor and his position); ПРОТОКОЛ and the title; the date with
the weekday and the hour, the place; the opening paragraph (who opened the meeting, the invitation's
outgoing number and date, who attended, with a reference to Appendix No. 1); ДНЕВЕН РЕД: the
numbered items; then each item's section "Точка N от дневния ред – …" with its minutes and the
decisions taken on it (РЕШЕНИЕ №N, with the deadlines it set); the closing; the chair's signature and
"Изготвил протокола:"; and Appendix No. 1, the attendance list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from socplan.organizations.models import Membership, Organization
from socplan.plans.exports.common import Block, blocks, clean, fmt_date

from ..models import AgendaItem, Attendance, Decision, FollowUp, Meeting
from .data import region_name
from .docx import ReportWriter


def long_date(day) -> str:
    """09 август 2017: the month by name (Bulgarian writes it in small letters; Django's catalogue
    has it capitalised, as a calendar's heading)."""
    month = date_format(day, "F")
    if (get_language() or "bg").startswith("bg"):
        month = month.lower()
    return f"{day:%d} {month} {day.year}"


def meeting_date(meeting: Meeting) -> str:
    """09 август 2017 г. (сряда), 13.00 часа — as the minutes write it."""
    values = {"date": long_date(meeting.date), "weekday": date_format(meeting.date, "l")}
    if meeting.starts_at is None:
        return _("%(date)s (%(weekday)s)") % values
    return _("%(date)s (%(weekday)s), %(time)s") % {**values, "time": _time(meeting.starts_at)}


def _time(value) -> str:
    # Bulgarian documents write the hour with a dot (13.00 часа); English with a colon.
    if (get_language() or "bg").startswith("bg"):
        return f"{value:%H.%M}"
    return f"{value:%H:%M}"


@dataclass
class DecisionBlock:
    number: int
    blocks: list
    follow_ups: list[tuple[str, str, str]]  # task, responsible, deadline


@dataclass
class ItemBlock:
    position: int
    title: str
    presenters: str
    blocks: list
    decisions: list[DecisionBlock] = field(default_factory=list)


@dataclass
class MinutesData:
    meeting: Meeting
    title: str  # the document's properties
    owner: str
    kind_label: str
    header: list[str]
    approved_by: str
    approved_by_position: list[str]
    heading: str  # ПРОТОКОЛ (№…)
    subtitle: str
    when: str
    place: list[str]
    opening: list
    agenda: list[ItemBlock]
    loose_decisions: list[DecisionBlock]
    closing: list
    chair: str
    chair_position: list[str]
    prepared_by: str
    members: list[Attendance]
    guests: list[Attendance]


def minutes_data(meeting: Meeting) -> MinutesData:
    """Read the meeting with its agenda, attendance, decisions and follow-ups (five queries)."""
    meeting = Meeting.objects.select_related(
        "body__organization__region", "body__organization__municipality"
    ).get(pk=meeting.pk)
    agenda = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
    attendance = list(Attendance.objects.filter(meeting=meeting).order_by("is_guest", "pk"))
    decisions = list(
        Decision.objects.filter(meeting=meeting)
        .order_by("number")
        .prefetch_related(
            Prefetch(
                "follow_ups", queryset=FollowUp.objects.select_related("responsible").order_by("due_on", "pk")
            )
        )
    )
    body = meeting.body
    organization = body.organization
    members = [a for a in attendance if not a.is_guest]
    present = [a for a in members if a.present]
    guests = [a for a in attendance if a.is_guest and a.present]

    by_item: dict[int | None, list[DecisionBlock]] = {}
    for decision in decisions:
        block = DecisionBlock(
            decision.number,
            blocks(decision.text),
            _grouped_follow_ups(decision.follow_ups.all()),
        )
        key = decision.agenda_item_id if decision.agenda_item_id in {item.pk for item in agenda} else None
        by_item.setdefault(key, []).append(block)

    extended = meeting.composition == Membership.Composition.EXTENDED and body.has_extended_composition
    if meeting.title.strip():
        subtitle = clean(meeting.title)
    elif extended:
        subtitle = _("of the meeting of the extended composition of %(body)s") % {"body": body.name}
    else:
        subtitle = _("of the meeting of %(body)s") % {"body": body.name}
    heading = (
        _("MINUTES No. %(number)s") % {"number": meeting.number} if meeting.number.strip() else _("MINUTES")
    )

    return MinutesData(
        meeting=meeting,
        title=f"{heading} {subtitle}",
        owner=organization.name,
        kind_label=_("Minutes"),
        header=_header(organization),
        approved_by=clean(meeting.approved_by),
        approved_by_position=_lines(meeting.approved_by_position),
        heading=heading,
        subtitle=subtitle,
        when=meeting_date(meeting),
        place=_lines(meeting.place),
        opening=blocks(meeting.opening)
        if meeting.opening.strip()
        else [Block(text=text) for text in _opening(meeting, len(members), len(present), len(guests))],
        agenda=[
            ItemBlock(
                item.position,
                clean(item.title),
                clean(item.presenters),
                blocks(item.minutes),
                by_item.get(item.pk, []),
            )
            for item in agenda
        ],
        loose_decisions=by_item.get(None, []),
        closing=blocks(meeting.closing) if meeting.closing.strip() else [Block(text=_closing(meeting))],
        chair=clean(meeting.chair),
        chair_position=_lines(meeting.chair_position),
        prepared_by=", ".join(
            part for part in (clean(meeting.prepared_by), clean(meeting.prepared_by_position)) if part
        ),
        members=[a for a in members if a.present],
        guests=guests,
    )


def _grouped_follow_ups(follow_ups) -> list[tuple[str, str, str]]:
    """One row per task and deadline, with every organisation responsible for it (a decision that
    gives 22 municipalities two deadlines is two rows, as the minutes would write it)."""
    groups: dict[tuple, list[str]] = {}
    for f in follow_ups:
        groups.setdefault((clean(f.task), f.due_on), []).append(f.responsible.name)
    return [(task, ", ".join(names), fmt_date(due)) for (task, due), names in groups.items()]


def _lines(text: str) -> list[str]:
    return [clean(line) for line in (text or "").splitlines() if line.strip()]


def _header(organization: Organization) -> list[str]:
    """РЕПУБЛИКА БЪЛГАРИЯ, then the host: "Областна администрация" and the region, or its name."""
    lines = [_("REPUBLIC OF BULGARIA")]
    if organization.kind == Organization.Kind.REGIONAL_ADMINISTRATION and organization.region_id:
        lines += [_("Regional Administration"), region_name(organization.region)]
    else:
        lines.append(organization.name)
    return lines


def _opening(meeting: Meeting, members: int, present: int, guests: int) -> list[str]:
    """The opening paragraphs when none were written: where and when, who opened, the invitation,
    the attendance (document 002's first two paragraphs)."""
    body = meeting.body.name
    date = long_date(meeting.date)
    # The first line of the place (the institution, not the street address), without its comma.
    place = _lines(meeting.place)[0].rstrip(",;. ") if meeting.place.strip() else ""
    values = {"date": date, "body": body, "place": place}
    if meeting.starts_at and place:
        first = _("Today, %(date)s, at %(time)s, a meeting of %(body)s was held in %(place)s.") % {
            **values,
            "time": _time(meeting.starts_at),
        }
    elif meeting.starts_at:
        first = _("Today, %(date)s, at %(time)s, a meeting of %(body)s was held.") % {
            **values,
            "time": _time(meeting.starts_at),
        }
    elif place:
        first = _("Today, %(date)s, a meeting of %(body)s was held in %(place)s.") % values
    else:
        first = _("Today, %(date)s, a meeting of %(body)s was held.") % values
    if meeting.chair.strip():
        chair = {"chair": clean(meeting.chair), "position": clean(" ".join(_lines(meeting.chair_position)))}
        if chair["position"]:
            first += " " + _("%(chair)s, %(position)s, opened the meeting and welcomed the members.") % chair
        else:
            first += " " + _("%(chair)s opened the meeting and welcomed the members.") % chair
    second = ""
    if meeting.invitation_number.strip() and meeting.invitation_date:
        second = _(
            "An invitation with a draft agenda was sent for the meeting under outgoing No. %(number)s/%(date)s."
        ) % {
            "number": clean(meeting.invitation_number),
            "date": fmt_date(meeting.invitation_date),
        }
    elif meeting.invitation_date:
        second = _("An invitation with a draft agenda was sent for the meeting on %(date)s.") % {
            "date": fmt_date(meeting.invitation_date)
        }
    counts = {"present": present, "members": members, "guests": guests}
    if guests:
        attended = (
            ngettext(
                "%(present)s of the %(members)s members of the body and %(guests)s guest attended the meeting",
                "%(present)s of the %(members)s members of the body and %(guests)s guests attended the meeting",
                guests,
            )
            % counts
        )
    else:
        attended = _("%(present)s of the %(members)s members of the body attended the meeting") % counts
    attended += " " + _("(Appendix No. 1 – Attendance list, an integral part of these minutes).")
    return [first, f"{second} {attended}".strip()]


def _closing(meeting: Meeting) -> str:
    if meeting.chair.strip():
        return _("With this the agenda was exhausted, and %(chair)s closed the meeting of %(body)s.") % {
            "chair": clean(meeting.chair),
            "body": meeting.body.name,
        }
    return _("With this the agenda was exhausted, and the meeting was closed.")


# --- The document --------------------------------------------------------------------------------------


def minutes_docx(meeting: Meeting) -> bytes:
    """The minutes of a meeting as a Word document in the form of document 002."""
    return _MinutesWriter(minutes_data(meeting)).render()


class _MinutesWriter(ReportWriter):
    def render(self) -> bytes:
        self._setup()
        # The minutes have no title page: every page is numbered.
        self.doc.sections[0].different_first_page_header_footer = False
        self._header()
        self._opening()
        self._agenda()
        self._items()
        self._closing()
        self._attendance()
        return self.save()

    def right(self, text: str, *, bold: bool = False, space_before: float = 0):
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        paragraph = self.paragraph(text, bold=bold)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        paragraph.paragraph_format.space_after = Pt(0)
        paragraph.paragraph_format.space_before = Pt(space_before)
        return paragraph

    def _header(self) -> None:
        data = self.data
        for index, line in enumerate(data.header):
            paragraph = self.centred(
                line if index else line.upper(), 13 if index == 0 else 12, bold=index == 0, space_after=0
            )
        _bottom_border(paragraph)
        if data.approved_by:
            self.right(_("APPROVED BY:"), bold=True, space_before=18)
            self.right(data.approved_by.upper(), bold=True, space_before=6)
            for line in data.approved_by_position:
                self.right(line)
        self.centred(data.heading, 16, bold=True, space_before=24, space_after=6)
        self.centred(data.subtitle.upper(), 12, bold=True, space_after=12)
        self.centred(data.when, 12, bold=True, space_after=0)
        for line in data.place:
            self.centred(line, 12, space_after=0)
        self.paragraph()

    def _opening(self) -> None:
        self.blocks(self.data.opening)

    def _agenda(self) -> None:
        from docx.shared import Cm

        if not self.data.agenda:
            return
        self.paragraph(_("The meeting proceeded with the following"))
        self.centred(_("AGENDA:"), 12, bold=True, space_before=6)
        for item in self.data.agenda:
            paragraph = self.paragraph(f"{item.position}.\t{item.title}")
            paragraph.paragraph_format.left_indent = Cm(1)
            paragraph.paragraph_format.first_line_indent = Cm(-0.6)
            if item.presenters:
                run = paragraph.add_run(" " + _("(presented by: %(names)s)") % {"names": item.presenters})
                run.italic = True

    def _items(self) -> None:
        for item in self.data.agenda:
            paragraph = self.paragraph(
                _("Item %(number)s of the agenda – %(title)s")
                % {"number": item.position, "title": item.title},
                bold=True,
            )
            paragraph.paragraph_format.space_before = self._pt(12)
            paragraph.paragraph_format.keep_with_next = True
            if item.presenters:
                self.italic(_("Presented by: %(names)s") % {"names": item.presenters})
            self.blocks(item.blocks)
            if item.decisions:
                self.paragraph(_("After the discussion, the following was decided:"))
            for decision in item.decisions:
                self._decision(decision)
        for decision in self.data.loose_decisions:
            self._decision(decision)

    def _decision(self, decision: DecisionBlock) -> None:
        labels = {"task": _("What is to be done"), "responsible": _("Responsible"), "due": _("Deadline")}
        self.centred(
            _("DECISION No. %(number)s") % {"number": decision.number}, 12, bold=True, space_before=12
        )
        self.blocks(decision.blocks)
        if decision.follow_ups:
            table = self.table([labels["task"], labels["responsible"], labels["due"]], [80, 55, 25])
            for task, responsible, due in decision.follow_ups:
                table.add([[task], [responsible], [due]])

    def _closing(self) -> None:
        data = self.data
        self.blocks(data.closing)
        if data.chair:
            paragraph = self.paragraph(data.chair.upper(), bold=True)
            paragraph.paragraph_format.space_before = self._pt(30)
            paragraph.paragraph_format.space_after = self._pt(0)
            for line in data.chair_position:
                self.paragraph(line).paragraph_format.space_after = self._pt(0)
        if data.prepared_by:
            paragraph = self.paragraph(_("Minutes prepared by:"), bold=True)
            paragraph.paragraph_format.space_before = self._pt(30)
            self.paragraph(data.prepared_by)

    def _attendance(self) -> None:
        data = self.data
        self.page_break()
        self.right(_("Appendix No. 1"), bold=True)
        self.centred(_("ATTENDANCE LIST"), 13, bold=True, space_before=12, space_after=0)
        self.centred(f"{data.subtitle}, {fmt_date(data.meeting.date)}", 11, space_after=12)
        headers = [_("No."), _("Name"), _("Position"), _("Signature")]
        widths = [12, 52, 68, 28]
        number = 0
        for title, people in ((_("Members"), data.members), (_("Guests"), data.guests)):
            if not people:
                continue
            self.paragraph(title, bold=True)
            table = self.table(headers, widths)
            for person in people:
                number += 1
                table.add([[str(number)], [clean(person.person_name)], [clean(person.position)], [""]])

    @staticmethod
    def _pt(value: float):
        from docx.shared import Pt

        return Pt(value)


# The elements of w:pPr that follow w:pBdr (ECMA-376 CT_PPrBase, as python-docx lists them).
_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _bottom_border(paragraph) -> None:
    """A rule under the header (as the institution's letterhead has)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "8"), ("w:space", "4"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # Word rejects a paragraph's properties out of the schema's order: the border goes before these.
    properties.insert_element_before(borders, *_AFTER_PBDR)
