"""Input written to attack: sizes that lie, memory bombs, markup in every text, the network, the file system.

The single table of bad inputs is in ``test_bad_input.py``; this module holds
what a table row cannot show: memory caps, a real browser, a listening
socket, file modes, locks and crashes.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from compassion_study import files, provenance, report, sheets
from compassion_study.cli import main
from compassion_study.paths import Paths

from compassion_study.ingest import read_units

from .conftest import REPO, fill_from, rewrite_zip, tree_hashes

ALICE = REPO / "data/raw/coding/round-1/round-1_alice_ILLUSTRATIVE.xlsx"
#: Address-space cap for the bomb runs: the interpreter with numpy, pandas and openpyxl loaded needs well under this.
MEMORY_CAP = 2 * 1024**3


def _rewrite_sheets(src: Path, target: Path, pattern: bytes, replacement: bytes) -> None:
    rewrite_zip(src, target, lambda name, data: re.sub(pattern, replacement, data)
                if name.startswith("xl/worksheets/sheet") else data)


def _capped(*args: str, cwd: Path, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    """Run the command line in a child process limited to :data:`MEMORY_CAP` of address space."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "compassion_study", *args], cwd=cwd, env=env, preexec_fn=limit,
                          capture_output=True, text=True, timeout=timeout)
    return done, time.monotonic() - start


@pytest.fixture
def study(project) -> Paths:
    """The example study with its units ingested."""
    from compassion_study import ingest

    ingest.ingest(paths=project)
    return project


# --------------------------------------------------------------------------- sizes that lie


def test_understated_dimension_loses_no_row(study):
    """A workbook whose <dimension> claims 2 rows still gives all 40 (openpyxl's read-only mode trusts it)."""
    target = study.root / "round-1_alice.xlsx"
    _rewrite_sheets(ALICE, target, rb'<dimension ref="[A-Z0-9:]+"/>', b'<dimension ref="A1:B2"/>')
    codings = sheets.import_codings([target], round_="round-1", paths=study)
    assert codings["unit_id"].nunique() == 40


@pytest.mark.parametrize("kind", ["xlsx-dimension", "xlsx-row-gap", "xlsx-far-cell", "ods-repeat", "yaml-alias"])
def test_memory_bombs_finish_quickly_under_a_memory_cap(study, tmp_path, kind):
    if kind == "xlsx-dimension":  # 5 KB claiming 17 billion cells: read in full, as it really is
        bomb = study.root / "round-1_alice.xlsx"
        _rewrite_sheets(ALICE, bomb, rb'<dimension ref="[A-Z0-9:]+"/>', b'<dimension ref="A1:XFD1048576"/>')
        done, seconds = _capped("import", "--round", "round-1", str(bomb), cwd=study.root)
        assert done.returncode == 0, done.stderr
    elif kind == "xlsx-row-gap":  # one row numbered two billion: the reader would yield every empty row before it
        bomb = study.root / "round-1_alice.xlsx"
        _rewrite_sheets(ALICE, bomb, rb'(<row r=")42(")', rb"\g<1>2000000000\2")
        done, seconds = _capped("import", "--round", "round-1", str(bomb), cwd=study.root)
        assert done.returncode == 1 and "more than 1,048,576 rows" in done.stderr, done.stderr
    elif kind == "xlsx-far-cell":  # one value in column XFD, 100,000 rows down: a dense layout would need 1.6 billion
        bomb = study.root / "round-1_alice.xlsx"
        _rewrite_sheets(ALICE, bomb, rb"</sheetData>",
                        b'<row r="100000"><c r="XFD100000" t="n"><v>1</v></c></row></sheetData>')
        done, seconds = _capped("import", "--round", "round-1", str(bomb), cwd=study.root)
        assert done.returncode == 1 and "text outside the sheet's columns" in done.stderr, done.stderr
    elif kind == "ods-repeat":  # 2 KB claiming 400 million rows: refused before anything expands
        from .test_bad_input import _ods_row_bomb

        bomb = study.root / "round-1_alice.ods"
        _ods_row_bomb(bomb)
        done, seconds = _capped("import", "--round", "round-1", str(bomb), cwd=study.root)
        assert done.returncode == 1 and "would expand to 400,000,000 cells" in done.stderr, done.stderr
    else:  # a billion laughs in YAML: refused at the first alias
        bomb = study.root / "cb.yaml"
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
        bomb.write_text("\n".join(lines) + "\n")
        done, seconds = _capped("codebook", "check", str(bomb), cwd=study.root)
        assert done.returncode == 1 and "anchors and aliases" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert seconds < 30, f"{kind}: {seconds:.1f} s"


