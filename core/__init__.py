"""Plumbing the apps share: backend loading, read-only admin viewsets, spreadsheet
safety, date windows, token hashing and group permissions for data migrations.

The apps (content, campaigns, channels) may import this package; it imports none of
them and not the project package ``hub``.
"""
