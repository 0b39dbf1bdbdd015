"""Programme insight: peer-learning meetings and the facilitators' dashboard.

Two blueprints: ``meetings`` (everyone reads, facilitators record) and
``dashboard`` (facilitators and admins: figures, SVG charts, CSV/XLSX exports,
a printable report). Importing this package puts the meeting tables on
``db.metadata``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the meetings and dashboard blueprints."""
    from .dashboard import bp as dashboard_bp
    from .meetings import bp as meetings_bp

    app.register_blueprint(meetings_bp)
    app.register_blueprint(dashboard_bp)
