"""Documentation that code can check, so that it does not rot."""

from __future__ import annotations

from pathlib import Path

from modelgallery.core.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in text]
    assert missing == []


def test_readme_opens_with_the_run_and_test_commands() -> None:
    lines = (DOCS.parent / "README.md").read_text().splitlines()
    commands = [line.split("#")[0].strip() for line in lines[:6] if line.startswith("make ")]
    assert commands == ["make run", "make test"]
    assert "make test" in (DOCS.parent / ".ci" / "run").read_text()
