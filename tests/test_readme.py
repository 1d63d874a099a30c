"""The README stays true: its configuration table is the one the settings classes give."""

from __future__ import annotations

from pathlib import Path

from candor_dev.settings_table import markdown, readme_block, settings_rows

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_setting() -> None:
    text = README.read_text()
    missing = [name for name in settings_rows() if f"`{name}`" not in text]
    assert missing == []


def test_readme_configuration_table_is_current() -> None:
    assert readme_block(README.read_text()) == markdown(), (
        "run: uv run python -m candor_dev.settings_table --write README.md"
    )


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make test" in text
