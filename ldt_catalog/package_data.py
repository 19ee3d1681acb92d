"""Where the files that travel with the tool live: contexts, shapes, SPARQL queries.

In a source checkout they sit at the top of the repository (``contexts/``, ``shapes/``,
``queries/``); an installed package carries them as ``ldt_catalog/contexts`` and so on (see
``[tool.setuptools.package-dir]`` in ``pyproject.toml``).  Both are looked at, installed first.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent

DATA_FOLDERS = ("contexts", "shapes", "queries", "seed")


def data_dir(folder: str) -> Path:
    """The folder of package data named ``folder`` (one of ``DATA_FOLDERS``).

    Returns the installed copy when it exists, else the source checkout's; raises
    ``FileNotFoundError`` naming both places when neither exists.
    """
    if folder not in DATA_FOLDERS:
        raise ValueError(f"unknown package data folder {folder!r}; expected one of {DATA_FOLDERS}")
    candidates = (PACKAGE_DIR / folder, SOURCE_ROOT / folder)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the {folder}/ folder of ldt-catalog is missing (looked in {', '.join(map(str, candidates))})"
    )
