"""The search page: a form over ``search_index``, hits loaded from the database."""

from flask import Blueprint

bp = Blueprint("search", __name__)

from . import views  # noqa: E402,F401
