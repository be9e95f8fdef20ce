"""docs/layout.md draws every package of gharchive_assets, and no other."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_layout_names_every_package_and_only_those():
    packages = {path.parent.name for path in (REPO / "gharchive_assets").glob("*/__init__.py")}
    table = (REPO / "docs/layout.md").read_text().split("## Packages", 1)[1]
    listed = set(re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE))
    assert listed == packages, (
        f"docs/layout.md lists {sorted(listed - packages)} that do not exist and "
        f"misses {sorted(packages - listed)}: update its table and picture"
    )
    picture = (REPO / "docs/layout.md").read_text().split("```mermaid", 1)[1].split("```", 1)[0]
    assert all(f"{name}/" in picture for name in packages), "every package in the picture"
