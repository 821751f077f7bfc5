"""Write ``docs/layout.txt``: the package tree, one line per module.

Each line is the module's path, its length in lines and the first sentence of
its docstring, so the tree in the developer guide cannot drift from the code.
Run by ``docs/conf.py`` at every build (and by hand: ``python docs/_layout.py``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "skneq"


def _summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    first = " ".join(doc.strip().split("\n\n")[0].split())
    # First sentence; abbreviations such as "Sec." and "eq." do not end one.
    return re.split(r"(?<!Sec)(?<!eq)(?<!eqs)(?<!al)(?<!e\.g)\.\s", first)[0].rstrip(".")


def layout() -> str:
    lines = ["skneq/"]
    for path in sorted(ROOT.rglob("*.py"), key=lambda p: (p.parent != ROOT, str(p.relative_to(ROOT)))):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(ROOT)
        n = len(path.read_text().splitlines())
        lines.append(f"  {str(rel):<34} {n:4d}  {_summary(path)}")
    return "\n".join(lines) + "\n"


def write(out: Path = Path(__file__).with_name("layout.txt")) -> None:
    out.write_text(layout())


if __name__ == "__main__":
    write()
    print(layout())
