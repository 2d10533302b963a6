"""Report folders: gigawatt's files written into a folder without touching anyone else's.

The one writer for ``plan --out``, ``risk --out`` and ``simulate --report``. A report
folder carries a marker file, :data:`MARKER`, that lists the files gigawatt wrote there
(per kind of report, so a plan and a risk report can share a folder). The writer

* refuses a folder that is not empty and has no marker (someone else's folder), a path
  that is a file or lies under one, and a file of its own name that it did not write;
* never deletes a file it did not write (a user's ``notes.txt`` survives every run);
* writes in three steps, so that a run stopped at any point leaves either the previous
  report whole or the new one whole, or (only if killed during the few renames of step 2)
  a folder whose marker says ``"complete": false``:

  1. render every file, then write them all into a staging folder inside the report
     folder (``.gigawatt-staging-*``); the old report is untouched;
  2. rewrite the marker as incomplete, owning old and new files, and rename each staged
     file into place (Ctrl-C is held off for these renames, so only a kill can split them);
  3. delete this kind's files that the new report no longer has, then write the marker
     as complete.

  The next run into the folder removes leftover staging folders and owns every file an
  incomplete marker lists, so it can always finish the job.

A folder written by a gigawatt version before the marker (nothing in it but a report's
own names) is adopted as a report folder.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError

MARKER = ".gigawatt-report.json"
_STAGING = ".gigawatt-staging-"


def write_report_folder(out_dir: Path | str, kind: str, files: dict[str, str | bytes],
                        *, option: str = "--out") -> dict[str, Path]:
    """Write a report's ``files`` ({relative path: content}) into ``out_dir``.

    ``kind`` names the report (``plan``, ``risk``, ``simulate``); ``option`` the flag the
    user gave, for messages. Returns {relative path: written path}. Raises
    :class:`~gigawatt.errors.OutputError` (exit 2) where the folder cannot or must not
    be written.
    """
    out = Path(out_dir)
    try:
        owned = _prepare(out, option)
        _check_names(out, files, owned, option)
        staged = _stage(out, {rel: d for rel, d in files.items() if not _same(out / rel, d)})
        try:
            with _no_interrupts():
                _commit(out, kind, files, owned, staged)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    except OSError as exc:
        raise OutputError(f"cannot write the report folder {out}: "
                          f"{exc.strerror or exc} ({exc.filename or out})",
                          field=option) from None
    return {rel: out / rel for rel in files}


def check_report_folder(out_dir: Path | str, option: str = "--out") -> None:
    """Refuse, before any work is done, a folder :func:`write_report_folder` would refuse
    (a file, a path under a file, a non-empty folder that is not a report)."""
    out = Path(out_dir)
    try:
        _check_path(out, option)
        if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()) \
                and _legacy_report(out) is None:
            raise OutputError(_FOREIGN.format(out=out, marker=MARKER), field=option)
        base = next(p for p in [out.absolute(), *out.absolute().parents] if p.exists())
        os.rmdir(tempfile.mkdtemp(prefix=_STAGING, dir=base))  # can we write there?
    except OSError as exc:
        raise OutputError(f"cannot use {out} as the report folder: "
                          f"{exc.strerror or exc}", field=option) from None


_FOREIGN = ("{out} is not empty and is not a gigawatt report folder (it has no {marker}); "
            "give a new or empty folder, or a folder gigawatt wrote")


def _prepare(out: Path, option: str) -> dict[str, list[str]]:
    """Check the target and make it a report folder; return the files it already owns."""
    _check_path(out, option)
    if out.is_dir():
        marker = out / MARKER
        entries = [p.name for p in out.iterdir()]
        legacy = None if marker.is_file() else _legacy_report(out)
        if entries and not marker.is_file() and legacy is None:
            raise OutputError(_FOREIGN.format(out=out, marker=MARKER), field=option)
        owned = _read_marker(marker) if marker.is_file() else (legacy or {})
        if legacy:
            _write_marker(out, legacy, complete=True)
        for stale in out.glob(f"{_STAGING}*"):
            shutil.rmtree(stale, ignore_errors=True)
        if not marker.is_file():
            _write_marker(out, {}, complete=False)
        return owned
    out.mkdir(parents=True)
    _write_marker(out, {}, complete=False)
    return {}


#: What reports of gigawatt versions before the marker wrote: {kind: (names, signature)}.
_LEGACY = {"plan": ({"index.html", "plan.json", "tables"}, "plan.json"),
           "risk": ({"risk.html", "risk.json", "risk_draws.csv"}, "risk.json"),
           "simulate": ({"simulate.html", "simulate_timeseries.csv"},
                        "simulate_timeseries.csv")}


def _legacy_report(out: Path) -> dict[str, list[str]] | None:
    """The files of a report folder written before the marker existed (nothing but
    gigawatt's own names, tables holding only CSV files), by kind; None otherwise."""
    known = {n: kind for kind, (names, _) in _LEGACY.items() for n in names}
    top = {p.name: p for p in out.iterdir()}
    if not top or set(top) - set(known) or not any(
            sig in top and top[sig].is_file() for _, sig in _LEGACY.values()):
        return None
    owned: dict[str, list[str]] = {}
    for name, path in top.items():
        if path.is_dir():
            files = [p for p in path.rglob("*") if not p.is_dir()]
            if name != "tables" or any(p.suffix != ".csv" for p in files):
                return None
            owned.setdefault("plan", []).extend(str(p.relative_to(out)) for p in files)
        else:
            owned.setdefault(known[name], []).append(name)
    return owned


def _check_path(out: Path, option: str) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} is a file; {option} takes a folder", field=option)
    for parent in out.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputError(f"{out} lies under {parent}, which is a file; {option} "
                                  "takes a folder", field=option)
            break


