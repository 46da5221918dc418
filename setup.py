"""Build hooks for setuptools (all metadata is in pyproject.toml).

1. ``build_py`` copies the repository's top-level ``scenarios/``, ``experiments/`` and
   ``data/`` into the built package as ``simulation/_data/<kind>/``, so a wheel ships them
   without moving them in the repository (they stay the source of truth there). Every file
   present at build time is copied: a new scenario needs no list to be edited. Editable
   installs skip the copy; they read the repository folders (``simulation/io/resources.py``).
2. Too old a Python stops the build with a message naming the requirement, instead of a
   resolver error about one of the dependencies (effective when pip builds from the sdist or
   the source tree; a wheel is rejected by pip on ``Requires-Python`` before this runs).
"""

import shutil
import sys
from pathlib import Path

if sys.version_info < (3, 12):  # noqa: UP036 - the point is to say so on old interpreters
    sys.exit(
        f"egov-sim needs Python >= 3.12; this is Python {sys.version.split()[0]} ({sys.executable}). "
        "Install a newer Python (or run scripts/setup.sh, which finds one) and try again."
    )

from setuptools import setup  # noqa: E402
from setuptools.command.build_py import build_py  # noqa: E402

ROOT = Path(__file__).resolve().parent
SHIPPED = {
    "scenarios": ("*.toml",),
    "experiments": ("*.toml",),
    "data": ("*.csv", "*.md", "*.toml", "*.json"),
}


class build_py_with_data(build_py):  # noqa: N801 - setuptools command naming
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for kind, patterns in SHIPPED.items():
            src = ROOT / kind
            dst = Path(self.build_lib) / "simulation" / "_data" / kind
            if dst.exists():
                shutil.rmtree(dst)  # a file removed from the repository leaves the wheel too
            dst.mkdir(parents=True)
            files = sorted({p for pattern in patterns for p in src.glob(pattern) if p.is_file()})
            if kind == "scenarios" and not files:
                raise SystemExit(f"build: no scenarios in {src}; build from a complete source tree")
            for p in files:
                shutil.copy2(p, dst / p.name)
            self.announce(f"copied {len(files)} {kind} files into {dst}", level=2)


setup(cmdclass={"build_py": build_py_with_data})
