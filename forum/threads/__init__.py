"""Threads and posts: lists, reading, writing, editing, withdrawing."""

from flask import Blueprint

bp = Blueprint("threads", __name__)

from . import views  # noqa: E402,F401
