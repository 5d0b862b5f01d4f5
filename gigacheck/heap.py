"""The start-up heap, kept out of the run's last garbage collections.

pytest's unraisableexception plugin runs a full `gc.collect()` at unconfigure and again at
cleanup, to report exceptions raised in `__del__`. A full collection walks every object the
interpreter tracks, and nearly all of them are start-up's (the modules, classes and functions of
pytest, requests, responses, jinja2, ...): about a tenth of a mock run. Frozen once collection is
done (`gc.freeze`), they are skipped; what the checks create is still collected, so its unraisable
exceptions are still reported. Thawed after the last collection, so a process that goes on
(pytester's in-process runs) can collect them again.
"""

from __future__ import annotations

import gc


class StartupHeap:
    """Registered for a checks run only: freezes the heap once the checks are collected."""

    def pytest_collection_finish(self, session) -> None:
        gc.freeze()


def freeze_after_collection(config) -> None:
    """Call from a `tryfirst` pytest_configure: the thaw is then registered before the
    unraisableexception plugin's cleanup, and so runs after its collection (cleanups run LIFO)."""
    config.add_cleanup(gc.unfreeze)
    config.pluginmanager.register(StartupHeap(), "gigacheck-heap")
