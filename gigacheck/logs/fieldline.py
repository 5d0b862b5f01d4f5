"""LG005's copy-paste line: the site's own timestamp field with `db_index=True` added, nothing else changed.

A remedy that writes the field anew (`models.DateTimeField(default=timezone.now, db_index=True)`) silently
turns the site's `auto_now_add=True` into something else; the fix is the field as the site defines it plus
the index. Read, in this order, from
- the installed model, where Django is set up in this process (`manage.py gigacheck`): gigacheck/django/site.py;
- the site's `Asistent/models.py` source beside where the run started or its env file (no Django needed,
  nothing imported or executed: the source is parsed);
and otherwise the line says how to add the argument without naming the others.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Iterable, Optional

MODEL = "SystemLog"
MODELS_FILE = Path("Asistent") / "models.py"
MAX_SOURCE = 1 << 20  # a models.py is a few KiB


def with_index(call: str) -> str:
    """`models.DateTimeField(auto_now_add=True)` -> `models.DateTimeField(auto_now_add=True, db_index=True)`."""
    head, _, inner = call.partition("(")
    inner = inner[:-1] if inner.endswith(")") else inner
    inner = inner.strip().rstrip(",").strip()
    return f"{head}({inner + ', ' if inner else ''}db_index=True)"


def from_source(path: Path, column: str) -> Optional[str]:
    """The field of class SystemLog whose name (or db_column) is `column`, as its source writes it, or None."""
    try:
        text = path.read_bytes()[:MAX_SOURCE].decode("utf-8", errors="replace")
        tree = ast.parse(text)
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ClassDef) and node.name == MODEL):
            continue
        for stmt in node.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                    and isinstance(stmt.value, ast.Call)):
                continue
            name = stmt.targets[0].id
            db_column = next((k.value.value for k in stmt.value.keywords if k.arg == "db_column"
                              and isinstance(k.value, ast.Constant)), None)
            if column in (name, db_column):
                segment = ast.get_source_segment(text, stmt.value) or ""
                call = " ".join(segment.split())  # one line to copy
                if any(k.arg == "db_index" for k in stmt.value.keywords):
                    return None  # it says db_index already (False, or not migrated): the generic line
                return f"{name} = {with_index(call)}" if call else None
    return None


def field_line(column: str, folders: Iterable[Path] = ()) -> Optional[str]:
    """`timestamp = models.DateTimeField(auto_now_add=True, db_index=True)` for the site's field, or None."""
    if "django" in sys.modules:  # set up by the site (manage.py gigacheck): the installed model says it
        try:
            from ..django.site import model_field_line
            line = model_field_line(MODEL, column)
        except Exception:  # the site's code: a model that cannot be read leaves the source to read
            line = None
        if line:
            return line
    seen = set()
    for folder in folders:
        if folder is None:
            continue
        path = Path(folder) / MODELS_FILE
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        line = from_source(path, column)
        if line:
            return line
    return None
