"""Moderation: pin, lock, hide, move, flags, suspensions, roles, reset links and the log.

Importing the package registers its tables on ``db.metadata`` (the factory does
so in ``register_blueprints``, before any ``create_all`` or migration). The
blueprint lives in :mod:`.views`, so services can be imported without the views.
"""

from . import models  # noqa: F401
