"""The report paths of a run, checked before any check runs (SPEC: "Report paths are checked before the run").

A report that cannot be written is found at the end of a run otherwise: pytest-html's `mkdir` under a file is
an INTERNALERROR, the JSON summary's a traceback and exit 1 on a green run, and two reports on one path
silently keep only the one written last. Here each is a usage error (exit 4) that names the option.
Plain helpers: no pytest here; the plugin turns the message into a `pytest.UsageError`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

from .words import say


def problem(option: str, path: Path, shown: str, lang: str) -> Optional[str]:
    """Why the report `option` cannot be written at `path` (`shown` as the user wrote it), or None."""
    if path.is_dir():
        return say("usage.report_is_dir", lang, option=option, path=shown)
    for folder in path.parents:  # the nearest existing ancestor must be a folder, or mkdir fails under a file
        if os.path.lexists(folder):
            if not folder.is_dir():
                return say("usage.report_under_file", lang, option=option, path=shown, file=str(folder))
            break
    return None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:  # a loop of symlinks: compare as written
        return os.path.normpath(a) == os.path.normpath(b)


def problems(reports: Iterable[Tuple[str, Optional[str]]], base: Path, lang: str) -> List[str]:
    """Every problem of the reports `(option, path as given)`: paths relative to `base` (where pytest started)."""
    found, seen = [], []
    for option, given in reports:
        if not given:
            continue
        path = Path(base, os.path.expanduser(str(given)))
        why = problem(option, path, str(given), lang)
        if why:
            found.append(why)
            continue
        for other_option, other in seen:
            if _same(path, other):
                found.append(say("usage.report_same_path", lang, option=option, other=other_option, path=str(given)))
                break
        seen.append((option, path))
    return found
