"""Engines past pandas: DuckDB for large files on one machine, Spark past one machine.

Whatever the engine, the rest of the product receives the same aggregates
(:class:`segments.SegmentationResult`).
"""
