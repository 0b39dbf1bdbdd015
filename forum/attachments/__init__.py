"""Attachments: photos and documents on threads and replies, checked, re-encoded and served safely.

Importing the package registers the ``attachments`` table (and ``Post.attachments``)
on the models, as :mod:`forum.moderation` does; the factory imports it through
:func:`init_app`, which also wires the blueprint, the CLI and the file cleanup hooks.
"""

from . import models  # noqa: F401


def init_app(app) -> None:
    from . import cli
    from . import service
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(cli.attachments_cli)
    service.install_hooks()
