"""Plain-text tables for the benchmark scripts, and jero's performance targets.

Nothing here measures; it only formats numbers and compares them with the targets
(informational: a benchmark run never fails because a target is missed).
"""

from collections.abc import Mapping, Sequence

from benchmarks.scenarios import Scenario

type Cell = float | str

# jero's in-process performance targets.
MAX_RATIO_TO_RAW = {"ping": 1.10, "path+query": 1.25, "post json": 1.25}
MAX_RATIO_TO_OWN_BASELINE = 1.10  # the rows with 1,000 routes wired
MIN_SPEEDUP = {"blacksheep": 2.0, "fastapi": 15.0}


def print_grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-align the first column, right-align the rest."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        first = row[0].ljust(widths[0])
        rest = "  ".join(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        print(f"{first}  {rest}".rstrip())


def ratio_text(value: Cell, reference: Cell) -> str:
    if isinstance(value, str) or isinstance(reference, str) or reference <= 0:
        return ""
    return f" ({value / reference:.2f}x)"


def print_table(
    results: Mapping[str, Mapping[str, Cell]], apps: Sequence[str], digits: int = 2
) -> None:
    """Rows are scenarios, columns apps: the value and, after raw, the ratio to raw."""
    rows: list[list[str]] = []
    for scenario, by_app in results.items():
        raw = by_app.get("raw", "-")
        row = [scenario]
        for app in apps:
            value = by_app.get(app, "-")
            text = value if isinstance(value, str) else f"{value:.{digits}f}"
            row.append(text + (ratio_text(value, raw) if app != "raw" else ""))
        rows.append(row)
    print_grid(["scenario", *apps], rows)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_jero_summary(
    results: Mapping[str, Mapping[str, Cell]],
    scenarios: Sequence[Scenario],
    skip_reason: str | None,
) -> None:
    """jero against its in-process targets (lower us is better)."""
    print()
    if not any(isinstance(by_app.get("jero"), float) for by_app in results.values()):
        print(f"jero targets: not checked, jero was not measured ({skip_reason or 'not asked'})")
        return

    def us(scenario: str, app: str) -> float | None:
        value = results.get(scenario, {}).get(app)
        return value if isinstance(value, float) else None

    lines: list[str] = []
    for scenario, limit in MAX_RATIO_TO_RAW.items():
        jero, raw = us(scenario, "jero"), us(scenario, "raw")
        if jero is not None and raw is not None:
            ratio = jero / raw
            ok = verdict(ratio <= limit)
            lines.append(f"  {scenario}: {ratio:.2f}x raw (<= {limit:.2f}: {ok})")
    if lines:
        print("jero vs raw:")
        print("\n".join(lines))

    lines = []
    for s in scenarios:
        if s.baseline is None:
            continue
        jero, own = us(s.name, "jero"), us(s.baseline, "jero")
        if jero is None or own is None:
            continue
        ratio = jero / own
        limit = MAX_RATIO_TO_OWN_BASELINE
        target = f" (<= {limit:.2f}: {verdict(ratio <= limit)})" if s.n_routes == 1000 else ""
        lines.append(f"  {s.name}: {ratio:.2f}x its '{s.baseline}' run{target}")
    if lines:
        print("jero with filler routes vs its own 0-route run:")
        print("\n".join(lines))

    for other, minimum in MIN_SPEEDUP.items():
        lines = []
        for s in scenarios:
            jero, theirs = us(s.name, "jero"), us(s.name, other)
            if jero is not None and theirs is not None:
                speedup = theirs / jero
                lines.append(f"  {s.name}: {speedup:.2f}x ({verdict(speedup >= minimum)})")
        if lines:
            print(f"jero speedup vs {other} (target >= {minimum:g}x):")
            print("\n".join(lines))
