"""Members: public profiles and personal settings."""
