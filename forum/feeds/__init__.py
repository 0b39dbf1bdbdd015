"""Atom feeds of what a visitor may read: threads by kind, tag and region; replies."""
