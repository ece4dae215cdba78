"""The report's charts as PNG images (matplotlib), the same for the DOCX and the PDF.

Figures are made with matplotlib's object API (`Figure`, no pyplot): pyplot keeps global state,
which two reports built at once in one worker would share. The Agg canvas draws them without a
display, and DejaVu Sans (matplotlib's own font) has the Cyrillic letters.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .data import STATUS_COLOURS, STATUSES, RegionalReport, status_labels

DPI = 150
FONT = {"font.family": "DejaVu Sans", "font.size": 8}
# Bars per chart of indicators: more would make the names unreadable at a page's width.
INDICATORS_PER_CHART = 40
# Progress above this is drawn at it (an indicator at 900 % would flatten all the others).
PROGRESS_CAP = 150
GREY = "#BDBDBD"


@dataclass
class Chart:
    title: str
    png: bytes


def _render(figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _figure(width_cm: float, height_cm: float, *, constrained: bool = True):
    from matplotlib.figure import Figure

    return Figure(figsize=(width_cm / 2.54, height_cm / 2.54), layout="constrained" if constrained else None)


def _short(text: str, width: int = 44) -> str:
    return textwrap.shorten(text, width=width, placeholder="…")


def _horizontal(rows: float, labels: list[str], *, below: float = 2.1):
    """A figure for `rows` horizontal bars, laid out by hand: room on the left for the longest label
    (measured once), the axis and the legend below (`below` cm). Matplotlib's constrained layout would
    measure every label again at every draw: a third of the time of a 40-bar chart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    width, bar, above = 16, 0.5, 0.3
    height = below + above + bar * rows
    figure = _figure(width, height, constrained=False)
    renderer = FigureCanvasAgg(figure).get_renderer()
    longest = max(labels, key=len, default="")
    probe = figure.text(0, 0, longest, fontsize=FONT["font.size"])
    label_cm = probe.get_window_extent(renderer).width / figure.dpi * 2.54
    probe.remove()
    left = min(label_cm + 0.4, width * 0.5)
    figure.subplots_adjust(
        left=left / width, right=1 - 0.4 / width, bottom=below / height, top=1 - above / height
    )
    return figure


def _row_labels(axes, positions: list[float], labels: list[str]) -> None:
    """The bars' names on the left, as plain texts: a matplotlib tick is two lines and two texts with
    their own copies of the properties, a fifth of the time of a 40-bar chart."""
    from matplotlib.transforms import blended_transform_factory

    axes.set_yticks([])
    transform = blended_transform_factory(axes.transAxes, axes.transData)
    for position, label in zip(positions, labels):
        axes.text(-0.012, position, label, transform=transform, ha="right", va="center")


def indicator_charts(data: RegionalReport) -> list[bytes]:
    """Progress of each rated indicator towards the value expected by the period's end (%), coloured
    by status, with the round's thresholds and 100 % marked; one chart per INDICATORS_PER_CHART."""
    import matplotlib

    rows = [row for row in data.indicator_rows if row.progress.percent is not None]
    charts = []
    on_track, at_risk = data.round.on_track_from, data.round.at_risk_from
    for start in range(0, len(rows), INDICATORS_PER_CHART):
        chunk = list(reversed(rows[start : start + INDICATORS_PER_CHART]))  # the first at the top
        names = [_short(row.name) for row in chunk]
        values = [max(min(float(row.progress.percent), PROGRESS_CAP), -10) for row in chunk]
        positions = list(range(len(chunk)))
        with matplotlib.rc_context(FONT):
            figure = _horizontal(len(chunk), names, below=1.8)
            axes = figure.add_subplot()
            axes.barh(
                positions,
                [100] * len(chunk),
                color="#EEEEEE",
                height=0.75,
                label=_("value expected by the end of the period") + " (100 %)",
            )
            axes.barh(positions, values, color=[STATUS_COLOURS[row.status] for row in chunk], height=0.45)
            for position, value, row in zip(positions, values, chunk):
                axes.text(max(value, 0) + 2, position, row.percent, va="center", fontsize=7)
            _row_labels(axes, positions, names)
            axes.set_ylim(-0.6, len(chunk) - 0.4)
            axes.axvline(
                at_risk,
                color=STATUS_COLOURS["at_risk"],
                linestyle="--",
                linewidth=0.8,
                label=_("at risk from %(percent)s %%") % {"percent": at_risk},
            )
            axes.axvline(
                on_track,
                color=STATUS_COLOURS["on_track"],
                linestyle="--",
                linewidth=0.8,
                label=_("on track from %(percent)s %%") % {"percent": on_track},
            )
            axes.axvline(100, color="#424242", linewidth=0.8)
            axes.set_xlim(min(0, min(values) - 5), PROGRESS_CAP + 25)
            axes.set_xlabel(
                textwrap.fill(_("Progress towards the value expected by the end of the period") + ", %", 50)
            )
            axes.spines[["top", "right"]].set_visible(False)
            figure.legend(loc="lower center", ncols=3, frameon=False, fontsize=7)
            charts.append(_render(figure))
    return charts


