#!/usr/bin/env python3
"""The two commands of the README, for a fresh machine with only Python 3.11+ on it.

    python3 dev.py demo   create .venv, install, migrate, load the demo, serve on :8000
    python3 dev.py test   create .venv, install with test tools, check, run every test

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
# pip-tools' locks of pyproject.toml's dependencies: the app's, and the app's with the tests'.
LOCKS = ROOT / "requirements"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# The PDF export's font for Chinese, Japanese and Korean (discussions.exports.pdf.CJK_FONTS).
CJK_FONT_PACKAGE = "fonts-droid-fallback"
CJK_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="install, migrate, load the demo and serve it")
    demo.add_argument("--port", type=int, default=8000)
    test = sub.add_parser("test", help="install, lint and run the whole test suite")
    test.add_argument("pytest_args", nargs="*", help="extra arguments for pytest")
    # Options meant for pytest (-k, -x, -q ...) pass through untouched.
    args, passthrough = parser.parse_known_args()
    if passthrough and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(passthrough)}")

    # Checked at run time, not by the linter's target: an old python3 must get a clear answer.
    if sys.version_info < (3, 11):  # noqa: UP036
        sys.exit("Python 3.11 or newer is needed (this is {}.{}).".format(*sys.version_info[:2]))
    os.chdir(ROOT)
    if args.command == "demo":
        ensure_venv(extras=())
        ensure_cjk_font(required=False)
        return demo_command(args.port)
    ensure_venv(extras=("test",))
    ensure_cjk_font(required=True)
    # pytest's arguments as given, in their order: argparse would split an option from its
    # value (`-m "not slow"`, `-k footnote`), the value taken as a positional argument.
    return test_command(sys.argv[sys.argv.index("test") + 1 :])


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, env=env)


def ensure_venv(extras: tuple[str, ...]) -> None:
    """Create .venv and install the locked dependency tree, again only when the lock changes.

    The locks (requirements/, made by pip-tools from pyproject.toml: see the README's
    "Dependencies") pin every package and its hashes: two machines install the same tree.
    """
    if not PYTHON.exists():
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except (subprocess.CalledProcessError, OSError) as error:
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(
                f"Could not create a virtual environment ({error}). On Debian or Ubuntu, "
                "install the standard venv module first: apt-get install python3-venv"
            )
    lock = LOCKS / ("test.txt" if "test" in extras else "app.txt")
    stamp = VENV / ".installed"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    installed = stamp.read_text().split() if stamp.exists() else []
    if digest in installed:
        return
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--require-hashes",
        "--requirement",
        lock,
    )
    stamp.write_text("\n".join([*installed, digest]))


def ensure_cjk_font(required: bool) -> None:
    """Droid Sans Fallback (Debian's fonts-droid-fallback, Apache 2.0), with which the PDF
    export writes Chinese, Japanese and Korean: 4 MB, too large to ship in
    discussions/fonts, so installed as the browser is. The demo goes on without it (such
    a PDF says the font is missing); the tests need it."""
    if not CJK_FONT.exists():
        install_from_debian(
            CJK_FONT_PACKAGE,
            "PDF exports write Chinese with it",
            required=required,
            otherwise="until then, such PDFs leave that text out",
        )


def ensure_gettext() -> None:
    """GNU gettext's xgettext, with which a test extracts the interface's strings afresh to
    check that the translation catalogues hold every one of them."""
    if not shutil.which("xgettext"):
        install_from_debian("gettext", "A test extracts the strings to translate with it")


def install_from_debian(
    package: str, why: str, *, required: bool = True, otherwise: str = ""
) -> None:
    """Install a Debian package that a command needs, as root; otherwise say how (and stop,
    when it is required)."""
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", package, env=env)
        return
    message = f"{why}: run `sudo apt-get install {package}`"
    if required:
        sys.exit(f"{message}, then run the command again.")
    print(f"{message} ({otherwise}).", file=sys.stderr)


def manage(*command: str) -> None:
    run(PYTHON, "manage.py", *command)


def demo_command(port: int) -> int:
    manage("migrate", "--no-input")
    manage("setup_demo", "--base-url", f"http://127.0.0.1:{port}")
    print(f"\nServing on http://127.0.0.1:{port}/ (Ctrl-C stops it)\n", flush=True)
    # daphne's runserver: HTTP and WebSockets in one process.
    with contextlib.suppress(KeyboardInterrupt):
        manage("runserver", f"127.0.0.1:{port}")
    return 0


def find_chromium() -> str:
    """Debian's Chromium, installed if missing: browser tests fail rather than skip without it."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    install_from_debian(
        "chromium",
        "The browser tests need Debian's Chromium (or CHROMIUM_PATH set to a Chromium binary)",
    )
    return CHROMIUM_CANDIDATES[0]


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_redis() -> None:
    """A local Redis for the tests that run several server processes (they share live
    groups through it), started here if it is installed but not running."""
    if redis_answers():
        return
    if shutil.which("redis-server"):
        run(
            "redis-server",
            "--daemonize",
            "yes",
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
        )
        for _ in range(40):
            if redis_answers():
                return
            time.sleep(0.25)
    sys.exit(
        "Some tests run two server processes that share live updates through Redis, and no "
        "Redis answers on 127.0.0.1:6379: install it (apt-get install redis-server) and run "
        "the tests again."
    )


def ensure_postgres_binaries() -> None:
    """initdb and pg_ctl, for the drill that stops a PostgreSQL cluster of its own (on the
    SQLite run too): installed if missing, as the browser is."""
    if list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or shutil.which("initdb"):
        return
    install_from_debian(
        "postgresql",
        "The PostgreSQL restart drill runs a throwaway cluster and needs PostgreSQL's server "
        "binaries (initdb, pg_ctl)",
    )


def test_command(pytest_args: list[str]) -> int:
    os.environ["CHROMIUM_PATH"] = find_chromium()
    ensure_redis()
    ensure_postgres_binaries()
    ensure_gettext()
    bin_dir = VENV / "bin"
    run(bin_dir / "ruff", "check", ".")
    run(bin_dir / "ruff", "format", "--check", ".")
    manage("makemigrations", "--check", "--dry-run")
    database = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    layer = "Redis" if os.environ.get("REDIS_URL") else "in-memory"
    print(f"Running the tests on {database} with the {layer} channel layer.", flush=True)
    return subprocess.run([str(PYTHON), "-m", "pytest", *pytest_args]).returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
