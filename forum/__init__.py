"""Serambi: a peer-learning forum for Indonesia's village libraries.

``create_app`` only wires things together: migrations, the demo data and index
builds are CLI steps (``make run`` calls them), so gunicorn workers boot fast
and identically.
"""

from __future__ import annotations

from flask import Flask

from .config import Config
from .config import load_or_create_secret_key


def create_app(config: type | dict | None = None) -> Flask:
    """Build the app. ``config`` is a config class or a mapping of overrides."""
    app = Flask(__name__, template_folder="../templates", instance_relative_config=True)
    configure_app(app, config)
    register_extensions(app)
    register_blueprints(app)
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
    compress.init_app(app)
    limiter.init_app(app)
    _configure_login(app, login_manager)
    _configure_search(app)


def _configure_search(app: Flask) -> None:
    """The index is opened on first use; a missing one is rebuilt from the database."""
    from .extensions import db
    from .extensions import search
    from .search_documents import all_documents

    search.init_app(app, documents_source=lambda: all_documents(db.session))
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
        if user is None or user.session_token != token:
            return None
        return user


def register_blueprints(app: Flask) -> None:
    from . import errors
    from .attachments import init_app as init_attachments
    from .auth import bp as auth_bp
    from .engagement.views import bp as engagement_bp
    from .health import bp as health_bp
    from .insight import init_app as init_insight
    from .moderation.views import bp as moderation_bp
    from .search import bp as search_bp
    from .threads import bp as threads_bp
    from .users import bp as users_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(threads_bp)
    app.register_blueprint(users_bp)
    app.register_blueprint(moderation_bp)
    app.register_blueprint(search_bp)
    app.register_blueprint(engagement_bp)  # helpful, follows, notifications, bookmarks
    init_insight(app)  # meetings and the dashboard
    init_attachments(app)  # photos and documents on posts
    app.register_blueprint(health_bp)
    errors.init_app(app)


def register_request_hooks(app: Flask) -> None:
    from . import assets
    from . import headers
    from .http import refuse_nul_characters

    headers.init_app(app)
    assets.init_app(app)
    app.before_request(refuse_nul_characters)


def register_template_helpers(app: Flask) -> None:
    from . import i18n
    from .forms import EmptyForm
    from .markup import render_markdown
    from .permissions import TEMPLATE_HELPERS
    from .regions import regions
    from .users.forms import LanguageForm

    i18n.init_app(app)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals.update(TEMPLATE_HELPERS)
    # Forms in the page chrome never bind the request: on a refused or too-large
    # POST they would read (and fail on) the body again.
    app.jinja_env.globals.update(
        regions=regions,
        button_form=lambda: EmptyForm(formdata=None),
        language_form=lambda: LanguageForm(formdata=None),
    )


def register_commands(app: Flask) -> None:
    from . import cli

    cli.init_app(app)
