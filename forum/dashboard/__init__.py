"""The facilitators' dashboard: figures, SVG charts, CSV/XLSX exports, a printable report.

The figures are computed in :mod:`forum.insight` (figures, charts, exports).
"""
