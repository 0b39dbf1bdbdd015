"""Programme insight: the rules, tables and figures behind meetings and the dashboard.

No blueprint here: the pages are the ``meetings`` area (everyone reads,
facilitators record) and the ``dashboard`` area (facilitators and admins:
figures, SVG charts, CSV/XLSX exports, a printable report).
"""
