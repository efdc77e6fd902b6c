"""The layers of docs/architecture.md hold: no app imports an app on a higher line."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

DOC = Path(settings.BASE_DIR) / "docs" / "architecture.md"
PACKAGE = Path(settings.BASE_DIR) / "aftersales"


def documented_layers() -> dict[str, int]:
    text = DOC.read_text(encoding="utf-8")
    return {app: int(layer) for layer, app in re.findall(r"^\| (\d+) \| `(\w+)` \|", text, re.M)}


def imported_apps(path: Path, apps: set[str]) -> set[str]:
    """The ``aftersales.<app>`` packages a module imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "aftersales" and len(parts) > 1 and parts[1] in apps:
                found.add(parts[1])
    return found


def test_every_app_is_in_the_table():
    apps = {path.parent.name for path in PACKAGE.glob("*/apps.py")}
    assert apps == set(documented_layers())


def test_no_app_imports_a_higher_layer():
    layers = documented_layers()
    upward = []
    for app, layer in layers.items():
        for path in (PACKAGE / app).rglob("*.py"):
            if path.relative_to(PACKAGE / app).parts[0] in ("tests", "migrations"):
                continue
            for other in imported_apps(path, set(layers)):
                if layers[other] > layer:
                    where = path.relative_to(PACKAGE)
                    upward.append(f"{where} imports {other} (layer {layers[other]} > {layer})")
    assert upward == []
