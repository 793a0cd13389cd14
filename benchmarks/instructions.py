"""CPU instructions a page, ours against plain trafilatura, counted under valgrind.

    python benchmarks/instructions.py [--set variants|trafilatura-dev] [--passes N]
                                      [--pages K]

Pages per second on a shared 2-core machine move by some 5% from one run to the next,
as much as a change to the extractor does. The number of instructions a page takes does
not move: this script counts them with valgrind's callgrind (``valgrind`` must be on the
PATH), so that two versions of the code, or ours and trafilatura, compare to the
instruction. It runs each extractor in a child process under valgrind twice, with one
warm-up pass then ``N`` passes over the pages, and with the warm-up alone; the
difference, over the pages read, is the figure. Hash randomisation is off in the
children, so that two runs count the same.

An instruction count is not a time: instructions that wait on memory, or on a branch
guessed wrong, take longer. Beside the pages per second of ``benchmarks/extraction.py``
it tells a change of the work done from the machine's moods.

- ``variants``: the template-changed variants of ``fixtures/html``, which take a site
  plugin's generic fallback, given as bytes to ``archiver.extract`` and
  ``trafilatura.extract`` alike;
- ``trafilatura-dev``: the first ``K`` pages (by file name) of ../shared/eval/trafilatura-dev,
  through the generic extractor, the same bytes to both.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAF_DEV = ROOT.parent / "shared" / "eval" / "trafilatura-dev"
TOOLS = ("archiver.extract", "trafilatura.extract (plain)")
_COLLECTED = re.compile(r"Collected : (\d+)")


def pages(name: str, count: int) -> list[tuple[bytes, str | None]]:
    """The pages of the set ``name``: their bytes and URL."""
    if name == "variants":
        fixtures = ROOT / "fixtures" / "html"
        return [
            (
                sidecar.with_suffix(".html").read_bytes(),
                json.loads(sidecar.read_text(encoding="utf-8"))["url"],
            )
            for sidecar in sorted(fixtures.glob("*.variant.json"))
        ]
    evaldata = json.loads((TRAF_DEV / "evaldata.json").read_text(encoding="utf-8"))
    listed = sorted(evaldata.items(), key=lambda item: str(item[1]["file"]))[:count]
    return [
        (gzip.decompress((TRAF_DEV / "html" / f"{entry['file']}.gz").read_bytes()), url)
        for url, entry in listed
    ]


def child(tool: str, name: str, count: int, passes: int) -> None:
    """Run ``tool`` over the pages: once to warm up, then ``passes`` times."""
    import trafilatura

    import archiver

    def ours(raw: bytes, url: str | None) -> object:
        try:
            return archiver.extract(raw, url=url)
        except archiver.ArchiverError:
            return None  # a page it refuses has been read all the same

    def theirs(raw: bytes, _url: str | None) -> object:
        return trafilatura.extract(raw, include_comments=False)

    extractor = ours if tool == TOOLS[0] else theirs
    read = pages(name, count)
    for _ in range(1 + passes):
        for raw, url in read:
            extractor(raw, url)


def instructions(tool: str, name: str, count: int, passes: int) -> int:
    """The instructions of a child process that runs ``tool`` ``passes`` times."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        tool,
        "--set",
        name,
        "--pages",
        str(count),
        "--passes",
        str(passes),
    ]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run of {tool} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("variants", "trafilatura-dev"), default="variants")
    parser.add_argument(
        "--passes", type=int, default=5, help="passes counted after the warm-up (default 5)"
    )
    parser.add_argument(
        "--pages", type=int, default=40, help="trafilatura-dev pages read (default 40)"
    )
    parser.add_argument("--child", choices=TOOLS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.set, args.pages, args.passes)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not on the PATH: nothing counted", file=sys.stderr)
        return 1
    if args.set == "trafilatura-dev" and not TRAF_DEV.exists():
        print(f"not found: {TRAF_DEV}: this set needs the shared/ folder", file=sys.stderr)
        return 1
    passes = max(1, args.passes)
    read = len(pages(args.set, args.pages)) * passes
    # The counts do not depend on the machine's load: the runs go side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        counts = {
            (tool, n): pool.submit(instructions, tool, args.set, args.pages, n)
            for tool in TOOLS
            for n in (0, passes)
        }
        per_page = {
            tool: (counts[tool, passes].result() - counts[tool, 0].result()) / read
            for tool in TOOLS
        }
    print(f"{args.set}: instructions a page, {read} pages read after a warm-up")
    for tool, count in per_page.items():
        print(f"  {tool:32} {count / 1e6:8.2f} million")
    ours, theirs = per_page.values()
    print(f"  ratio, trafilatura's to ours: {theirs / ours:.3f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