# --------------------------------------------------------------------------- markup, local files and the network

HOSTILE_NOTES = """Workshop <script>document.title='pwned-title'</script>
What stops us <img src=x onerror="document.title='pwned-img'">?
Key Themes – [click](javascript:document.title='pwned-link')
- ![secret](SECRET.txt) and ![t](http&#58;//127.0.0.1:{port}/p.png) and <img src="http://127.0.0.1:{port}/q.png">
- A plain comment about time and space to think.
- A second comment, about time for the team.
What helps ![remote](http://127.0.0.1:{port}/r.png)?
- Protected time for reflection helps.
- <a href="javascript:alert(1)">a link</a> to nowhere.
"""


_DOWNLOADS = ("data:text/csv;base64,", "data:image/png;base64,", "data:image/svg+xml;base64,")


def _active_markup(html: str) -> list[str]:
    """Everything in a page that could run or fetch: scripts, event handlers, non-data sources, off-page links."""
    from html.parser import HTMLParser

    found = []

    class Scan(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "object", "embed", "base", "form", "link"):
                found.append(f"<{tag}>")
            names = {name for name, _ in attrs}
            for name, value in attrs:
                value = (value or "").strip().lower()
                if tag == "a" and name == "href" and "download" in names and value.startswith(_DOWNLOADS):
                    continue  # the report's own table and figure downloads: saved, never opened as a page
                if name.startswith("on"):
                    found.append(f"<{tag} {name}>")
                elif name in ("src", "srcset", "poster", "data") and not value.startswith("data:"):
                    found.append(f"<{tag} {name}={value[:40]}>")
                elif name in ("href", "action", "formaction", "xlink:href") and not value.startswith("#"):
                    found.append(f"<{tag} {name}={value[:40]}>")

    Scan().feed(html)
    return found


