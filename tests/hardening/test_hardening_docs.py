"""The docs do what they say: the first example answers an unknown book with a 404, and
every ```python block type-checks under `pyright --strict`, as users' code would."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from jero.testing import TestClient
from tests.docs.test_docs import BLOCKS, ROOT

PYRIGHT_SECONDS = 300


def test_the_first_example_answers_an_unknown_book_with_a_404() -> None:
    where, code = next((w, c) for w, c in BLOCKS if w.startswith("getting-started.md"))
    namespace: dict[str, object] = {"__name__": "getting_started"}
    exec(compile(code, where, "exec"), namespace)
    with TestClient(namespace["app"]) as client:  # type: ignore[arg-type]
        missing = client.get("/books/99")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_every_python_block_in_the_docs_passes_pyright_strict(tmp_path: Path) -> None:
    for where, code in BLOCKS:
        (tmp_path / f"{re.sub(r'\W', '_', where)}.py").write_text(code)
    config = {
        "typeCheckingMode": "strict",
        "pythonVersion": "3.13",
        "extraPaths": [str(ROOT / "src"), str(ROOT)],
    }
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(config))
    pyright = Path(sys.executable).with_name("pyright")
    result = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "-p", str(tmp_path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=PYRIGHT_SECONDS,
        check=False,
    )
    errors = [line.strip() for line in result.stdout.splitlines() if " - error: " in line]
    assert errors == [], "\n".join(errors)
    assert result.returncode == 0, result.stdout + result.stderr
