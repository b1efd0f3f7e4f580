"""The benchmark's figures and the Markdown tables they are printed in."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.serving import WrkResult


@dataclass
class Series:
    """The wrk runs of one (target, request) pair, one per round."""

    target: str
    request: str
    results: list[WrkResult] = field(default_factory=list)

    def rate(self) -> float:
        return statistics.median(r.requests_per_second for r in self.results)

    def rate_cell(self) -> str:
        rates = [r.requests_per_second for r in self.results]
        return f"{self.rate():.1f} ({min(rates):.1f}–{max(rates):.1f})"

    def p50(self) -> float:
        return statistics.median(r.p50_ms for r in self.results)

    def p99(self) -> float:
        return statistics.median(r.p99_ms for r in self.results)

    def errors(self) -> int:
        return sum(r.errors for r in self.results)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table; columns after the first two are right-aligned."""
    align = ["---" if n < 2 else "---:" for n in range(len(header))]
    lines = [header, align, *[[str(cell) for cell in row] for row in rows]]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def comparison(
    series: dict[str, Series],
    baselines: dict[str, Series],
    statements: dict[str, int],
    baseline_statements: dict[str, int],
) -> str:
    """The main table: each request on the API and on the hand-written
    endpoint, with the API's throughput as a fraction of the other's."""
    rows: list[list[object]] = []
    for name, one in series.items():
        base = baselines[name]
        for target, statement_count in (
            (one, statements[name]),
            (base, baseline_statements[name]),
        ):
            rows.append(
                [
                    target.target,
                    name,
                    target.rate_cell(),
                    f"{target.p50():.1f}",
                    f"{target.p99():.1f}",
                    f"{target.rate() / base.rate():.2f}",
                    statement_count,
                ]
            )
    return table(
        [
            "target",
            "query",
            "requests/s median (min–max)",
            "p50 ms",
            "p99 ms",
            "ratio to hand-written",
            "SQL statements per request",
        ],
        rows,
    )


def scaling(pairs: Sequence[tuple[Series, Series]], statements: dict[str, int]) -> str:
    """Each pair: the same query on a small case and a large one."""
    rows = [
        [
            one.request,
            f"{statements[one.request]}",
            one.rate_cell(),
            f"{one.p50():.1f}",
            f"{one.p99():.1f}",
            f"{one.rate() / small.rate():.2f}",
        ]
        for small, large in pairs
        for one in (small, large)
    ]
    return table(
        [
            "request (GraphQL API)",
            "SQL statements",
            "requests/s median (min–max)",
            "p50 ms",
            "p99 ms",
            "ratio to the small case",
        ],
        rows,
    )


def memory(rows: Sequence[tuple[str, int, Sequence[int]]]) -> str:
    """(point, requests served, VmRSS KiB of each worker) rows."""
    workers = max(len(sizes) for _, _, sizes in rows)
    return table(
        [
            "point",
            "list requests served",
            *[f"worker {n} MiB" for n in range(1, workers + 1)],
        ],
        [
            [label, f"{served:,}", *[f"{kib / 1024:.1f}" for kib in sizes]]
            for label, served, sizes in rows
        ],
    )
