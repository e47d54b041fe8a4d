"""Celery tasks of the audience: thin, take ids, call one service, safe to run twice."""
