"""QDA programs: the codebook in the REFI-QDA Codebook Exchange format (issue 16, part 1).

The exported file is validated against the REFI-QDA schema (``tests/data/refi-qda/Codebook.xsd``, MIT
licence, www.qdasoftware.org) with lxml, in the tests only.
"""

from __future__ import annotations

import pytest

from compassion_study import codebook, qda
from compassion_study.cli import main
from compassion_study.errors import InputError
from compassion_study.paths import Paths

from .conftest import REPO, study_through_consensus

XSD = REPO / "tests" / "data" / "refi-qda" / "Codebook.xsd"
NS = "{urn:QDA-XML:codebook:1.0}"


def _schema():
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(XSD)))


def _book() -> codebook.Codebook:
    return codebook.find(Paths.from_root(REPO))


def test_exported_codebook_validates_against_the_refi_qda_schema():
    from lxml import etree

    data = qda.codebook_qdc(_book())
    doc = etree.fromstring(data)
    schema = _schema()
    assert schema.validate(doc), schema.error_log
    groups = doc.findall(f"{NS}Codes/{NS}Code")
    assert [g.get("name") for g in groups] == list(_book().groups)
    assert all(g.get("isCodable") == "false" for g in groups)
    children = [c for g in groups for c in g.findall(f"{NS}Code")]
    by_group = [c["label"] for g in _book().groups for c in _book().codes if c["group"] == g]
    assert [c.get("name") for c in children] == by_group
    assert all(c.get("isCodable") == "true" and c.get("color") == g.get("color") for g in groups
               for c in g.findall(f"{NS}Code"))
    assert len({c.get("guid") for c in children}) == len(_book().ids)


def test_export_is_byte_identical_and_guids_are_stable_uuid5():
    import uuid

    book = _book()
    assert qda.codebook_qdc(book) == qda.codebook_qdc(book)
    guid = qda.code_guid(book.name, "attending")
    assert uuid.UUID(guid).version == 5 and guid == qda.code_guid(book.name, "attending")
    assert guid != qda.code_guid(book.name, "understanding") != qda.code_guid("other-framework", "understanding")


def test_round_trip_gives_back_every_code_and_field():
    book = _book()
    data, notes = qda.read_qdc(qda.codebook_qdc(book), "framework.qdc")
    assert notes == []
    assert data["codes"] == [{k: c[k] for k in codebook.FIELDS} for c in book.codes]
    assert data["groups"] == book.groups


def test_a_program_codebook_imports_with_notes_on_what_is_missing(tmp_path):
    """A codebook as NVivo or QualCoder write it: names, a hierarchy, free-text descriptions, a set."""
    qdc = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo">
  <Codes>
    <Code guid="11111111-1111-1111-1111-111111111111" name="Leadership" isCodable="false">
      <Description>How leaders behave</Description>
      <Code guid="22222222-2222-2222-2222-222222222222" name="Listening &amp; presence" isCodable="true">
        <Description>Leaders who listen.</Description>
        <Code guid="33333333-3333-3333-3333-333333333333" name="Deep" isCodable="true"/>
      </Code>
    </Code>
    <Code guid="44444444-4444-4444-4444-444444444444" name="2020 Workload" isCodable="true"/>
  </Codes>
  <Sets><Set guid="55555555-5555-5555-5555-555555555555" name="s"/></Sets>
