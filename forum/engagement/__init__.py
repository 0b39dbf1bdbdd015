"""Engagement: helpful marks, follows, notifications, mentions and bookmarks.

Importing the package registers its tables on ``db.metadata`` (the factory does
so in ``register_blueprints``). The blueprint lives in :mod:`.views`, so the
thread and moderation services can call :mod:`.service` without the views.
"""

from . import models  # noqa: F401
