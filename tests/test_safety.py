"""Data safety across the whole pipeline: determinism, read-only raw data, no network, crash safety.

Two full pipeline runs are made in separate processes and separate project
folders. The second runs, where the machine allows it (root with
``unshare``, as in CI), inside a new network namespace with no interfaces and
with ``data/raw`` bind-mounted read-only, so one run proves all of: the same
bytes from the same inputs, nothing fetched, nothing written under raw.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compassion_study import files
from compassion_study.paths import Paths

from .conftest import REPO, tree_hashes

RUN = ["run", "--bootstrap", "200", "--pdf"]


def _project(base: Path) -> Paths:
    root = base / "project"
    shutil.copytree(REPO / "data" / "raw", root / "data" / "raw")
    shutil.copy(REPO / "study.yaml", root / "study.yaml")
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    return Paths.from_root(root)


def _isolation_available() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--net", "--mount", "true"], capture_output=True).returncode == 0


ISOLATE = textwrap.dedent("""\
    set -e
    raw="$1"; shift
    ip link set lo down 2>/dev/null || true
    mount --bind "$raw" "$raw"
    mount -o remount,bind,ro "$raw"
    exec "$@"
""")


def _cli(paths: Paths, *args: str, isolated: bool = False) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "compassion_study", "--root", str(paths.root), *args]
    if isolated:
        cmd = ["unshare", "--net", "--mount", "sh", "-c", ISOLATE, "sh", str(paths.raw), *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(first run, second run in another folder, whether the second was isolated, raw hashes before it)."""
    a = _project(tmp_path_factory.mktemp("run-a"))
    b = _project(tmp_path_factory.mktemp("run-b"))
    done = _cli(a, *RUN)
    assert done.returncode == 0, done.stderr
    isolated = _isolation_available()
    raw_before = tree_hashes(b.raw)
    if not isolated:  # as a non-root user, permissions make raw read-only
        for p in sorted(b.raw.rglob("*"), reverse=True):
            p.chmod(0o555 if p.is_dir() else 0o444)
        b.raw.chmod(0o555)
    done = _cli(b, *RUN, isolated=isolated)
    assert done.returncode == 0, done.stderr
    return a, b, isolated, raw_before


def _outputs(paths: Paths) -> dict[str, str]:
    """Every output's hash; a killed write's hidden ``.<name>.<random>.tmp`` is not an output (never read, removed by the next run)."""
    out = {f"processed/{k}": v for k, v in tree_hashes(paths.processed).items() if not re.match(r"\..*\.tmp$", k)}
    out |= {f"figures/{k}": v for k, v in tree_hashes(paths.figures).items() if k.endswith(".svg")}
    out["report.html"] = tree_hashes(paths.reports)["report.html"]
    return out


def test_two_runs_in_two_folders_are_byte_identical(runs):
    a, b, _, _ = runs
    first, second = _outputs(a), _outputs(b)
    assert len(first) > 25
    assert first == second
    for name in ("report.pdf", "report.html"):
        assert (b.reports / name).is_file()


def test_raw_data_is_read_only_and_unchanged(runs):
    _, b, _, raw_before = runs
    assert tree_hashes(b.raw) == raw_before
    assert not list(b.raw.rglob("*.tmp"))