</CodeBook>""".encode()
    data, notes = qda.read_qdc(qdc, "nvivo.qdc")
    assert [(c["id"], c["label"], c["group"]) for c in data["codes"]] == [
        ("listening_presence", "Listening & presence", "Leadership"), ("c_2020_workload", "2020 Workload", "ungrouped")]
    assert data["codes"][0]["definition"] == "Leaders who listen."
    joined = " ".join(notes)
    assert "deeper than two levels" in joined and "Sets" in joined and "no brief" in joined
    # the YAML carries the list at its top and is a codebook once those fields are written
    path = tmp_path / "in.qdc"
    path.write_bytes(qdc)
    text = qda.codebook_yaml(data, notes)
    assert text.startswith("# Imported from a REFI-QDA codebook") and "deeper than two levels" in text


@pytest.mark.parametrize("body, message", [
    (b"not xml", "not well-formed XML"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>',
     "DTD or entity"),
    (b'<CodeBook xmlns="urn:other"><Codes/></CodeBook>', "not CodeBook in namespace"),
    (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>', "has no Codes element"),
    (b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code isCodable="true"/></Codes></CodeBook>',
     "Code[1]: a code needs a name and a guid"),
])
def test_bad_codebook_files_are_one_clear_message(body, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        qda.read_qdc(body, "bad.qdc")


def test_cli_export_and_import_never_write_raw(tmp_path, capsys):
    import shutil

    root = tmp_path / "study"
    shutil.copytree(REPO / "data" / "raw" / "codebook", root / "data" / "raw" / "codebook")
    shutil.copy(REPO / "study.yaml", root / "study.yaml")
    before = sorted((root / "data" / "raw").rglob("*"))
    assert main(["--root", str(root), "codebook", "export"]) == 0
    exported = root / "exports" / "codebook" / "compassionate-leadership-1.0.qdc"
    assert exported.is_file() and _schema().validate(__import__("lxml.etree").etree.parse(str(exported)))
    assert main(["--root", str(root), "codebook", "import", str(exported)]) == 0
    imported = root / "exports" / "codebook" / "compassionate-leadership-1-0.yaml"
    back = codebook.load(imported)  # a complete codebook: it loads as one
    assert back.ids == _book().ids
    assert main(["--root", str(root), "codebook", "import", str(exported), "--out",
                 str(root / "data" / "raw" / "codebook" / "x.yaml")]) == 1
    assert "never written" in capsys.readouterr().err
    assert sorted((root / "data" / "raw").rglob("*")) == before


@pytest.mark.libreoffice
def test_codebook_for_coders_in_word_has_every_field(tmp_path, soffice):
    """Issue 16, item 5: the codebook as a Word document with every MacQueen field; it opens in LibreOffice."""
    import io
    import subprocess

    import docx
    from pypdf import PdfReader

    book = _book()
    data = codebook.to_docx(book)
    assert data == codebook.to_docx(book)
    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    for code in book.codes:
        assert f"{code['label']} ({code['id']})" in text
        for key in ("brief", "definition", "use_when", "do_not_use_when", "source"):
            assert code[key] in text, (code["id"], key)
        assert codebook.example_text(code["example"]) in text
    path = tmp_path / "codebook.docx"
    path.write_bytes(data)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(path)], capture_output=True, timeout=300)
    pdf = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(tmp_path / "codebook.pdf").pages)
    assert all(code["label"] in pdf for code in book.codes) and "Do not use when" in pdf


def _built(tmp_path) -> Paths:
    """The bundled study through consensus (no report) in a throw-away folder."""
    return study_through_consensus(tmp_path / "study")


def test_project_export_validates_and_carries_the_consensus_exactly(tmp_path):
    """Issue 16, item 2: a .qdpx with users, codebook, sources and the consensus as selections; every selection
    is exactly its unit's text, and every applied consensus cell is one selection."""
    import io
    import zipfile

    from lxml import etree

    from compassion_study.consensus import read_consensus
    from compassion_study.ingest import read_units

    paths = _built(tmp_path)
    assert main(["--root", str(paths.root), "export", "qdpx"]) == 0
    target = paths.exports / "study.qdpx"
    data = target.read_bytes()
    assert data == qda.project_qdpx(paths)  # byte-identical on a re-run
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        qde = z.read("project.qde")
        texts = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("sources/")}
    schema = etree.XMLSchema(etree.parse(str(REPO / "tests" / "data" / "refi-qda" / "Project.xsd")))
    doc = etree.fromstring(qde)
    assert schema.validate(doc), schema.error_log
    p = "{urn:QDA-XML:project:1.0}"
    assert [u.get("name") for u in doc.iter(f"{p}User")] == ["alice", "bob", "consensus"]
    units = read_units(paths.units).set_index("unit_id")["text"]
    guid_to_code = {qda.code_guid(_book().name, c): c for c in _book().ids}
    seen = set()
    for source in doc.iter(f"{p}TextSource"):
        text = texts[source.get("plainTextPath").replace("internal://", "sources/")]
        for sel in source.iter(f"{p}PlainTextSelection"):
            start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
            assert text[start:end] == units[sel.get("name")]
            seen.add((sel.get("name"), guid_to_code[sel.find(f"{p}Coding/{p}CodeRef").get("targetGUID")]))
    cons = read_consensus(paths)
    assert seen == set(map(tuple, cons.loc[cons["applied"].astype(int) == 1, ["unit_id", "code_id"]].to_numpy()))
    # the source text is the canonical outline: the ingest reads it back into the same units
    from compassion_study import ingest

    (tmp_path / "back").mkdir()
    (tmp_path / "back" / "notes.md").write_text(next(iter(texts.values())), encoding="utf-8")
    back = ingest.read_notes([tmp_path / "back" / "notes.md"])
    assert back["text"].tolist() == read_units(paths.units)["text"].tolist()


