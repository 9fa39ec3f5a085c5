"""The allowed imports (README, "Architecture") and the size of modules, checked on every run."""

from __future__ import annotations

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "obligations"
MAX_LINES = 400


def test_the_import_contracts_in_pyproject_are_kept() -> None:
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_no_module_is_longer_than_400_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if "versions" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_feature_package_says_what_it_owns() -> None:
    packages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    undocumented = [
        p.name for p in packages if not (p / "__init__.py").read_text(encoding="utf-8").strip()
    ]
    assert packages and undocumented == []
