"""Print the README's configuration table from the services' settings classes.

`python -m candor_dev.settings_table` writes Markdown; a test checks that the README lists
every ``CANDOR_*`` setting, so the table cannot fall behind the code.
"""

from __future__ import annotations

import importlib
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings

from candor_shared.contract.durations import iso_duration

SETTINGS_CLASSES = {
    "incident-api": "candor_incident_api.settings:ApiSettings",
    "sla-monitor": "candor_sla_monitor.settings:SlaSettings",
    "notifier": "candor_notifier.settings:NotifierSettings",
}


def load(path: str) -> type[BaseSettings]:
    """The settings class named ``module:Class``."""
    module, _, name = path.partition(":")
    cls: type[BaseSettings] = getattr(importlib.import_module(module), name)
    return cls


def _text(default: Any) -> str:
    """A default as the environment variable would spell it (durations in ISO 8601)."""
    if default is None:
        return ""
    if isinstance(default, timedelta):
        return iso_duration(default)
    return str(default)


def settings_rows() -> dict[str, dict[str, Any]]:
    """Every setting: its variable name, default, description and the services that read it."""
    rows: dict[str, dict[str, Any]] = {}
    for service, path in SETTINGS_CLASSES.items():
        cls = load(path)
        for field_name, field in cls.model_fields.items():
            variable = f"CANDOR_{field_name.upper()}"
            row = rows.setdefault(
                variable,
                {"defaults": {}, "description": field.description or "", "services": []},
            )
            row["services"].append(service)
            default = field.get_default(call_default_factory=True)
            row["defaults"][service] = _text(default)
            if field.description and not row["description"]:
                row["description"] = field.description
    return rows


def markdown() -> str:
    """The configuration table."""
    lines = ["| setting | default | read by | what it does |", "| --- | --- | --- | --- |"]
    for variable, row in sorted(settings_rows().items()):
        defaults = set(row["defaults"].values())
        if len(defaults) == 1:
            default = next(iter(defaults))
            default_text = f"`{default}`" if default else "(empty)"
        else:
            default_text = "; ".join(
                f"{service}: `{value}`" for service, value in row["defaults"].items()
            )
        services = "all" if len(row["services"]) == 3 else ", ".join(row["services"])
        lines.append(f"| `{variable}` | {default_text} | {services} | {row['description']} |")
    return "\n".join(lines) + "\n"


START, END = "<!-- settings:start -->", "<!-- settings:end -->"


def readme_block(readme: str) -> str:
    """The table currently between the README's settings markers."""
    return readme.split(START, 1)[1].split(END, 1)[0].strip("\n") + "\n"


def write_readme(path: Path) -> None:
    """Replace the table between the README's markers with the generated one."""
    text = path.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{markdown()}{END}{tail}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        write_readme(Path(sys.argv[2] if len(sys.argv) > 2 else "README.md"))
    else:
        print(markdown(), end="")
