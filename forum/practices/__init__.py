"""Verified practices and the book of good practices ("Kumpulan Praktik Baik")."""
