"""The search page: a form over ``search_index``, hits loaded from the database."""
