"""The dashboard's charts as standalone SVG documents, drawn on the server with pygal.

Each chart is served by its own route and shown with ``<img>``, so it works
without JavaScript, prints as a vector, and lives within the page's CSP (an
SVG document's own ``<style>`` never meets the page's ``style-src``). pygal's
scripts are taken out: these are pictures to read at a glance.
"""

from __future__ import annotations

import sys

import pygal
from flask_babel import format_date
from flask_babel import format_percent
from flask_babel import gettext as _
from pygal.style import Style

from . import figures
from . import spread

# pygal appends a legacy import hook for its map plugins (which we do not use).
# On Python 3.11 every import that no other finder resolves then warns through
# it (an ImportWarning, an error under -W error), so take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
INK = "#1d2327"
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground=INK,
    foreground_strong=INK,
    foreground_subtle="#b9bfc4",
    opacity="1",
    opacity_hover="1",
    stroke_width="3",
    colors=("#0b5d48", "#c06000", "#3d6fb6"),
    value_colors=(INK,),
    font_family=FONT,
    **{
        f"{part}_font_family": FONT
        for part in ("title", "label", "major_label", "value", "value_label", "legend", "no_data")
    },
    title_font_size=20,
    label_font_size=15,
    major_label_font_size=15,
    legend_font_size=16,
    value_font_size=15,
    value_label_font_size=15,
    no_data_font_size=22,
)
# Small enough that the labels stay readable when the image is scaled to half a page.
WIDTH, HEIGHT = 640, 380


def _chart(kind, **config):
    settings = dict(
        style=STYLE,
        js=[],  # no script: these are images
        width=WIDTH,
        height=HEIGHT,
        explicit_size=True,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        legend_box_size=14,
        print_values=False,
        margin=12,
        margin_bottom=20,
        truncate_label=-1,
        no_data_text=_("Nothing in this period"),
    )
    settings.update(config)
    chart = kind(**settings)
    chart.add_xml_filter(_without_scripts)
    return chart


def _without_scripts(root):
    """Drop pygal's inline config script: an image needs none, and none ever runs."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def count_axis(largest: int, ticks: int = 5) -> list[int]:
    """Whole-number axis labels from 0 past ``largest``: counts have no 0.2 of a thread."""
    magnitude = 1
    while True:
        for base in (1, 2, 5):
            step = base * magnitude
            if largest <= step * ticks:
                top = -(-max(largest, 1) // step) * step
                return list(range(0, top + 1, step))
        magnitude *= 10


def _every(count: int, wanted: int) -> int:
    """Show about ``wanted`` axis labels, whatever the number of buckets."""
    return max(1, -(-count // wanted))


def weekly(period: figures.Period) -> bytes:
    """Practices, challenges and replies per week, as lines."""
    buckets = figures.weekly(period)
    series = [
        (_("Best practices"), [b.practices for b in buckets]),
        (_("Challenges"), [b.challenges for b in buckets]),
        (_("Replies"), [b.replies for b in buckets]),
    ]
    chart = _chart(
        pygal.Line,
        title=_("Activity per week"),
        show_dots=len(buckets) <= 16,
        dots_size=3,
        show_minor_x_labels=False,
        x_labels_major_every=_every(len(buckets), 6),
        y_labels=count_axis(max((max(values, default=0) for _l, values in series), default=0)),
    )
    chart.x_labels = [format_date(bucket.label, "d MMM yy") for bucket in buckets]
    for label, values in series:
        chart.add(label, values)
    return chart.render()


def kinds(period: figures.Period) -> bytes:
    """Best practices next to challenges, per month."""
    buckets = figures.monthly(period)
    chart = _chart(
        pygal.Bar,
        title=_("Best practices and challenges per month"),
        legend_at_bottom_columns=2,
        show_minor_x_labels=False,
        x_labels_major_every=_every(len(buckets), 7),
        y_labels=count_axis(max((max(b.practices, b.challenges) for b in buckets), default=0)),
    )
    chart.x_labels = [format_date(bucket.label, "MMM yy") for bucket in buckets]
    chart.add(_("Best practices"), [b.practices for b in buckets])
    chart.add(_("Challenges"), [b.challenges for b in buckets])
    return chart.render()


def solved(period: figures.Period) -> bytes:
    """The share of challenges solved, per region (how many there were in brackets)."""
    shares = list(reversed(figures.solved_by_region(period)[:10]))
    chart = _chart(
        pygal.HorizontalBar,
        title=_("Challenges solved, by region"),
        show_legend=False,
        range=(0, 1),
        y_labels=[0, 0.25, 0.5, 0.75, 1],
        value_formatter=lambda share: format_percent(share or 0),
    )
    chart.x_labels = [
        _("%(region)s (%(count)d)", region=share.name, count=share.challenges) for share in shares
    ]
    chart.add(_("Solved"), [share.share for share in shares])
    return chart.render()


def tags(period: figures.Period) -> bytes:
    """The most active tags: threads posted with each."""
    rows = list(reversed(figures.top_tags(period)))
    chart = _chart(
        pygal.HorizontalBar,
        title=_("Most active tags"),
        show_legend=False,
        y_labels=count_axis(max((count for _name, count in rows), default=0)),
    )
    chart.x_labels = [f"#{name}" for name, _count in rows]
    chart.add(_("Threads"), [count for _name, count in rows])
    return chart.render()


def adoptions(period: figures.Period) -> bytes:
    """Libraries that started trying another library's practice, per month."""
    months = spread.monthly(period)
    chart = _chart(
        pygal.Bar,
        title=_("Libraries trying a practice, per month"),
        show_legend=False,
        show_minor_x_labels=False,
        x_labels_major_every=_every(len(months), 7),
        y_labels=count_axis(max((count for _month, count in months), default=0)),
    )
    chart.x_labels = [format_date(month, "MMM yy") for month, _count in months]
    chart.add(_("Adoptions"), [count for _month, count in months])
    return chart.render()


RENDERERS = {
    "weekly": weekly,
    "kinds": kinds,
    "solved": solved,
    "tags": tags,
    "adoptions": adoptions,
}


def render(name: str, period: figures.Period) -> bytes:
    """The SVG document of chart ``name`` (one of NAMES)."""
    return RENDERERS[name](period)
