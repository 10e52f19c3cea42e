"""``make demo`` as a new user runs it: a copy of the working tree, a virtual environment that
does not exist yet (so the Makefile creates it, upgrades pip and installs chujing with
``pip install -e .``), then the demo scan. Nothing from pip or setuptools that says warning or
deprecated reaches the user, and the verdict is printed.

The one shortcut: the dependencies are not downloaded and unpacked again (about 150 s). The new
environment sees the test environment's packages through a ``.pth`` file pointing at a folder of
links to them (pip, setuptools and chujing left out, so that the Makefile installs those three
itself); pip never changes a package outside the environment it installs into. Every line of the
Makefile's recipes runs as written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What the Makefile installs itself in the new environment; everything else is linked.
_OWN = ("pip", "setuptools", "_distutils_hack", "distutils-precedence", "chujing", "__editable__",
        "__pycache__")


def _copy_of_the_working_tree(dest: Path) -> None:
    """The files a clone would hold, as they are now (committed or not), ignored ones left out."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout (an unpacked archive): every file but what is built
        built = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info")

        def ignore(folder: str, names: list[str]) -> set[str]:
            generated = {"data"} if Path(folder) == REPO / "benchmarks" else set()
            return set(built(folder, names)) | generated

        shutil.copytree(REPO, dest, dirs_exist_ok=True, symlinks=True, ignore=ignore)
        return
    listed = listed.stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())


def _environment_with_the_dependencies(venv: Path, links: Path) -> None:
    """A folder ``venv`` that ``python -m venv`` turns into an environment seeing our dependencies."""
    site = Path(sysconfig.get_paths()["purelib"])
    links.mkdir()
    for entry in site.iterdir():
        if not entry.name.startswith(_OWN) and not entry.name.endswith(".pth"):
            (links / entry.name).symlink_to(entry)
    relative = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    relative.mkdir(parents=True)
    (relative / "chujing-test-dependencies.pth").write_text(f"{links}\n")


def test_make_demo_installs_and_prints_the_verdict_with_no_build_tool_warnings(tmp_path):
    repo = tmp_path / "chujing"
    _copy_of_the_working_tree(repo)
    venv = tmp_path / "venv"
    _environment_with_the_dependencies(venv, tmp_path / "dependencies")
    environ = {k: v for k, v in os.environ.items()
               if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONWARNINGS", "COLUMNS", "LANG", "LC_ALL")}
    base_python = getattr(sys, "_base_executable", sys.executable)
    started = time.monotonic()
    run = subprocess.run(["make", "demo", f"VENV={venv}", f"PYTHON={base_python}"], cwd=repo, env=environ,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900, check=False)
    seconds = time.monotonic() - started
    output = run.stdout
    assert run.returncode == 0, output[-3000:]
    assert (venv / ".installed").exists() and (venv / "bin" / "chujing").exists(), "the install step did not run"
    noisy = [line for line in output.splitlines()
             if any(word in line.lower() for word in ("warning", "deprecat"))]
    assert not noisy, f"build-tool warnings reach the demo's reader: {noisy[:5]}"
    assert "Traceback" not in output
    assert "VERDICT: SECURITY ASSESSMENT (数据出境安全评估)" in output
    assert "Required by: automotive.4, automotive.6, automotive.11" in output
    print(f"make demo from a new environment: {seconds:.1f} s")
