"""The dashboard's one period rule: at most ten years, however the period is given."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from forum.insight.figures import MAX_PERIOD_DAYS
from tests.helpers import client_for

PATHS = [
    "/dashboard",
    "/dashboard/report",
    "/dashboard/charts/weekly.svg",
    "/dashboard/export.csv",
    "/dashboard/export.xlsx",
]


def days_ago(days: int) -> str:
    # A day's margin is left at the boundaries: "today" is the member's (WIB).
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    return (today - timedelta(days=days)).isoformat()


@pytest.fixture
def dashboard_client(app, facilitator):
    return client_for(app, facilitator)


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2000-01-01"},  # alone: up to today, 26 years and more
        {"from": "2000-01-01", "to": "2026-12-01"},
        {"from": "2010-01-01", "to": "2020-01-10"},
        {"from": days_ago(MAX_PERIOD_DAYS + 2)},
    ],
)
def test_a_period_longer_than_ten_years_is_a_400_everywhere(dashboard_client, params):
    page = dashboard_client.get("/dashboard", query_string=params)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'id="from-error"' in html
    assert "Choose a period of at most ten years." in html
    for path in PATHS[1:]:
        with dashboard_client.get(path, query_string=params) as response:
            assert response.status_code == 400, path


@pytest.mark.parametrize(
    "params",
    [
        {"from": days_ago(MAX_PERIOD_DAYS - 1)},
        {"from": "2016-01-01", "to": "2026-01-01"},
        {"to": "2100-12-31"},  # alone: the year before it
    ],
)
def test_a_period_of_ten_years_or_less_is_shown(dashboard_client, params):
    for path in PATHS:
        with dashboard_client.get(path, query_string=params) as response:  # closes the xlsx file
            assert response.status_code == 200, path
