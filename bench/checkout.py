"""The environment that makes a child process import this checkout's dockvenv.

Another ``pip install -e`` (a clone's CI run, say) may point site-packages elsewhere;
the benchmarks must time the code beside them.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def checkout_env() -> dict[str, str]:
    """``os.environ`` with this checkout's ``src`` first on ``PYTHONPATH``."""
    path = [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
