"""Label rendering speed: 1,000 labels on A4 sheets, then 1,000 on a label printer's roll.

Run from the project's root: `.venv/bin/python bench/labels.py`. Best of 3 runs each, as the
time a person waits for a batch of labels; the PDF size is what the browser downloads.
"""

from __future__ import annotations

import time

from equipbank.devices.labels import Label, render_labels

COUNT = 1000
RUNS = 3


def labels() -> list[Label]:
    return [
        Label(
            tag=f"EB-{number:06d}",
            url=f"https://equipbank.example.org/d/EB-{number:06d}",
            caption="Dell Latitude 5490",
        )
        for number in range(1, COUNT + 1)
    ]


def measure(layout: str) -> tuple[float, int]:
    """(best time in seconds, PDF size in bytes) over RUNS renderings."""
    batch = labels()
    best, size = float("inf"), 0
    for _ in range(RUNS):
        start = time.perf_counter()
        pdf = render_labels(batch, layout, title="Banque du Numérique Nice Côte d’Azur")
        best = min(best, time.perf_counter() - start)
        size = len(pdf)
    return best, size


def main() -> None:
    for layout in ("sheet_3x7", "single"):
        seconds, size = measure(layout)
        print(
            f"{layout:10} {COUNT} labels: {seconds:.2f} s (best of {RUNS}), "
            f"{size / 1024:.0f} KiB, {seconds / COUNT * 1000:.1f} ms a label"
        )


if __name__ == "__main__":
    main()
