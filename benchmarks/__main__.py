"""Run the benchmarks and write docs/PERFORMANCE.md (``make bench``; ``--quick`` for a smoke run)."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
from pathlib import Path

from benchmarks._harness import Result

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "PERFORMANCE.md"


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("only", nargs="*", help="benchmark module names (default: all)")
    args = parser.parse_args()
    names = args.only or sorted(p.stem for p in HERE.glob("bench_*.py"))
    sections: list[tuple[str, str, list[Result]]] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        results = module.run(quick=args.quick)
        for r in results:
            print(
                f"   {r.name}: {r.value:,.3f} {r.unit}  {r.target}  {'' if r.ok is None else ('OK' if r.ok else 'MISSED')}"
            )
        sections.append((name, (module.__doc__ or name).strip(), results))
    lines = [
        "# Performance",
        "",
        f"Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} on {_machine()}.",
        f"Command: `make bench`{' (quick sizes)' if args.quick else ''}. Ratios compare figures taken in the same run.",
        "",
    ]
    for name, doc, results in sections:
        lines += [
            f"## {name}",
            "",
            doc,
            "",
            "| figure | value | target | met |",
            "|---|---|---|---|",
        ]
        for r in results:
            met = "" if r.ok is None else ("yes" if r.ok else "**no**")
            lines.append(f"| {r.name} | {r.value:,.3f} {r.unit} | {r.target} | {met} |")
        notes = [r.notes for r in results if r.notes]
        lines += [""] + [f"- {n}" for n in notes] + [""]
    if args.only and OUT.exists():
        print(f"(partial run: not overwriting {OUT}; pass no names to rewrite it)")
        return 0
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
