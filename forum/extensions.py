"""Extension objects, created once and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from search_index import SearchIndex

from .database import Session

# Named constraints keep Alembic migrations predictable on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class _Limiter(Limiter):
    """Flask-Limiter, starting each app with its own storage alive.

    The limiter object outlives an app (tests build many): a storage outage seen
    by one app must not send the next app's counts to memory.
    """

    def init_app(self, app) -> None:
        self._storage_dead = False
        super().init_app(app)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The session routes the dashboard's reads to a read replica (forum/database.py).
db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
# If the shared storage (Redis) stops answering, each worker counts in memory
# until it is back, and any other storage error lets the request through:
# a rate limit must never take the forum down. (Fixed here, not in the config:
# Flask-Limiter reads these once per process.)
limiter = _Limiter(
    key_func=get_remote_address, in_memory_fallback_enabled=True, swallow_errors=True
)
search = SearchIndex()
