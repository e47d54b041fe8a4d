"""Segments and journey rules in the admin."""
