"""Attachments: photos and documents on posts, checked, re-encoded and served safely."""
