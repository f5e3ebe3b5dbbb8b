"""The supported install (docs/getting-started.md): a built wheel brings the runtime with it.

Until jero is on PyPI, users install it from a clone or from a wheel built with `uv build`.
The wheel's metadata must require everything `import jero` and serving need (granian
included), and nothing that only the benchmarks or the test suite use.
"""

import email.parser
import os
import re
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = {"msgspec", "anyio", "granian", "httpx", "multipart"}
NOT_RUNTIME = {"fastapi", "litestar", "blacksheep", "schemathesis", "pytest", "mkdocs"}


def _requirement_names(metadata: str) -> set[str]:
    message = email.parser.Parser().parsestr(metadata)
    names = set()
    for requirement in message.get_all("Requires-Dist") or []:
        match = re.match(r"[A-Za-z0-9_.\-]+", requirement)
        assert match, requirement
        names.add(match.group(0).lower())
    return names


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not installed")
def test_built_wheel_requires_the_runtime_and_ships_the_package(tmp_path: Path) -> None:
    done = subprocess.run(
        ["uv", "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
    )
    assert done.returncode == 0, done.stderr
    [wheel] = tmp_path.glob("jero-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    assert "jero/__init__.py" in names
    assert "jero/py.typed" in names
    requirements = _requirement_names(metadata)
    assert requirements >= RUNTIME, sorted(RUNTIME - requirements)
    assert not requirements & NOT_RUNTIME, sorted(requirements & NOT_RUNTIME)


def test_benchmark_frameworks_are_opt_in() -> None:
    """`uv sync` installs the dev tools only; FastAPI & co. need `--group bench`."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["uv"]["default-groups"] == ["dev"]
    bench = " ".join(project["dependency-groups"]["bench"])
    for name in ("fastapi", "litestar", "blacksheep"):
        assert name in bench
