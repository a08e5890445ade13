"""The demo district: households, waste rounds, residents and planning applications.

`generate(seed=..., households=..., residents=...)` builds it in memory (benchmarks and tests use
this); `python -m civic_simulators.district` writes it to `.local/demo/district.json`; `load(path)`
reads the file back. The format is the one in tools/simulators/README.md.
"""

from civic_simulators.district.generator import DEFAULT_PATH, dumps, generate, load, write

__all__ = ["DEFAULT_PATH", "dumps", "generate", "load", "write"]
