"""Partners: stakeholder organisations, the support challenges ask for, and their offers."""
