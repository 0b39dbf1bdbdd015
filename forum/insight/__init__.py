"""Programme insight: peer-learning meetings and the facilitators' dashboard.

Two blueprints: ``meetings`` (everyone reads, facilitators record) and
``dashboard`` (facilitators and admins: figures, SVG charts, CSV/XLSX exports,
a printable report).
"""
