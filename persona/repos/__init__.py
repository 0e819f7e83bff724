"""Repositories: one module per aggregate, the only places that hold SQL.

Each module owns the tables of one aggregate and maps their rows to objects
(for example ``segmentations``: datasets, segmentations, segments and customer
labels). Services call their write functions inside
:meth:`persona.store.Store.transaction`; the schema itself lives in
:data:`persona.store.MIGRATIONS`.
"""
