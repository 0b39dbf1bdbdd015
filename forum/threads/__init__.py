"""Threads and posts: lists, reading, writing, editing, withdrawing."""

from flask import Blueprint

bp = Blueprint("threads", __name__)

from . import draft_views  # noqa: E402,F401
from . import views  # noqa: E402,F401
