"""Demo data for ``manage.py seed_demo``: project-level, never part of an app.

One seeder per area (``users``, ``content``, ``audience``, ``campaigns``), each small; the
catalogue, the messages and the rest of the bulk data are JSON files in ``data/``. Only the
``seed_demo`` command imports this package; the apps never do.
"""