# --------------------------------------------------------------------------- importing coded projects

def _project(units, text: str, marks: dict, *, qde="project.qde", sources="sources", origin="QualCoder",
             on_selection=False, utf16=False, extra="", users=("ann", "ben"), crlf=False) -> bytes:
    """A coded project as a QDA program writes it: ``marks`` maps coder -> [(unit_id, code label, part)], part
    ``all`` (the whole unit) or ``start`` (its first three characters: a partial selection). Positions count the
    characters of the stored text (CRLF line ends where ``crlf``; a byte-order mark is not a character)."""
    import html

    from compassion_study import files

    text = text.replace("\n", "\r\n") if crlf else text
    spans = qda.unit_spans(text, units)
    book = _book()
    label_guid = {c["label"]: qda.code_guid(book.name, c["id"]) for c in book.codes}
    ug = {u: f"0000000{i}-0000-4000-8000-000000000000" for i, u in enumerate(users)}

    def pos(k: int) -> int:  # code points, or UTF-16 code units as NVivo counts
        return len(text[:k].encode("utf-16-le")) // 2 if utf16 else k

    sels = []
    for n, (coder, items) in enumerate(marks.items()):
        for m, (uid, label, part) in enumerate(items):
            a, b = spans[uid]
            b = a + 3 if part == "start" else b
            who = f'creatingUser="{ug[coder]}"'
            sels.append(f'<PlainTextSelection guid="1{n:07d}-{m:04d}-4000-8000-000000000000" startPosition="{pos(a)}" '
                        f'endPosition="{pos(b)}" {who if on_selection else ""}><Coding guid="2{n:07d}-{m:04d}-4000-8000-'
                        f'000000000000" {"" if on_selection else who}><CodeRef targetGUID="{label_guid[label]}"/>'
                        "</Coding></PlainTextSelection>")
    codes = "".join(f'<Code guid="{g}" name="{html.escape(lab)}" isCodable="true"/>' for lab, g in label_guid.items())
    xml = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="{origin}">'
           "<Users>" + "".join(f'<User guid="{g}" name="{u}"/>' for u, g in ug.items()) + "</Users>"
           f"<CodeBook><Codes>{codes}</Codes></CodeBook><Sources>"
           '<TextSource guid="30000000-0000-4000-8000-000000000000" name="notes" '
           'plainTextPath="internal://30000000-0000-4000-8000-000000000000.txt">' + "".join(sels) +
           f"</TextSource></Sources>{extra}</Project>")
    body = ("\ufeff" + text).encode("utf-8")
    return files.stable_zip([(qde, xml.encode("utf-8")),
                             (f"{sources}/30000000-0000-4000-8000-000000000000.txt", body)])