def submissions_chart(data: RegionalReport) -> bytes | None:
    """Reports of the round by status."""
    import matplotlib

    from ..models import Submission

    if not data.submission_counts:
        return None
    order = list(Submission.Status.values)
    colours = {
        "not_started": "#9E9E9E",
        "draft": "#90CAF9",
        "submitted": "#1E88E5",
        "returned": "#E0A800",
        "accepted": "#2E7D32",
    }
    labels = dict(Submission.Status.choices)
    with matplotlib.rc_context(FONT):
        figure = _figure(16, 6)
        axes = figure.add_subplot()
        counts = [data.submission_counts.get(status, 0) for status in order]
        bars = axes.bar([str(labels[s]) for s in order], counts, color=[colours[s] for s in order])
        axes.bar_label(bars, padding=2)
        axes.set_ylabel(_("Reports"))
        axes.set_ylim(0, max(counts) * 1.2 + 1)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.spines[["top", "right"]].set_visible(False)
        return _render(figure)


def occupancy_chart(data: RegionalReport) -> bytes | None:
    """Places and users per municipality (the services that operated in the period)."""
    import matplotlib

    rows = [row for row in data.occupancy if row.capacity]
    if not rows:
        return None
    names = [_short(row.municipality, 30) for row in rows]
    with matplotlib.rc_context(FONT):
        figure = _horizontal(len(rows) * 1.3, names, below=1.2)
        axes = figure.add_subplot()
        positions = list(range(len(rows)))[::-1]
        axes.barh(
            [p + 0.2 for p in positions],
            [row.capacity for row in rows],
            height=0.4,
            color=GREY,
            label=_("Places"),
        )
        axes.barh(
            [p - 0.2 for p in positions],
            [row.users for row in rows],
            height=0.4,
            color="#1E88E5",
            label=_("Users"),
        )
        _row_labels(axes, positions, names)
        axes.set_ylim(-0.7, len(rows) - 0.3)
        axes.spines[["top", "right"]].set_visible(False)
        figure.legend(loc="lower center", ncols=2, frameon=False, fontsize=7)
        return _render(figure)


def status_chart(data: RegionalReport) -> bytes | None:
    """Indicators by status (a single bar per status)."""
    import matplotlib

    if not any(data.status_counts.values()):
        return None
    names = status_labels()
    with matplotlib.rc_context(FONT):
        figure = _figure(16, 5.5)
        axes = figure.add_subplot()
        counts = [data.status_counts.get(status, 0) for status in STATUSES]
        bars = axes.bar([names[s] for s in STATUSES], counts, color=[STATUS_COLOURS[s] for s in STATUSES])
        axes.bar_label(bars, padding=2)
        axes.set_ylim(0, max(counts) * 1.2 + 1)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.spines[["top", "right"]].set_visible(False)
        return _render(figure)


def report_charts(data: RegionalReport) -> list[Chart]:
    """Every chart of the regional report, titled, in the order the report shows them."""
    charts = []
    if (png := status_chart(data)) is not None:
        charts.append(Chart(_("Indicators by status"), png))
    pieces = indicator_charts(data)
    for index, png in enumerate(pieces, 1):
        title = _("Indicators against the value expected by the end of the period")
        if len(pieces) > 1:
            title += f" ({index}/{len(pieces)})"
        charts.append(Chart(title, png))
    if (png := submissions_chart(data)) is not None:
        charts.append(Chart(_("Reports by status"), png))
    if (png := occupancy_chart(data)) is not None:
        charts.append(Chart(_("Places and users by municipality"), png))
    return charts
