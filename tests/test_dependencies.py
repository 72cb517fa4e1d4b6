"""The locks (requirements/, made by pip-tools) agree with pyproject.toml, and pin everything.

dev.py installs from the locks alone: a dependency added to or changed in pyproject.toml
without the locks made again would never be installed (the README's "Dependencies" says
how). Offline: pip-tools would need the package index to resolve the tree again.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PINNED = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def locked(name: str) -> dict[str, str]:
    """The lock's packages: canonical name -> version. Every line naming one must pin it."""
    packages = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if not line or line[0] in "# -" or line.startswith(" "):
            continue  # comments, options, and the hashes under each package
        match = PINNED.match(line)
        assert match, f"requirements/{name}: not pinned to one version: {line!r}"
        packages[canonicalize_name(match[1])] = match[2]
    return packages


@pytest.mark.parametrize(
    ("lock", "extras"), [("app.txt", ()), ("test.txt", ("test",))], ids=["app", "test"]
)
def test_each_lock_holds_what_pyproject_asks_for_at_a_version_it_allows(lock, extras):
    packages = locked(lock)
    wanted = list(PROJECT["dependencies"])
    for extra in extras:
        wanted += PROJECT["optional-dependencies"][extra]
    for line in wanted:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in packages, f"{name} is in pyproject.toml but not in requirements/{lock}"
        assert requirement.specifier.contains(packages[name], prereleases=True), (
            f"requirements/{lock} has {name}=={packages[name]}, pyproject.toml asks {line!r}"
        )


def test_every_package_carries_its_hashes():
    # pip installs with --require-hashes: a package without one would stop the install.
    for lock in ("app.txt", "test.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1])
        for entry in entries:
            if PINNED.match(entry):
                assert "--hash=sha256:" in entry, f"requirements/{lock}: {entry.split()[0]}"


def test_the_test_lock_is_the_app_lock_and_the_test_tools():
    app, test = locked("app.txt"), locked("test.txt")
    assert {name: version for name, version in test.items() if name in app} == app
