"""Repositories: one module per aggregate, the only places that hold its SQL.

Each module owns the tables of one aggregate and maps their rows to objects
(``segmentations``: datasets, segmentations, segments and customer labels).
Services call these functions inside :meth:`persona.store.Store.transaction`;
the schema itself lives in :data:`persona.store.MIGRATIONS`.
"""
