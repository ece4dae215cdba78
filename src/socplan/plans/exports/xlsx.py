"""The action plan as a spreadsheet (openpyxl)."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from decimal import Decimal

from ..models import LEVEL_ORDER, FinancingLine, Level, PlanVersion
from .common import _responsible, _source_label, clean, collect, level_label

# --- XLSX ---------------------------------------------------------------------------------------------


def sheet_title(text: str) -> str:
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
    sheet.title = sheet_title(labels["sheet_action_plan"])
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

    totals = workbook.create_sheet(sheet_title(labels["sheet_financing"]))
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