def test_pipeline_needs_no_network(runs):
    _, _, isolated, _ = runs
    if not isolated:
        reason = "needs root and unshare for a network namespace (CI runs as root)"
        if os.environ.get("CS_REQUIRE_CLIENTS"):
            pytest.fail(reason)
        pytest.skip(reason)
    # the fixture's second run succeeded inside `unshare --net`: no interface, not even loopback
    probe = subprocess.run(["unshare", "--net", sys.executable, "-c",
                            "import socket; socket.create_connection(('127.0.0.1', 9), timeout=2)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "unreachable" in probe.stderr.lower()


def test_no_module_writes_under_raw(tmp_path):
    from compassion_study import files

    paths = _project(tmp_path)
    with pytest.raises(PermissionError, match="raw data is read-only"):
        files.write_csv(__import__("pandas").DataFrame({"a": [1]}), paths.raw / "x.csv")


# --------------------------------------------------------------------------- crash safety


def test_killed_while_writing_leaves_the_previous_file(tmp_path):
    """SIGKILL inside an atomic write: the target keeps its old, complete content."""
    target = tmp_path / "processed" / "codings.csv"
    target.parent.mkdir()
    target.write_text("round,coder\nround-1,alice\n", encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""\
        import time
        from compassion_study import files
        with files.atomic_path({str(target)!r}) as tmp:
            with open(tmp, "wb") as fh:
                fh.write(b"round,coder\\n" + b"x" * 5_000_000)
                fh.flush()
                print("writing", flush=True)
                time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert target.read_text(encoding="utf-8") == "round,coder\nround-1,alice\n"
    leftovers = [p.name for p in target.parent.iterdir() if p != target]
    assert all(n.startswith(".codings.csv.") and n.endswith(".tmp") for n in leftovers)


def _loadable(paths: Paths) -> None:
    import pandas as pd

    json.loads(paths.manifest.read_text(encoding="utf-8"))
    for csv in paths.processed.glob("*.csv"):
        pd.read_csv(csv)
    html = paths.report_html.read_text(encoding="utf-8")
    assert html.rstrip().endswith("</html>")
    for svg in paths.figures.glob("*.svg"):
        assert svg.read_text(encoding="utf-8").rstrip().endswith("</svg>")


@pytest.mark.parametrize("delay", [1.5, 4.0, 8.0, 14.0])
def test_pipeline_killed_mid_run_keeps_every_previous_output(runs, delay):
    """Kill a re-run at different stages (ingest/import, agreement, figures, report): every output
    present afterwards is complete, loadable and identical to the previous run's (same inputs)."""
    a, _, _, _ = runs
    before = _outputs(a)
    proc = subprocess.Popen([sys.executable, "-m", "compassion_study", "--root", str(a.root), *RUN],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its notebook kernels
    proc.wait(timeout=30)
    _loadable(a)
    assert _outputs(a) == before


_FIELD = st.text(alphabet=st.sampled_from(list('ab1 ,"\n\r=+-@\'é')), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_FIELD, _FIELD, st.integers(-3, 3)), max_size=8), st.booleans())
def test_csv_writer_shortcuts_write_exactly_what_pandas_writes(rows, single):
    """files.csv_bytes writes rows itself (plain joins, fields quoted one by one) for speed; the bytes must be
    pandas' own, for every mix of commas, quotes, line breaks and formula triggers."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=["text", "other", "n"])
    if single:
        df = df[["text"]]
    expected = df.copy()
    for col in ("text", "other"):
        if col in expected:
            expected[col] = [files.neutralise(v) for v in expected[col]]
    assert files.csv_bytes(df) == expected.to_csv(index=False, lineterminator="\n").encode("utf-8")


def test_remembered_digests_never_give_an_old_digest(tmp_path):
    """Within a stage a file is hashed once; a file written again (same size, and on ext4 often the same
    inode, within the clock's resolution) is hashed again, and outside the block nothing is remembered."""
    import hashlib

    path, other = tmp_path / "a.txt", tmp_path / "b.txt"
    files.write_bytes(path, b"one")
    files.write_bytes(other, b"two")
    with files.remembered_digests():
        assert files.sha256(path) == hashlib.sha256(b"one").hexdigest()
        files.sha256(other)
        remembered = files._DIGESTS.get()
        assert {key[0] for key in remembered} == {str(path), str(other)}
        files.write_bytes(path, b"six")  # the same size: only what is remembered of this path is forgotten
        assert {key[0] for key in remembered} == {str(other)}
        assert files.sha256(path) == hashlib.sha256(b"six").hexdigest()
    assert files._DIGESTS.get() is None
    path.write_bytes(b"ten")  # in place, outside any stage
    assert files.sha256(path) == hashlib.sha256(b"ten").hexdigest()
