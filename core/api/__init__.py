"""The HTTP API plumbing the apps' routers share (django-ninja).

``inputs`` (client input that PostgreSQL can store, ISO 8601 date-times), ``problems``
(RFC 9457 problem details), ``encoding`` (the JSON renderer and parser), ``throttling``
(the per-client rate limit), ``paging`` (signed keyset cursors) and ``conditional``
(ETags and 304s). The API root that mounts the routers is the project's ``hub/api.py``;
like the rest of ``core``, nothing here imports an app or ``hub``.
"""
