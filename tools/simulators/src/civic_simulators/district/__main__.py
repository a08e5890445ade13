"""`python -m civic_simulators.district [--seed 1] [--households 40000] [--residents 3000]
[--applications 20] [--out .local/demo/district.json]`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from civic_simulators.district.generator import DEFAULT_PATH, generate, write


def main() -> None:
    parser = argparse.ArgumentParser(prog="civic_simulators.district")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--households", type=int, default=40_000)
    parser.add_argument("--residents", type=int, default=3_000)
    parser.add_argument("--applications", type=int, default=20)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args()
    started = time.perf_counter()
    district = generate(
        seed=args.seed,
        households=args.households,
        residents=args.residents,
        applications=args.applications,
    )
    size = write(district, args.out)
    print(
        f"{args.out}: {len(district['households'])} households, "
        f"{len(district['rounds'])} rounds, {len(district['residents'])} residents, "
        f"{len(district['planning_applications'])} planning applications "
        f"({size / 1e6:.1f} MB, seed {args.seed}, {time.perf_counter() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