def _notes_text() -> str:
    return next((REPO / "data" / "raw" / "notes").glob("*.txt")).read_text(encoding="utf-8")


@pytest.mark.parametrize("shape", ["qualcoder", "atlas", "nvivo", "maxqda"])
def test_coded_projects_in_each_program_shape_import_to_the_same_codings(tmp_path, shape):
    """Issue 16, item 3: the same coding, written as each program writes projects, gives the same codings."""
    from compassion_study import ingest

    units = ingest.read_notes([next((REPO / "data" / "raw" / "notes").glob("*.txt"))])
    text = _notes_text()
    if shape == "nvivo":  # characters outside the Basic Multilingual Plane before the units: UTF-16 offsets differ
        text = "Notes 😀🤝 of the day\n" + text
    first, second, third = units["unit_id"].iloc[[0, 5, 20]]
    marks = {"ann": [(first, "Self-care and self-compassion", "all"), (second, "Pace and workload", "start")],
             "ben": [(first, "Self-care and self-compassion", "all"), (third, "Belonging", "all")]}
    options = {"qualcoder": {}, "atlas": {"qde": "My Project.qde", "origin": "ATLAS.ti", "crlf": True},
               "nvivo": {"sources": "Sources", "origin": "NVivo 14", "utf16": True, "crlf": True},
               "maxqda": {"on_selection": True, "origin": "MAXQDA"}}[shape]
    path = tmp_path / "coded.qdpx"
    path.write_bytes(_project(units, text, marks, **options))
    books = {b.full_version: b for b in map(codebook.load, codebook.available(Paths.from_root(REPO)))}
    got = qda.read_project(path, units, books, "round-2", None)
    assert got["problems"] == []
    codings = __import__("pandas").concat(got["codings"])
    applied = set(map(tuple, codings.loc[codings["applied"] == 1, ["coder", "unit_id", "code_id"]].to_numpy()))
    assert applied == {("ann", first, "self_care"), ("ann", second, "pace_workload"), ("ben", first, "self_care"),
                       ("ben", third, "belonging")}
    assert len(codings) == 2 * len(units) * len(_book().ids)  # every unit read by both coders
    assert (shape == "nvivo") == any("UTF-16" in w for w in got["warnings"])
    # the majority rule does not count a three-character selection
    strict = qda.read_project(path, units, books, "round-2", None, rule="majority")["codings"]
    hits = set(map(tuple, __import__("pandas").concat(strict).query("applied == 1")[["coder", "unit_id"]].to_numpy()))
    assert ("ann", second) not in hits and ("ann", first) in hits


