"""Errors raised by the segmentation engine.

::

    SegmentsError
    ├── IngestError (ValueError)      a customer table cannot be loaded as given
    │   └── … one subclass per failure (see below), each naming file/row/column
    └── SegmentationError (ValueError) the table cannot be segmented as asked

``segments`` does not depend on ``persona``; ``persona.errors.USER_ERRORS``
includes :class:`SegmentsError` so the shells show these messages too.
"""

from __future__ import annotations


class SegmentsError(Exception):
    """Base of every segmentation error. ``str(err)`` is fit to show a user."""


class IngestError(SegmentsError, ValueError):
    """A customer table cannot be loaded; says which file, row or column and what to do."""


class SegmentationError(SegmentsError, ValueError):
    """The data cannot be segmented as asked (too few rows, no usable features …)."""
