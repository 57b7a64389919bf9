"""What the two hostile inventory files of issue 10 cost to refuse: time and peak memory.

Run from the project root: `.venv/bin/python bench/hostile_uploads.py [--no-tracemalloc]`.
Each file is read by `read_inventory` in a fresh child process, so that one case's memory
does not count in the next: wall and CPU time and the growth of the peak resident size
(`ru_maxrss`) come from one run, the peak of Python allocations (`tracemalloc`, which slows
the reading down) from another. A case still running after `--timeout` seconds is stopped.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from equipbank.donations.inventory.reader import InventoryFileError, read_inventory
from tests.donations.inventory.hostile_files import csv_with_wide_header, xlsx_with_empty_rows

CASES = {
    "XLSX, 2,000,000 empty rows": (lambda: xlsx_with_empty_rows(2_000_000), "inventaire.xlsx"),
    "CSV, 1,000,000 header columns": (lambda: csv_with_wide_header(1_000_000), "inventaire.csv"),
}


def _read(label: str, traced: bool, results) -> None:
    build, filename = CASES[label]
    content = build()
    if traced:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        read_inventory(content, filename)
        outcome = "accepted"
    except InventoryFileError as error:
        outcome = f"refused: {error.message}"
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before  # KiB on Linux
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    results.put((len(content), outcome, wall, cpu, rss_growth, peak))


def _run(label: str, traced: bool, timeout: float):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_read, args=(label, traced, results))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return results.get()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    for label in CASES:
        measured = _run(label, False, args.timeout)
        if measured is None:
            print(f"{label}: still running after {args.timeout:.0f} s, stopped")
            continue
        size, outcome, wall, cpu, rss_growth, _ = measured
        line = (
            f"{label} ({size / 1024:,.0f} KiB): {wall * 1000:,.0f} ms wall, "
            f"{cpu * 1000:,.0f} ms CPU, peak RSS +{rss_growth / 1024:,.1f} MiB"
        )
        if not args.no_tracemalloc:
            traced = _run(label, True, args.timeout)
            line += (
                ", tracemalloc: stopped (timeout)"
                if traced is None
                else f", tracemalloc peak {traced[5] / 2**20:,.1f} MiB"
            )
        print(line)
        print(f"    {outcome[:200]}")


if __name__ == "__main__":
    main()
