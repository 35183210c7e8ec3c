"""The shape of the source: layers that only point down and no import cycles (import-linter's
contracts in ``.importlinter``), no import inside a function, an engine that names no API, and no
long module without the reason written at its top."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from orderproof import registry

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "orderproof"
MODULES = sorted(SRC.rglob("*.py"))
# What knows no API: everything but the API packages (and the reference, which implements five).
API_NEUTRAL = [path for path in MODULES
               if not path.is_relative_to(SRC / "apis") and not path.is_relative_to(SRC / "reference")
               and path.name not in ("cli.py", "__init__.py")]
MAX_LINES = 400
LONG_REASON = "Long module:"


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")       # import-linter's command, beside this Python
    proc = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter")], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


# The one module allowed to import inside a function: the embedded reference's package loads its app,
# faults and variations on first use (FastAPI: 0.3 s of every process that never runs the reference).
LAZY_IMPORTS = {SRC / "reference" / "__init__.py"}


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                dynamic = (isinstance(inner, ast.Call) and isinstance(inner.func, (ast.Attribute, ast.Name))
                           and getattr(inner.func, "attr", getattr(inner.func, "id", None)) in ("import_module", "__import__"))
                if isinstance(inner, (ast.Import, ast.ImportFrom)) or (dynamic and path not in LAZY_IMPORTS):
                    found.append(f"{path.relative_to(SRC)}:{inner.lineno}")
    return found


def test_no_import_inside_a_function():
    found = [where for path in MODULES for where in _function_imports(path)]
    assert not found, "imports inside functions (a missing module must be an error at import): " + ", ".join(found)


def test_the_engine_names_no_api():
    names = set()
    for slug, api in registry.adapters().items():
        names |= {slug, api.package.rsplit(".", 1)[-1]}
    words = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    prefixes = re.compile(r"\b(" + "|".join(api.prefix for api in registry.adapters().values()) + r")-[A-Z0-9]")
    found = []
    for path in API_NEUTRAL:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = words.search(line) or prefixes.search(line)
            if match:
                found.append(f"{path.relative_to(SRC)}:{number}: {match.group(0)}")
    assert not found, "API names outside the API packages:\n" + "\n".join(found)


@pytest.mark.parametrize("path", [p for p in MODULES if len(p.read_text(encoding="utf-8").splitlines()) > MAX_LINES],
                         ids=lambda p: str(p.relative_to(SRC)))
def test_a_long_module_says_why_at_its_top(path):
    head = "\n".join(path.read_text(encoding="utf-8").splitlines()[:40])
    assert LONG_REASON in head, f"{path.relative_to(SRC)} is over {MAX_LINES} lines: split it, or say why at its top"
