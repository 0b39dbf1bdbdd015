"""Meetings: everyone reads them; facilitators record, correct and link threads to them.

The rules and tables are in :mod:`forum.insight` (service, models, forms).
"""
