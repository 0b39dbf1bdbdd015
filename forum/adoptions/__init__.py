"""Practices that spread: libraries trying each other's practices; practices solving challenges."""
