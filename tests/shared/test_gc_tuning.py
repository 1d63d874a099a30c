"""The services' cycle collector: what is alive at start-up is frozen, young collections
are rarer (run in a child process: the test process keeps CPython's defaults)."""

from __future__ import annotations

import json
import subprocess
import sys

from candor_shared.runtime import GC_GEN0_THRESHOLD

PROBE = """
import gc, json
from candor_shared.runtime import tune_gc
defaults = gc.get_threshold()
tune_gc()
cycle = []
cycle.append(cycle)
del cycle
print(json.dumps({"defaults": defaults, "tuned": gc.get_threshold(),
                  "frozen": gc.get_freeze_count(), "unreachable": gc.collect()}))
"""


def test_tune_gc_freezes_the_start_up_heap_and_raises_the_young_threshold() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
    ).stdout
    probe = json.loads(out)

    assert probe["defaults"][0] == 700
    assert probe["tuned"] == [GC_GEN0_THRESHOLD, *probe["defaults"][1:]]
    assert probe["frozen"] > 1000
    assert probe["unreachable"] >= 1, "cyclic garbage must still be collected"
