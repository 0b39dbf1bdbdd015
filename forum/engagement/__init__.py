"""Engagement: helpful marks, follows, notifications, mentions and bookmarks."""