def _check_names(out: Path, files: dict[str, str | bytes], owned: dict[str, list[str]],
                 option: str) -> None:
    """A file the report would write must be gigawatt's own or absent."""
    mine = {rel for rels in owned.values() for rel in rels}
    for rel in files:
        target = out / rel
        if target.is_dir() or (target.exists() and rel not in mine):
            raise OutputError(f"{target} exists and was not written by gigawatt; move it "
                              "or give another folder", field=option)


def _stage(out: Path, files: dict[str, str | bytes]) -> Path:
    staged = Path(tempfile.mkdtemp(prefix=_STAGING, dir=out))
    try:
        umask = os.umask(0)
        os.umask(umask)
        for rel, data in files.items():
            path = staged / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.encode() if isinstance(data, str) else data)
            os.chmod(path, 0o666 & ~umask)
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def _same(path: Path, data: str | bytes) -> bool:
    """``path`` already holds exactly ``data`` (an unchanged file is not rewritten)."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        return path.is_file() and path.stat().st_size == len(raw) and path.read_bytes() == raw
    except OSError:
        return False


def _commit(out: Path, kind: str, files: dict[str, str | bytes],
            owned: dict[str, list[str]], staged: Path) -> None:
    new = sorted(files)
    during = dict(owned)
    during[kind] = sorted(set(owned.get(kind, [])) | set(new))
    _write_marker(out, during, complete=False)
    for rel in new:
        if not (staged / rel).exists():
            continue  # already there, byte for byte (e.g. the shared plotly bundle)
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged / rel, out / rel)
    others = {rel for k, rels in owned.items() if k != kind for rel in rels}
    for rel in set(owned.get(kind, [])) - set(new) - others:
        _remove(out, rel)
    done = dict(owned)
    done[kind] = new
    _write_marker(out, done, complete=True)


def _remove(out: Path, rel: str) -> None:
    """Delete one of gigawatt's old files and the folders it leaves empty."""
    path = out / rel
    if path.is_file():
        path.unlink()
    for parent in path.parents:
        if parent == out or not parent.is_relative_to(out):
            break
        try:
            parent.rmdir()
        except OSError:
            break


def _read_marker(marker: Path) -> dict[str, list[str]]:
    try:
        files = json.loads(marker.read_text(encoding="utf-8")).get("files", {})
    except (ValueError, AttributeError, UnicodeDecodeError):
        return {}
    if not isinstance(files, dict):
        return {}
    return {str(k): [str(f) for f in v if isinstance(f, str) and ".." not in Path(f).parts]
            for k, v in files.items() if isinstance(v, list)}


def _write_marker(out: Path, files: dict[str, list[str]], *, complete: bool) -> None:
    from .files import write_atomic

    doc = {"gigawatt_report": 1, "complete": complete, "files": files}
    write_atomic(out / MARKER, json.dumps(doc, indent=2) + "\n")


def read_marker(out_dir: Path | str) -> dict | None:
    """The marker of a report folder (None where there is none)."""
    marker = Path(out_dir) / MARKER
    if not marker.is_file():
        return None
    return json.loads(marker.read_text(encoding="utf-8"))


@contextmanager
def _no_interrupts() -> Iterator[None]:
    """Hold SIGINT/SIGTERM off (delivered afterwards) while the renames run."""
    if threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    blocked = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


__all__ = ["MARKER", "write_report_folder", "check_report_folder", "read_marker"]
