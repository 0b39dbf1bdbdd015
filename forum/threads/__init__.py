"""Threads and posts: lists, reading, writing, editing, withdrawing; a member's drafts."""
