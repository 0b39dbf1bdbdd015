"""Personal access tokens for the JSON API: created, named, scoped and revoked by a member."""
