"""Serambi: a peer-learning forum for Indonesia's village libraries.

``create_app`` only wires things together: migrations, the demo data and index
builds are CLI steps (``make run`` calls them), so gunicorn workers boot fast
and identically.
"""

from __future__ import annotations

import os
from importlib import import_module

from flask import Flask

from .config import Config
from .config import finish_config
from .config import load_or_create_secret_key

# Each area's module that owns its blueprint ``bp``: forum/<area>/views.py, or the module
# itself for the one-file areas (health checks, hashed static assets).
AREAS = (
    "auth.views",
    "threads.views",
    "users.views",
    "moderation.views",
    "search.views",
    "engagement.views",  # helpful, follows, notifications, bookmarks
    "meetings.views",  # peer-learning meetings (rules in insight/)
    "dashboard.views",  # facilitators' figures and exports (computed in insight/)
    "attachments.views",  # photos and documents on posts
    "offline.views",  # the manifest, the service worker and the offline page (issue 23)
    "adoptions.views",  # "Kami mencoba ini" and practices solving challenges
    "practices.views",  # verified practices and the book of good practices
    "tokens.views",  # personal access tokens for the API (/settings/tokens)
    "api.views",  # the JSON API v1 (/api/v1/), token-authorized, CSRF-exempt
    "feeds.views",  # Atom feeds of what visitors may read
    "partners.views",  # partner organisations, the support board, offers
    "health",
    "assets",
)
# Modules that put tables on ``db.metadata`` (loaded before any create_all or migration).
MODELS = (
    "models",
    "moderation.models",
    "engagement.models",
    "insight.models",
    "attachments.models",
    "adoptions.models",
    "practices.models",
    "tokens.models",
    "partners.models",
    "content_version",  # bumped by triggers on every table visitors' pages read
    "jobs.models",  # background work (forum/jobs/)
    "render_versions",  # posts.render_version, bumped by triggers (the fragment cache's key)
)
# Modules that register job kinds (``@job_kind``), where the work lives.
JOB_KINDS = (
    "search.jobs",  # index updates: drain the search outbox
    "engagement.jobs",  # the e-mail digest
    "practices.jobs",  # large books of good practices
    "attachments.jobs",  # thumbnails and PDF previews drawn again
)


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app. ``config`` is a config class or a mapping of overrides."""
    # SERAMBI_INSTANCE_DIR: each server's own instance folder, outside the checkout.
    instance = os.environ.get("SERAMBI_INSTANCE_DIR")
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_relative_config=True,
        instance_path=os.path.abspath(instance) if instance else None,
    )
    configure_app(app, config)
    register_extensions(app)
    register_blueprints(app)
    register_listeners(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def configure_app(app: Flask, config) -> None:
    """Defaults, then the given class or overrides; then derived settings."""
    from .database import database_uri

    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_uri(
        app.config.get("SQLALCHEMY_DATABASE_URI"), app.instance_path
    )
    if not app.config.get("SECRET_KEY"):
        if app.config["SERAMBI_ENV"] == "production":
            raise RuntimeError("SECRET_KEY must be set in the environment in production")
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    finish_config(app.config)


def register_extensions(app: Flask) -> None:
    from . import database
    from . import i18n
    from .extensions import babel
    from .extensions import compress
    from .extensions import csrf
    from .extensions import db
    from .extensions import limiter
    from .extensions import login_manager
    from .extensions import migrate

    db.init_app(app)
    database.init_app(app, db)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    i18n.install_template_gettext(app)
    compress.init_app(app)
    limiter.init_app(app)
    _configure_login(app, login_manager)
    _configure_search(app)


def _configure_search(app: Flask) -> None:
    """The index is opened on first use; a missing one is rebuilt from the database."""
    from .extensions import db
    from .extensions import search
    from .search_documents import all_documents

    search.init_app(
        app, documents_source=lambda: all_documents(db.session), database=lambda: db.engine
    )
    search.install_hooks(db.session)


def _configure_login(app: Flask, login_manager) -> None:
    from flask_babel import lazy_gettext as _l

    from .extensions import db
    from .models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str):
        # get_id() is "<id>:<session token>"; a rotated token logs the cookie out.
        user_pk, _sep, token = user_id.partition(":")
        if not user_pk.isdigit() or not token or len(user_pk) > 10:
            return None
        user = db.session.get(User, int(user_pk))
        if user is None or user.session_token != token or user.is_deleted:
            return None
        if user.is_facilitator:
            _ = user.scopes  # read here, not while a template asks "may I moderate this"
        return user


def register_blueprints(app: Flask) -> None:
    """Every area's tables, then its blueprint ``bp``: one list, one way."""
    from . import converters
    from . import errors

    converters.init_app(app)  # <id:...> in every area's routes
    for name in MODELS:
        import_module(f"{__name__}.{name}")
    for name in AREAS:
        app.register_blueprint(import_module(f"{__name__}.{name}").bp)
    for name in JOB_KINDS:
        import_module(f"{__name__}.{name}")
    errors.init_app(app)


def register_listeners(app: Flask) -> None:
    """Areas react to each other's events (:mod:`forum.events`) instead of importing each other."""
    from .adoptions import service as adoptions
    from .attachments import service as attachments
    from .engagement import service as engagement
    from .insight import aggregates
    from .jobs import runner as jobs_runner

    engagement.subscribe()  # follows, mentions, notifications
    attachments.subscribe()  # files posted with a thread, reply or edit
    attachments.install_hooks()  # files of rolled-back posts are removed
    adoptions.subscribe()  # a challenge solved by a linked practice
    jobs_runner.init_app(app)  # background jobs: wake or start the in-process runner
    aggregates.install_hooks()  # the dashboard's stored figures follow every write


def register_request_hooks(app: Flask) -> None:
    from . import headers
    from .http import refuse_nul_characters

    headers.init_app(app)
    app.before_request(refuse_nul_characters)


def register_template_helpers(app: Flask) -> None:
    from . import template_helpers

    template_helpers.init_app(app)


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app, app_factory=create_app)
