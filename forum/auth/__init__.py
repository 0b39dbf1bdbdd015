"""Accounts: register, log in and out, change password."""