@pytest.mark.parametrize("change, message", [
    (lambda b: b.replace(b"Belonging", b"Belongingness").replace(qda.code_guid("compassionate-leadership", "belonging")
                                                                   .encode(), b"99999999-0000-4000-8000-000000000000"),
     "code 'Belongingness' (1 coding(s)) matches no code"),
    (lambda b: b.replace(b'startPosition="', b'startPosition="9999999'), "lie outside the source"),
    (lambda b: b.replace(b"<?xml version=\"1.0\" encoding=\"utf-8\"?>",
                         b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "b">]>'), "DTD or entities"),
    (lambda b: b.replace(b"internal://30000000", b"internal://../../etc"), "neither inside the project"),
])
def test_bad_projects_are_refused_with_the_place(tmp_path, change, message):
    import io
    import zipfile

    from compassion_study import files, ingest

    units = ingest.read_notes([next((REPO / "data" / "raw" / "notes").glob("*.txt"))])
    marks = {"ann": [(units["unit_id"].iloc[0], "Belonging", "all")], "ben": []}
    data = _project(units, _notes_text(), marks)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = [(n, change(z.read(n)) if n.endswith(".qde") else z.read(n)) for n in z.namelist()]
    path = tmp_path / "bad.qdpx"
    path.write_bytes(files.stable_zip(members))
    books = {b.full_version: b for b in map(codebook.load, codebook.available(Paths.from_root(REPO)))}
    got = qda.read_project(path, units, books, "round-2", None)
    assert any(message in p for p in got["problems"]), got["problems"]
    assert all(p.startswith("bad.qdpx") for p in got["problems"])


def test_a_user_who_coded_nothing_is_not_taken_for_a_coder_unless_named(tmp_path):
    """A project owner who coded nothing would otherwise count as a coder who read every unit and applied no
    code, pulling agreement down without a word: left out with a warning, or counted when named in --coders."""
    from compassion_study import ingest

    units = ingest.read_notes([next((REPO / "data" / "raw" / "notes").glob("*.txt"))])
    first = units["unit_id"].iloc[0]
    path = tmp_path / "p.qdpx"
    path.write_bytes(_project(units, _notes_text(), {"ann": [(first, "Belonging", "all")],
                                                     "ben": [(first, "Belonging", "all")]},
                              users=("ann", "ben", "owner")))
    books = {b.full_version: b for b in map(codebook.load, codebook.available(Paths.from_root(REPO)))}
    got = qda.read_project(path, units, books, "round-2", None)
    assert got["problems"] == [] and [r["coder"] for r in got["rounds"]] == ["ann", "ben"]
    assert any("owner made no coding and are not counted" in w for w in got["warnings"])
    named = qda.read_project(path, units, books, "round-2", ["ann", "ben", "owner"])
    assert [r["coder"] for r in named["rounds"]] == ["ann", "ben", "owner"]


def test_a_coder_outside_the_roster_is_refused_and_the_import_keeps_other_rounds(tmp_path, capsys):
    """The CLI imports a project as round-2 beside the spreadsheet round-1; agreement then runs unchanged."""
    from compassion_study import agreement, sheets
    from compassion_study.ingest import read_units

    paths = _built(tmp_path)
    units = read_units(paths.units)
    marks = {"ann": [(units["unit_id"].iloc[0], "Belonging", "all")], "ben": [(units["unit_id"].iloc[0], "Belonging", "all")]}
    path = tmp_path / "coded.qdpx"
    path.write_bytes(_project(units, _notes_text(), marks))
    assert main(["--root", str(paths.root), "import", str(path), "--round", "round-2", "--coders", "ann"]) == 1
    assert "1 coding(s) by 'ben', who is not among --coders (ann)" in capsys.readouterr().err
    assert main(["--root", str(paths.root), "import", str(path), "--round", "round-2", "--coders", "ann,ben"]) == 0
    codings = sheets.read_codings(paths)
    assert set(codings["round"]) == {"round-1", "round-2"}
    assert set(codings.loc[codings["round"] == "round-2", "coder"]) == {"ann", "ben"}
    by_code = agreement.by_code(codings[codings["round"] == "round-2"], _book().ids, n_boot=0)
    assert len(by_code)


def test_a_project_in_the_coding_folder_is_read_by_the_whole_study_run(tmp_path):
    """Put a coded project in data/raw/coding/round-2/: 'run' imports it beside the workbooks (round from the
    folder, coders from the project's users) and computes its agreement; raw data is untouched."""
    from compassion_study import agreement
    from compassion_study.ingest import read_units

    paths = _built(tmp_path)
    units = read_units(paths.units)
    first = units["unit_id"].iloc[0]
    project = paths.coding / "round-2" / "coded.qdpx"
    project.parent.mkdir()
    project.write_bytes(_project(units, _notes_text(), {"ann": [(first, "Belonging", "all")],
                                                        "ben": [(first, "Belonging", "all")]}))
    before = project.read_bytes()
    assert main(["--root", str(paths.root), "run", "--bootstrap", "0"]) == 0
    by_code = agreement.read_table(paths.agreement_by_code)
    assert set(by_code["round"]) == {"round-1", "round-2"}
    assert project.read_bytes() == before


@pytest.mark.parametrize("users, where, message", [
    (("ann", "../x"), "round-2", "coder '../x' is not a valid coder name"),
    (("ann", "con"), "round-2", "coder 'con' is not a valid coder name"),
    (("ann", "ben"), "r..x", "'r..x' is not a valid round name for a folder"),
])
def test_names_in_a_project_or_its_folder_never_become_paths(tmp_path, capsys, users, where, message):
    """Issue 11, finding 4, by the QDA route: user names and the folder's name become round and coder names,
    which become file names of figures; each is checked where it enters, and nothing is written anywhere."""
    from compassion_study.ingest import read_units

    from .conftest import tree_hashes

    paths = _built(tmp_path)
    units = read_units(paths.units)
    first = units["unit_id"].iloc[0]
    project = paths.coding / where / "coded.qdpx"
    project.parent.mkdir()
    project.write_bytes(_project(units, _notes_text(), {u: [(first, "Belonging", "all")] for u in users}, users=users))
    before, outside = tree_hashes(paths.processed), sorted(p.name for p in tmp_path.iterdir())
    assert main(["--root", str(paths.root), "run", "--bootstrap", "0"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert tree_hashes(paths.processed) == before and sorted(p.name for p in tmp_path.iterdir()) == outside


@pytest.mark.parametrize("coder_from", ["source", "set"])
def test_duplicated_documents_per_coder(tmp_path, coder_from):
    """MAXQDA and NVivo teams often give each coder a copy of the notes: the coder comes from the copy's name
    or from the set holding it, not from creatingUser."""
    import html

    from compassion_study import files, ingest

    assert [qda.coder_in_name(n) for n in ("notes_ann.txt", "notes (ben)", "notes - cat.docx", "notes")] == \
        ["ann", "ben", "cat", ""]
    units = ingest.read_notes([next((REPO / "data" / "raw" / "notes").glob("*.txt"))])
    text = _notes_text()
    spans = qda.unit_spans(text, units)
    book = _book()
    guid = qda.code_guid(book.name, "belonging")
    first, second = units["unit_id"].iloc[[0, 3]]
    sources, sets, members = [], [], []
    for n, (coder, uid) in enumerate((("ann", first), ("ben", second))):
        a, b = spans[uid]
        sg = f"4000000{n}-0000-4000-8000-000000000000"
        sources.append(f'<TextSource guid="{sg}" name="{html.escape("notes_" + coder + ".txt")}" '
                       f'plainTextPath="internal://{sg}.txt"><PlainTextSelection guid="5000000{n}-0000-4000-8000-'
                       f'000000000000" startPosition="{a}" endPosition="{b}"><Coding guid="6000000{n}-0000-4000-8000-'
                       f'000000000000"><CodeRef targetGUID="{guid}"/></Coding></PlainTextSelection></TextSource>')
        sets.append(f'<Set guid="7000000{n}-0000-4000-8000-000000000000" name="{coder}"><MemberSource targetGUID="{sg}"/>'
                    "</Set>")
        members.append((f"sources/{sg}.txt", text.encode("utf-8")))
    xml = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p" origin="MAXQDA">'
           f'<CodeBook><Codes><Code guid="{guid}" name="Belonging" isCodable="true"/></Codes></CodeBook>'
           f"<Sources>{''.join(sources)}</Sources><Sets>{''.join(sets)}</Sets></Project>")
    path = tmp_path / "dup.qdpx"
    path.write_bytes(files.stable_zip([("project.qde", xml.encode("utf-8")), *members]))
    books = {b.full_version: b for b in map(codebook.load, codebook.available(Paths.from_root(REPO)))}
    got = qda.read_project(path, units, books, "round-2", None, coder_from=coder_from)
    assert got["problems"] == []
    codings = __import__("pandas").concat(got["codings"])
    applied = set(map(tuple, codings.loc[codings["applied"] == 1, ["coder", "unit_id", "code_id"]].to_numpy()))
    assert applied == {("ann", first, "belonging"), ("ben", second, "belonging")}
    assert any("Sets" in w for w in got["warnings"])  # the sets themselves are not imported, and that is said
    # without the option the codings have no user: one clear problem, not a silent drop
    plain = qda.read_project(path, units, books, "round-2", None)
    assert plain["problems"] and "not a named user of the project" in plain["problems"][0]


def test_a_qda_team_gets_the_same_agreement_as_a_spreadsheet_team(tmp_path):
    """Issue 16, done when: the round-1 coding of the bundled study, coded in a QDA program instead (one coded
    selection per applied cell, creatingUser alice or bob), imports to the same codings and the same agreement
    tables as the spreadsheets; and the consensus exported as a project imports back as the consensus."""
    import shutil

    import pandas as pd

    from compassion_study import agreement, files, sheets
    from compassion_study.consensus import read_consensus
    from compassion_study.ingest import read_units

    paths = _built(tmp_path / "sheets")
    units = read_units(paths.units)
    codings = sheets.read_codings(paths)
    book = _book()
    users = {"alice": "a0000000-0000-4000-8000-000000000001", "bob": "b0000000-0000-4000-8000-000000000002"}
    members, sources = [], []
    for n, (source, grp) in enumerate(units.groupby("source", sort=False)):
        text, spans = qda.source_text(grp)
        sg = qda._guid("source", source)
        sels = []
        for uid, start, end in spans:
            for r in codings[(codings["unit_id"] == uid) & (codings["applied"] == 1)].itertuples():
                g = qda._guid("test-selection", f"{r.coder}/{uid}/{r.code_id}")
                sels.append(f'<PlainTextSelection guid="{g}" startPosition="{start}" endPosition="{end}">'
                            f'<Coding guid="{qda._guid("test-coding", g)}" creatingUser="{users[r.coder]}">'
                            f'<CodeRef targetGUID="{qda.code_guid(book.name, r.code_id)}"/></Coding></PlainTextSelection>')
        sources.append(f'<TextSource guid="{sg}" name="{source}" plainTextPath="internal://{sg}.txt">{"".join(sels)}'
                       "</TextSource>")
        members.append((f"sources/{sg}.txt", text.encode("utf-8")))
    qde = ('<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="p"><Users>'
           + "".join(f'<User guid="{g}" name="{u}"/>' for u, g in users.items()) + "</Users>"
           f"<Sources>{''.join(sources)}</Sources></Project>")
    other = Paths.from_root(tmp_path / "qda")
    shutil.copytree(paths.root, other.root)
    shutil.rmtree(other.coding)  # this team returned no spreadsheets: only the project
    (other.coding / "round-1").mkdir(parents=True)
    (other.coding / "round-1" / "project.qdpx").write_bytes(files.stable_zip([("project.qde", qde.encode()), *members]))
    assert main(["--root", str(other.root), "run", "--bootstrap", "200"]) == 0
    assert main(["--root", str(paths.root), "run", "--bootstrap", "200"]) == 0
    key = ["round", "coder", "unit_id", "code_id"]
    mine = sheets.read_codings(other).sort_values(key).reset_index(drop=True)
    theirs = sheets.read_codings(paths).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, theirs)
    pd.testing.assert_frame_equal(agreement.read_table(other.agreement_by_code), agreement.read_table(paths.agreement_by_code))
    # and the consensus, exported as a project, comes back as the consensus
    exported = qda.export_project(paths, tmp_path / "consensus.qdpx")
    books = {b.full_version: b for b in map(codebook.load, codebook.available(paths))}
    back = qda.read_project(exported, units, books, "round-9", ["consensus"])["codings"][0]
    cons = read_consensus(paths)
    merged = back.merge(cons[["unit_id", "code_id", "applied"]], on=["unit_id", "code_id"], suffixes=("", "_c"))
    assert len(merged) == len(cons) and (merged["applied"] == merged["applied_c"].astype(int)).all()
