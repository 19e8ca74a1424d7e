"""SPEC.md keeps the numbered sections that code and documents link to."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = (ROOT / "protocol" / "SPEC.md").read_text()
SECTIONS = set(re.findall(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", SPEC, flags=re.MULTILINE))


def test_top_level_sections_are_numbered_one_to_seventeen_in_order() -> None:
    """Sections 1 to 17 exist once each, in order."""
    numbers = re.findall(r"^## (\d+)\. ", SPEC, flags=re.MULTILINE)
    assert numbers == [str(number) for number in range(1, 18)]


def test_every_section_reference_in_the_core_exists() -> None:
    """Each `SPEC.md §N` in the protocol core, schemas and vectors README names a real section."""
    sources = [
        *(ROOT / "protocol" / "src" / "bitaqa" / "protocol").glob("*.py"),
        *(ROOT / "protocol" / "schemas").glob("*.json"),
        ROOT / "protocol" / "vectors" / "README.md",
    ]
    references = {
        (source.name, number)
        for source in sources
        for group in re.findall(r"SPEC\.md[^\n§]{0,40}((?:§[\d.]+(?:, )?)+)", source.read_text())
        for number in re.findall(r"§(\d+(?:\.\d+)?)", group)
    }
    assert references
    assert {reference for reference in references if reference[1] not in SECTIONS} == set()
