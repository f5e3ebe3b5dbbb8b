"""The documentation site (mkdocs.yml): the API reference covers every public name.

`uv run mkdocs build --strict` (run by .ci/run) checks links and references; these tests
check what a build cannot know: that a name added to `jero.__all__`, `jero.testing` or
`jero.client` is documented, and that the reference names nothing that is no longer public.
"""

import re
from pathlib import Path

import yaml

import jero
import jero.client
import jero.testing

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "docs" / "reference.md"
PUBLIC_MODULES = {"jero": jero, "jero.testing": jero.testing, "jero.client": jero.client}
PUBLIC = {
    f"{prefix}.{name}" for prefix, module in PUBLIC_MODULES.items() for name in module.__all__
}


def _documented() -> list[str]:
    return re.findall(r"^::: (\S+)\s*$", REFERENCE.read_text(), re.MULTILINE)


def test_reference_documents_every_public_name_once() -> None:
    documented = _documented()
    assert sorted(set(PUBLIC) - set(documented)) == [], "add these to docs/reference.md"
    assert sorted(set(documented) - set(PUBLIC)) == [], "not public: remove from the page"
    assert len(documented) == len(set(documented)), "a name is documented twice"


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for dotted in sorted(PUBLIC):
        module, _, name = dotted.rpartition(".")
        if not (
            getattr(PUBLIC_MODULES[module], name).__doc__ or ""
        ).strip():  # its own, not inherited
            missing.append(dotted)
    assert missing == [], "the reference page renders docstrings: write one"


def _nav_pages(entries: list[object]) -> list[str]:
    pages: list[str] = []
    for entry in entries:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def test_nav_pages_exist_and_include_the_required_sections() -> None:
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages = _nav_pages(config["nav"])
    assert [p for p in pages if not (ROOT / "docs" / p).is_file()] == []
    for required in ("index.md", "getting-started.md", "philosophy.md", "comparison.md"):
        assert required in pages
    assert {"performance.md", "reference.md"} <= set(pages)
