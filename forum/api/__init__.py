"""The JSON API v1 (/api/v1/): tokens, the same services and rules as the pages."""
