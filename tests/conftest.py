"""Session-wide test hooks."""

from __future__ import annotations


def pytest_collection_modifyitems(config, items):
    """Run the tests marked slow first, everything else in its usual order after them.

    With pytest-xdist (``-n auto``), a test of a minute that starts last keeps one worker
    busy while the others have nothing left to do; started first, the many short tests
    fill in around it. The order is the same in every worker (a stable sort of the same
    collection), as xdist requires. No test depends on running before another.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
