"""The mock scenarios as data: where `fixtures/` is, which scenarios it holds, a scenario's sample env.

Apart from `gigachat.mock` (which answers HTTP with `responses`) so that a live run, and the log
viewer, can ask these questions without importing `responses` and `requests`.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

BASE = "healthy"


def fixtures_dir(root: Optional[Path] = None) -> Path:
    own = Path(__file__).resolve().parent / "fixtures"  # shipped with the package
    for candidate in ([root / "fixtures"] if root else []) + [own]:
        if (candidate / "scenarios").is_dir():
            return candidate
    return own


def scenarios(fixtures: Path) -> List[str]:
    root = fixtures / "scenarios"
    return sorted(p.name for p in root.iterdir() if (p / "env").exists() or (p / "http.json").exists()) \
        if root.is_dir() else []


def sample_env(fixtures: Path, scenario: str) -> Path:
    path = fixtures / "scenarios" / scenario / "env"
    return path if path.exists() else fixtures / "scenarios" / BASE / "env"
