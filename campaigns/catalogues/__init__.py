"""Print catalogues: the hub's side of generating them (see ``channels.documents``).

``services`` queues a run and says what changed since the last one; ``source`` turns the
catalogue's published revision and its live products into the document contract's rows;
``runs`` plans, renders the parts, assembles; ``storage`` keeps the files.
"""