class _Listener:
    """A loopback TCP listener that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener():
    ear = _Listener()
    yield ear
    ear.close()


@pytest.mark.chromium
def test_hostile_text_runs_no_script_embeds_no_file_and_fetches_nothing(tmp_path, chromium, listener, monkeypatch):
    """Notes, a file name and codebook metadata carry HTML, javascript: links, local and remote images.

    The report is built and printed to PDF outside any network namespace,
    with every proxy variable and Chromium's own proxy pointed at a
    listener of this test: it must see no connection. The report's DOM, as
    real Chromium builds it, must show no sign of a script having run.
    """
    root = tmp_path / "hostile"
    assert main(["init", str(root), "--title", "Hostile <b>title</b>"]) == 0
    secret = "TOP-SECRET-TOKEN-" + "7" * 20
    (root / "SECRET.txt").write_text(secret)
    (root / "notebooks" / "SECRET.txt").write_text(secret)
    notes = root / "data/raw/notes" / "<b onmouseover=alert(1)>notes.txt"
    notes.write_text(HOSTILE_NOTES.format(port=listener.port), encoding="utf-8")
    book = root / "data/raw/codebook/compassionate-leadership-v1.yaml"
    text = book.read_text(encoding="utf-8").replace(
        "title: Compassionate leadership in workshop comments",
        "title: \"<img src=x onerror=\\\"document.title='pwned-cb'\\\"> ![c](SECRET.txt)\"")
    text = text.replace("label: Attending", "label: \"Attending <img src=x onerror=\\\"document.title='pwned-label'\\\">\"")
    text = text.replace("  behaviour: West's four behaviours", "  behaviour: <script>document.title='pwned-group'</script> West's four behaviours")
    book.write_bytes(text.encode("utf-8"))  # the study is new: this is the team editing its own raw codebook
    # a coded round, so that the codebook's metadata and labels reach the report's agreement and findings
    monkeypatch.chdir(root)
    assert main(["ingest"]) == 0 and main(["sheets", "--round", "round-1", "--coders", "ann,ben"]) == 0
    units = read_units(root / "data/processed/units.csv")["unit_id"].tolist()
    (root / "data/raw/coding/round-1").mkdir(parents=True, exist_ok=True)
    for k, coder in enumerate(("ann", "ben")):
        exported = root / "exports/round-1" / f"round-1_{coder}.xlsx"
        fill_from(exported, {u: {"attending"} if (i + k) % 2 else {"pace_workload"} for i, u in enumerate(units)})
        shutil.copy(exported, root / "data/raw/coding/round-1")
    proxy = f"http://127.0.0.1:{listener.port}"
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "ftp_proxy"):
        monkeypatch.setenv(var, proxy)
    monkeypatch.setattr(report, "CHROMIUM_SWITCHES", (*report.CHROMIUM_SWITCHES, f"--proxy-server={proxy}"))
    assert main(["run", "--bootstrap", "20", "--pdf"]) == 0
    html = (root / "reports/report.html").read_text(encoding="utf-8")
    for shown in ("document.title='pwned-cb'", "document.title='pwned-label'"):
        assert shown in html.replace("&#x27;", "'").replace("&#39;", "'"), shown  # reached the report, as text
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert secret not in html and "VE9QLVNFQ1JFVC1UT0tFTi" not in html  # nor base64 of it
    assert _active_markup(html) == []
    assert "&lt;img src=x onerror=" in html  # shown as text
    dom = report.run_chromium("--dump-dom", f"--proxy-server={proxy}", (root / "reports/report.html").as_uri()).stdout
    assert "pwned" not in re.search(r"<title>(.*?)</title>", dom, re.S).group(1)
    assert (root / "reports/report.pdf").is_file()
    time.sleep(0.5)
    assert listener.connections == 0


@pytest.mark.chromium
def test_pdf_print_makes_no_dns_query(built_report, chromium, tmp_path):
    """strace (where installed) sees Chromium print a PDF without a DNS query or a TCP connection.

    Chromium does ``connect()`` one UDP socket to a public IPv6 address to
    learn whether IPv6 is routable; a UDP connect sends no packet, so that
    alone is allowed.
    """
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    log = tmp_path / "strace.log"
    out = tmp_path / "r.pdf"
    switches = [*report.CHROMIUM_SWITCHES, f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([strace, "-f", "-e", "trace=socket,connect,sendto,sendmsg,sendmmsg", "-o", str(log),
                    report.find_chromium(), *switches, f"--print-to-pdf={out}", built_report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    calls = log.read_text()
    assert out.is_file() and "socket(" in calls  # strace saw the browser's calls
    assert not re.search(r"htons\(53\)", calls), "a DNS query was made"
    assert not re.search(r"socket\(AF_INET6?, SOCK_STREAM", calls), "a TCP socket was opened"
    assert not re.search(r"send(to|msg|mmsg)\([^\n]*sa_family=AF_INET", calls), "a packet was sent to an address"


@pytest.fixture
def built_report(tmp_path) -> Path:
    page = tmp_path / "page.html"
    page.write_text("<!doctype html><meta charset=utf-8><title>t</title><p>hello</p>")
    return page


def test_chromium_failure_is_one_message_and_the_html_is_recorded(project, monkeypatch, capsys):
    """A Chromium that fails: one clear message, report.html complete and recorded in the manifest."""
    from compassion_study import ingest

    ingest.ingest(paths=project)
    fake = project.root / "chromium"
    fake.write_text("#!/bin/sh\necho 'profile locked' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(report, "find_chromium", lambda: str(fake))
    project.report_pdf.parent.mkdir(parents=True)
    project.report_pdf.write_bytes(b"%PDF an older report")
    assert main(["--root", str(project.root), "report", "--pdf"]) == 1
    err = capsys.readouterr().err
    assert "reports/report.pdf: not printed (Chromium failed (exit status 3): profile locked)" in err
    assert "reports/report.html is complete" in err and "Traceback" not in err
    recorded = provenance.load(project)["stages"]["report"]["outputs"]
    assert recorded == [{"path": "reports/report.docx", "sha256": files.sha256(project.report_docx)},
                        {"path": "reports/report.html", "sha256": files.sha256(project.report_html)}]
    assert not provenance.check(project)
    assert not project.report_pdf.exists(), "a PDF of an older report must not stay beside the new HTML"


def test_a_chromium_that_cannot_start_is_one_message(monkeypatch, tmp_path):
    fake = tmp_path / "chromium"
    fake.write_bytes(b"\x00\x01not a program")
    fake.chmod(0o755)
    monkeypatch.setattr(report, "find_chromium", lambda: str(fake))
    with pytest.raises(RuntimeError, match=r"could not start: Exec format error"):
        report.write_pdf(tmp_path / "r.html", tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_notes_in_sub_folders_are_read_and_kept_apart(tmp_path):
    """Sessions kept in sub-folders are all read; two files of one name stay two sources."""
    from compassion_study import ingest

    for session in ("s1", "s2"):
        (tmp_path / session).mkdir()
        (tmp_path / session / "notes.txt").write_text(f"Session {session}\nWhat helps?\n- Time in {session}\n")
    (tmp_path / "s1" / "old.txt").mkdir()  # a folder, whatever its name, is not notes
    units = ingest.read_notes([tmp_path])
    assert units["source"].tolist() == ["s1/notes.txt", "s2/notes.txt"]
    assert units["text"].tolist() == ["Time in s1", "Time in s2"]


def test_chromium_leaves_no_profile_behind(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    monkeypatch.setattr(report, "find_chromium", lambda: str(fake))
    report.run_chromium("--version")
    assert not list(tmp_path.glob("cs-chromium-*"))


# --------------------------------------------------------------------------- the file system


def test_outputs_keep_their_mode_and_follow_the_umask(tmp_path):
    target = tmp_path / "out.csv"
    old = os.umask(0o077)
    try:
        files.write_text(target, "a")
        assert target.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
    target.chmod(0o640)
    files.write_text(target, "b")
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_study_under_a_folder_called_data_raw_can_write(tmp_path):
    """Only the study's own data/raw is read-only, not a folder of that name above the study."""
    outer = tmp_path / "data" / "raw" / "studies"
    assert main(["init", str(outer / "s1")]) == 0
    files.write_text(outer / "s1" / "data/processed/x.csv", "ok")
    with pytest.raises(PermissionError, match="data/raw"):
        files.write_text(outer / "s1" / "data/raw/notes/x.txt", "no")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_read_only_output_folder_names_the_file(project, capsys):
    project.processed.mkdir(parents=True)
    project.processed.chmod(0o555)
    try:
        assert main(["--root", str(project.root), "ingest"]) == 1
    finally:
        project.processed.chmod(0o755)
    err = capsys.readouterr().err
    assert "data/processed/units.csv" in err and ".tmp" not in err


