"""Label matchers as Alertmanager writes them: ``=``, ``!=``, ``=~``, ``!~``.

Regular expressions match the whole value (anchored), and a missing label matches as the
empty string, so ``team!=""`` means "has a team label".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Op = Literal["=", "!=", "=~", "!~"]


class Matcher(BaseModel):
    """One condition on one label (or field) of an alert."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=256, examples=["instance"])
    op: Op = Field(default="=", examples=["=~"])
    value: str = Field(max_length=1024, examples=["mx[0-9]+:.*"])

    @model_validator(mode="after")
    def _valid_pattern(self) -> Matcher:
        self.compiled()
        return self

    def compiled(self) -> CompiledMatcher:
        """The matcher ready to test label sets."""
        pattern = None
        if self.op in ("=~", "!~"):
            try:
                pattern = re.compile(self.value)
            except re.error as error:
                raise ValueError(f"not a regular expression: {error}") from None
        return CompiledMatcher(label=self.label, op=self.op, value=self.value, pattern=pattern)


@dataclass(frozen=True, slots=True)
class CompiledMatcher:
    """A matcher with its regular expression compiled once."""

    label: str
    op: Op
    value: str
    pattern: re.Pattern[str] | None

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether ``labels`` satisfy this condition."""
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        assert self.pattern is not None
        found = self.pattern.fullmatch(actual) is not None
        return found if self.op == "=~" else not found
