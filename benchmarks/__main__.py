"""Run the benchmarks and write docs/PERFORMANCE.md (``make bench``; ``--quick`` for a smoke run).

``python -m benchmarks bench_ids bench_feeds`` runs only those and replaces only their sections;
each section records its own date, machine and load, so figures from different runs are never
mixed within a section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import re
import sys
from pathlib import Path

from benchmarks._harness import Result

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "docs" / "PERFORMANCE.md"
HEADER = """# Performance

Figures written by `make bench` (`python -m benchmarks [NAME ...]`). Each section says when and
on what machine it was measured, and the load average when it started; ratios compare figures
taken side by side in the same run, since shared machines are noisy. `--quick` runs small sizes
(the test suite does, with `--out` to a scratch file, so that every benchmark keeps working).
"""


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
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def _section(name: str, doc: str, results: list[Result], quick: bool, load: float) -> str:
    when = dt.datetime.now().astimezone()
    lines = [
        f"<!-- bench:{name} -->",
        f"## {name}",
        "",
        doc,
        "",
        f"Measured {when:%Y-%m-%d %H:%M %Z}{' (quick sizes)' if quick else ''} on {_machine()}; "
        f"load average {load:.1f} at start.",
        "",
        "| figure | value | target | met |",
        "|---|---|---|---|",
    ]
    for r in results:
        met = "" if r.ok is None else ("yes" if r.ok else "**no**")
        lines.append(f"| {r.name} | {r.value:,.3f} {r.unit} | {r.target} | {met} |")
    notes = [r.notes for r in results if r.notes]
    lines += ["", *[f"- {n}" for n in notes], f"<!-- /bench:{name} -->"]
    return "\n".join(lines)


def _merge(sections: dict[str, str], out: Path = OUT) -> str:
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    blocks = {
        m.group(1): m.group(0)
        for m in re.finditer(r"(?ms)^<!-- bench:(\w+) -->\n.*?^<!-- /bench:\1 -->", old)
    }
    blocks.update(sections)
    return HEADER + "\n" + "\n\n".join(blocks[k] for k in sorted(blocks)) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"the file to write (default: {OUT.name} in docs/)"
    )
    parser.add_argument("only", nargs="*", help="benchmark module names (default: all)")
    args = parser.parse_args()
    names = args.only or sorted(p.stem for p in HERE.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        load = os.getloadavg()[0]
        print(f"== {name} (load average {load:.1f})", flush=True)
        results = module.run(quick=args.quick)
        for r in results:
            met = "" if r.ok is None else ("OK" if r.ok else "MISSED")
            print(f"   {r.name}: {r.value:,.3f} {r.unit}  {r.target}  {met}", flush=True)
        doc = (module.__doc__ or name).strip()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        section = _section(name, doc, results, args.quick, load)
        args.out.write_text(_merge({name: section}, args.out), "utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