def test_a_folder_refusing_the_temporary_file_names_the_target(tmp_path, monkeypatch):
    """What a read-only folder does (also where the tests run as root): mkstemp itself fails."""
    target = tmp_path / "units.csv"

    def refuse(prefix, suffix, dir):
        raise PermissionError(13, "Permission denied", os.path.join(dir, f"{prefix}x1y2z3{suffix}"))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(OSError) as info, files.atomic_path(target):
        pass
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)


def test_an_os_error_names_the_target_not_the_temporary_file(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(OSError) as info, files.atomic_path(target) as tmp:
        raise OSError(28, "No space left on device", str(tmp))
    assert info.value.filename == str(target) and "No space" in info.value.strerror
    assert not list(tmp_path.iterdir())


def test_two_commands_cannot_work_on_one_study_at_once(project, capsys):
    from compassion_study.cli import study_lock

    with study_lock(project):
        assert main(["--root", str(project.root), "ingest"]) == 1
    assert "another compassion-study command is working on this study" in capsys.readouterr().err
    assert main(["--root", str(project.root), "ingest"]) == 0


def test_an_interrupted_stage_is_reported_by_the_next_run(project, capsys):
    """A stage killed after writing an output but before recording it leaves a mismatch that the next run names."""
    from compassion_study import ingest

    ingest.ingest(paths=project)
    before = tree_hashes(project.raw)
    project.units.write_text(project.units.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert provenance.check(project) == ["data/processed/units.csv (ingest): changed since ingest recorded it"]
    assert main(["--root", str(project.root), "run", "--bootstrap", "20"]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 output(s) do not match data/processed/manifest.json" in err
    assert provenance.check(project) == [] and tree_hashes(project.raw) == before


def test_line_separators_inside_a_comment_do_not_cut_it(tmp_path):
    """Word's Shift+Enter (U+2028), form feed, NEL and VT are spacing inside a comment, not new lines."""
    from compassion_study import ingest

    notes = tmp_path / "n.txt"
    notes.write_text("Day\nWhat helps?\n- Time to\u2028think,\x0cto\x85talk\x0band rest\n- Second\n", encoding="utf-8")
    units = ingest.read_notes([notes])
    assert units["text"].tolist() == ["Time to think, to talk and rest", "Second"]


@pytest.mark.parametrize("args", [("--seed", "-1"), ("--bootstrap", "-5"), ("--seed", "x")])
def test_negative_or_non_numeric_counts_are_a_command_line_error(tmp_path, capsys, args):
    ratings = tmp_path / "r.csv"
    ratings.write_text("unit,coder,value\n1,a,1\n1,b,1\n")
    with pytest.raises(SystemExit) as stop:
        main(["agreement", str(ratings), *args])
    assert stop.value.code == 2
    assert f"argument {args[0]}:" in capsys.readouterr().err


def test_notebook_kernels_leave_no_socket_folder_behind(study, monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    report.execute_many(["01_units"], study)
    assert not list(tmp_path.glob("cs-kernel-*"))


def test_run_removes_what_a_killed_write_left(project, capsys):
    """The hidden temporary file of a write that was killed is removed by the next run (which holds the lock)."""
    from compassion_study import ingest

    ingest.ingest(paths=project)
    left = project.processed / ".units.csv.abc123.tmp"
    left.write_text("half a file")
    assert main(["--root", str(project.root), "run", "--bootstrap", "10"]) == 0, capsys.readouterr().err
    assert not left.exists()


def test_temporary_folders_a_killed_run_left_are_swept(tmp_path, monkeypatch):
    """A kernel's socket folder or a Chromium profile outlives a killed run; the next run removes those over a
    day old (none can still be in use) and leaves fresh ones, which may belong to a run in progress."""
    monkeypatch.setattr(report.tempfile, "gettempdir", lambda: str(tmp_path))
    old, fresh, other = tmp_path / "cs-chromium-old", tmp_path / "cs-kernel-fresh", tmp_path / "unrelated-old"
    for folder in (old, fresh, other):
        (folder / "inner").mkdir(parents=True)
        (folder / "inner" / "f").write_bytes(b"x" * 100)
    long_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    assert report.sweep_temporary() == [old]
    assert not old.exists() and fresh.is_dir() and other.is_dir()
