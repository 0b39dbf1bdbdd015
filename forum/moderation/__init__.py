"""Moderation: pin, lock, hide, move, flags, suspensions, roles, reset links and the log."""
