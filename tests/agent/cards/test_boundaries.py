"""Only bitaqa.agent.cards.pcsc imports pyscard (STYLE.md rule 2)."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).parents[3] / "agent" / "src" / "bitaqa"


def _imports_smartcard(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(
            alias.name.split(".")[0] == "smartcard" for alias in node.names
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "smartcard":
            return True
    return False


def test_pcsc_is_the_only_agent_module_importing_smartcard():
    """Scanning every agent and vcard source file finds pyscard imported in pcsc.py alone."""
    importers = sorted(
        str(path.relative_to(SOURCE)) for path in SOURCE.rglob("*.py") if _imports_smartcard(path)
    )
    assert importers == ["agent/cards/pcsc.py"]
