"""The published jero 0.1.9 from PyPI, in a venv of its own.

It has the same package name as this repository's jero, so it cannot share the
interpreter: `published_python()` makes (once, then reuses) a venv under the system's
temporary directory with `uv venv` + `uv pip install jero==0.1.9` and this environment's
granian version, and returns its interpreter, or the reason it could not.
"""

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION = "0.1.9"
NAME = f"jero-{VERSION}"
VENV = Path(tempfile.gettempdir()) / f"jero-bench-published-{VERSION}"


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def _works(python: Path) -> bool:
    """The venv has the published jero and the same granian as this environment."""
    if not python.exists():
        return False
    granian = importlib.metadata.version("granian")
    probe = (
        "import importlib.metadata as m, asyncpg; "
        f"assert m.version('jero') == {VERSION!r} and m.version('granian') == {granian!r}"
    )
    done = subprocess.run([str(python), "-c", probe], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


def published_python() -> Path | str:
    """The venv's interpreter, or why the published jero cannot be installed here."""
    python = _python(VENV)
    if _works(python):
        return python
    uv = shutil.which("uv")
    if uv is None:
        return "uv is not installed (it makes the published jero's venv)"
    granian = f"granian=={importlib.metadata.version('granian')}"
    extras = ["uvloop"] if importlib.util.find_spec("uvloop") else []
    env = {**os.environ, "UV_PYTHON": os.environ.get("UV_PYTHON", sys.executable)}
    steps = [
        [uv, "venv", "--quiet", "--allow-existing", str(VENV)],
        [uv, "pip", "install", "--quiet", "--python", str(python),
         f"jero=={VERSION}", granian, "asyncpg", *extras],
    ]  # fmt: skip
    for step in steps:
        try:
            done = subprocess.run(
                step, capture_output=True, text=True, timeout=300, env=env, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"cannot install jero {VERSION}: {exc}"
        if done.returncode != 0:
            return f"cannot install jero {VERSION}: {(done.stderr or done.stdout).strip()[:300]}"
    return python if _works(python) else f"jero {VERSION} installed but does not import"
