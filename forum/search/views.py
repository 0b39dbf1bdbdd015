"""GET /search, the as-you-type fragment, and the search log for facilitators."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from flask_login import current_user
from flask_login import login_required

from ..extensions import search
from ..http import page_arg
from ..limits import search_limit
from ..limits import suggest_limit
from ..permissions import check
from ..permissions import why_not_moderate
from .forms import MAX_QUERY
from .forms import SearchForm
from .hits import describe_notes
from .hits import load_hits
from .hits import run_search
from .search_log import search_log_summary

bp = Blueprint("search", __name__)
SUGGEST_MIN_CHARS = 3


@bp.route("/search")
@search_limit
def results():
    form = SearchForm()
    found, hits = run_search(
        form,
        current_user,
        page=page_arg(),
        per_page=current_app.config["SEARCH_PER_PAGE"],
        exact=request.args.get("exact") == "1",  # "search exactly for" what was typed
    )
    notes = describe_notes(found.notes) if found else []
    return render_template("search/results.html", form=form, found=found, hits=hits, notes=notes)


@bp.route("/search/suggest")
@suggest_limit
def suggest():
    """Titles matching what is typed so far: a small HTML fragment for the search box."""
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    hits = search.suggest(query, limit=6) if len(query) >= SUGGEST_MIN_CHARS else []
    threads = load_hits(hits, current_user, current_app.config["REPLIES_PER_PAGE"])
    return render_template("search/_suggest.html", hits=threads, query=query)


@bp.route("/mod/search-log")
@login_required
def log():
    """What members search for, and what they search for in vain (facilitators only)."""
    check(why_not_moderate(current_user))
    frequent, empty = search_log_summary()
    return render_template("search/log.html", frequent=frequent, empty=empty)
