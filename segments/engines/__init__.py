"""Engines past pandas: DuckDB scans large files out of core on one machine.

Whatever the engine, the rest of the product receives the same aggregates
(:class:`segments.SegmentationResult`).
"""
