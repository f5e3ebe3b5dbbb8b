"""Every ```python block in README.md and docs/*.md runs, each as a standalone script."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<code>.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = page.read_text()
        for index, match in enumerate(FENCE.finditer(text)):
            if match["info"].strip() == "python":
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{page.name}:{line}#{index}", match["code"]))
    return found


BLOCKS = _blocks()


def test_the_docs_have_code() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[w for w, _ in BLOCKS])
def test_doc_block_runs(where: str, code: str) -> None:
    namespace = {"__name__": f"docs_{re.sub(r'\W', '_', where)}"}
    exec(compile(code, where, "exec"), namespace)
