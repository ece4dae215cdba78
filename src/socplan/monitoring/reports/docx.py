"""The regional monitoring report as an editable Word document (python-docx).

Laid out with the plan exports' writer (plans.exports.docx): the same page set-up (A4, Times New
Roman for every script, Word's Heading styles, "стр. N от M" in the footer, no number on the title
page), the same fast paragraphs and tables. Every part is a Heading, so the monitoring unit edits,
reorders and numbers the report in Word; the conclusions are left for the unit to write.
"""

from __future__ import annotations

import io

from socplan.plans.exports.docx import DocxWriter, shade

from .charts import Chart, report_charts
from .data import RegionalReport, round_report_data


def regional_report_docx(data: RegionalReport, *, charts: list[Chart] | None = None) -> bytes:
    """The regional report of a round (from `round_report_data`) as a Word document."""
    return _RegionalWriter(data, report_charts(data) if charts is None else charts).render()


def round_report_docx(round) -> bytes:
    return regional_report_docx(round_report_data(round))


class ReportWriter(DocxWriter):
    """The plan writer's page set-up and building blocks, with a few more for reports and minutes.

    `data` needs `title`, `owner` and `kind_label` (the document's properties)."""

    def centred(
        self,
        text: str,
        size: float = 12,
        *,
        bold: bool = False,
        space_before: float = 0,
        space_after: float | None = None,
    ):
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt

        paragraph = self.paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_before = Pt(space_before)
        if space_after is not None:
            paragraph.paragraph_format.space_after = Pt(space_after)
        run = paragraph.add_run(text)
        run.bold = bold
        run.font.size = Pt(size)
        return paragraph

    def italic(self, text: str, *, centred: bool = False):
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        paragraph = self.paragraph()
        if centred:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.add_run(text).italic = True
        return paragraph

    def bold(self, text: str):
        return self.paragraph(text, bold=True)

    def items(self, lines: list[str]) -> None:
        for line in lines:
            self.paragraph(line, self.styles["bullet"])

    def picture(self, png: bytes, caption: str, width_mm: float = 160) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Mm

        paragraph = self.paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = True
        paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
        self.italic(caption, centred=True)

    def page_break(self) -> None:
        from docx.enum.text import WD_BREAK

        self.paragraph().add_run().add_break(WD_BREAK.PAGE)

    def save(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


class _RegionalWriter(ReportWriter):
    def __init__(self, data: RegionalReport, charts: list[Chart]):
        super().__init__(data)
        self.charts = charts

    def render(self) -> bytes:
        self._setup()
        self._title_page()
        self._introduction()
        self._progress()
        self._municipalities()
        self._services()
        self._charts()
        self._narrative()
        self._conclusions()
        return self.save()

    def _title_page(self) -> None:
        data = self.data
        self.centred(data.owner.upper(), 14, bold=True)
        self.centred(data.title, 17, bold=True, space_before=150)
        self.centred(data.round_name, 12, space_before=36)
        self.centred(data.generated_on, 12, space_before=90)
        self.page_break()

    def _introduction(self) -> None:
        data, labels = self.data, self.data.labels
        self.heading(labels["introduction"])
        for text in data.method:
            self.paragraph(text)
        self.heading(labels["rule"], 2)
        self.paragraph(data.rule)
        if data.deadlines:
            self.heading(labels["deadlines"], 2)
            self.items(data.deadlines)

    def _progress(self) -> None:
        data, labels = self.data, self.data.labels
        if not data.goals:
            self.heading(labels["progress"])
            self.italic(labels["no_indicators"])
            return
        # The tables of indicators are wide: a landscape section of their own.
        self.new_section(landscape=True)
        self.heading(labels["progress"])
        self.labelled(labels["summary"], data.status_summary)
        headers = [
            labels["col_indicator"],
            labels["col_unit"],
            labels["col_baseline"],
            labels["col_target"],
            labels["col_expected"],
            labels["col_actual"],
            labels["col_percent"],
            labels["col_status"],
        ]
        for goal in data.goals:
            self.heading(goal.title, goal.heading)
            if not goal.rows:
                continue
            # 247 mm: A4 landscape less the margins.
            table = self.table(headers, [80, 20, 24, 24, 26, 32, 16, 25], right=(2, 3, 4, 5, 6))
            for row in goal.rows:
                tr = table.add(
                    [
                        [row.name],
                        [row.unit],
                        [row.baseline, row.baseline_date] if row.baseline_date else [row.baseline],
                        [row.target],
                        [row.expected],
                        [row.actual, row.note] if row.note else [row.actual],
                        [row.percent],
                        [row.status_label],
                    ]
                )
                shade(tr.tc_lst[-1], row.fill)
        self.new_section(landscape=False)

    def _municipalities(self) -> None:
        data, labels = self.data, self.data.labels
        self.heading(labels["municipalities"])
        self.paragraph(data.submission_summary)
        headers = [
            labels["col_respondent"],
            labels["col_template"],
            labels["col_report_status"],
            labels["col_submitted_at"],
            labels["col_timeliness"],
            labels["col_council_decision"],
        ]
        for group in data.municipalities:
            self.heading(group.name, 2)
            table = self.table(headers, [34, 30, 22, 20, 27, 27])
            for row in group.rows:
                table.add(
                    [
                        [row.respondent],
                        [row.template],
                        [row.status_label],
                        [row.submitted_at],
                        [row.timeliness_label],
                        [row.council_decision],
                    ]
                )

    def _services(self) -> None:
        data, labels = self.data, self.data.labels
        self.heading(labels["services"])
        self.heading(labels["occupancy_by_municipality"], 2)
        table = self.table(
            [
                labels["col_municipality"],
                labels["col_services"],
                labels["col_capacity"],
                labels["col_users"],
                labels["col_rate"],
            ],
            [55, 25, 25, 25, 30],
            right=(1, 2, 3, 4),
        )
        for row in [*data.occupancy, data.occupancy_total]:
            table.add(
                [[row.municipality], [str(row.services)], [str(row.capacity)], [str(row.users)], [row.rate]],
                bold=row is data.occupancy_total,
            )
        if data.services:
            self.heading(labels["service_list"], 2)
            table = self.table(
                [
                    labels["col_municipality"],
                    labels["col_service"],
                    labels["col_type"],
                    labels["col_capacity"],
                    labels["col_users"],
                    labels["col_rate"],
                    labels["col_service_status"],
                ],
                [24, 44, 32, 14, 18, 13, 15],
                right=(3, 4, 5),
            )
            for row in data.services:
                users = "—" if row.users is None else f"{row.users}"
                table.add(
                    [
                        [row.municipality],
                        [row.name],
                        [row.service_type],
                        [str(row.capacity)],
                        [users, row.period] if row.period else [users],
                        [row.rate],
                        [row.status_label],
                    ]
                )
        if data.needs:
            self.heading(labels["needs"], 2)
            table = self.table(
                [
                    labels["col_type"],
                    labels["col_unit"],
                    labels["col_need"],
                    labels["col_capacity"],
                    labels["col_planned"],
                    labels["col_gap"],
                    labels["col_short"],
                ],
                [46, 16, 18, 18, 18, 18, 26],
                right=(2, 3, 4, 5, 6),
            )
            for row in data.needs:
                table.add(
                    [
                        [row.service_type],
                        [row.unit],
                        [row.need],
                        [str(row.capacity)],
                        [str(row.planned)],
                        [row.gap],
                        [str(row.municipalities_short)],
                    ]
                )
            if data.needs_note:
                self.italic(data.needs_note)

    def _charts(self) -> None:
        if not self.charts:
            return
        self.heading(self.data.labels["charts"])
        for index, chart in enumerate(self.charts, 1):
            self.picture(chart.png, f"{index}. {chart.title}")

    def _narrative(self) -> None:
        data, labels = self.data, self.data.labels
        if not data.narrative:
            return
        self.heading(labels["narrative"])
        self.italic(labels["narrative_note"])
        template = None
        for question in data.narrative:
            if question.template != template:
                template = question.template
                self.heading(template, 2)
            self.heading(question.title, 3)
            if not question.groups:
                self.italic(labels["no_answers"])
            for group in question.groups:
                self.heading(group.municipality, 4)
                for answer in group.answers:
                    paragraph = self.paragraph(f"{answer.respondent}:", bold=True)
                    paragraph.paragraph_format.keep_with_next = True
                    self.blocks(answer.blocks)

    def _conclusions(self) -> None:
        labels = self.data.labels
        self.heading(labels["conclusions"])
        self.italic(labels["conclusions_hint"])
