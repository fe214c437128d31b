"""Extractors and cleaning on tiny fixtures (no sources, no network)."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import pytest

from predact_utils.data.corpora import clean, extract_code, extract_dialogue, extract_dictd, extract_man
from predact_utils.data.corpora.sources import MissingSourceError, Source, pypi_archive, require_file

FIX = Path(__file__).parent / "fixtures" / "corpora"


def test_dictd_three_entries_and_aliases():
    entries = extract_dictd.read_dictd(FIX / "tiny.dict.dz", FIX / "tiny.index", "dict-tiny")
    assert [e.headwords for e in entries] == [("gizmo",), ("frob", "frobnicate"), ("quux",)]
    assert entries[0].text.startswith("gizmo\n\n<hardware> A small mechanical device")
    assert "{" not in "".join(e.text for e in entries)
    docs = list(extract_dictd.dictd_corpus("tiny", "dict-tiny", root=FIX))
    assert [d["source"] for d in docs] == ["tiny/gizmo", "tiny/frob", "tiny/quux"]


def test_dictd_b64():
    assert extract_dictd.b64_number("A") == 0 and extract_dictd.b64_number("BA") == 64
    with pytest.raises(ValueError, match="base-64"):
        extract_dictd.b64_number("A*")


def test_dictd_missing_and_corrupt(tmp_path):
    with pytest.raises(MissingSourceError, match=r"(?s)dict-gcide.*apt-get install -y --no-install-recommends dict-gcide"):
        extract_dictd.read_dictd(tmp_path / "gcide.dict.dz", tmp_path / "gcide.index", "dict-gcide")
    (tmp_path / "bad.dict.dz").write_bytes(b"not gzip at all")
    shutil.copy(FIX / "tiny.index", tmp_path / "bad.index")
    with pytest.raises(MissingSourceError, match="corrupt dictzip"):
        extract_dictd.read_dictd(tmp_path / "bad.dict.dz", tmp_path / "bad.index", "dict-bad")


RENDERED = (FIX / "frob.1.rendered").read_text()


def test_man_clean_and_describe_prerendered():
    text = extract_man.clean_rendered("N\bNA\bAM\bME\bE\n" + RENDERED.split("\n", 3)[3])
    assert text.startswith("NAME\nfrob, frobnicate - tweak")
    names, summary, desc = extract_man.describe(extract_man.clean_rendered(RENDERED))
    assert names == ["frob", "frobnicate"] and summary == "tweak a file until it works"
    assert desc.startswith("frob adjusts each FILE in small random steps.")
    assert "With no FILE, frob reads standard input." in desc


def test_man_redirect_detection():
    assert extract_man.is_redirect(gzip.decompress((FIX / "redirect.1.gz").read_bytes()))
    assert not extract_man.is_redirect(gzip.decompress((FIX / "frob.1.gz").read_bytes()))


@pytest.mark.skipif(shutil.which("man") is None or shutil.which("col") is None, reason="man/col not installed")
def test_man_render_two_pages():
    pages = [extract_man.render(FIX / f) for f in ("frob.1.gz", "quux.1.gz")]
    assert extract_man.describe(pages[0])[0] == ["frob", "frobnicate"]
    assert extract_man.describe(pages[1])[1] == "print a metasyntactic variable"
    assert all("\b" not in p and not p.startswith(" ") for p in pages)


def test_faq_parsers():
    pod = ("NAME\n    perlfaqX - test\n\nData: Strings\n  How do I reverse a string?\n    Use \"reverse\"."
           "\n\n        print scalar reverse $s;\n\n  Not a question\n    text\n")
    qa = extract_dialogue.parse_pod2text_faq(pod, "perl-doc/perlfaqX")
    assert [(q.question, q.answer) for q in qa] == [("How do I reverse a string?",
                                                     'Use "reverse".\n\n    print scalar reverse $s;')]
    rst = "Title\n=====\n\nWhat is :func:`len`?\n--------------------\n\nIt returns ``n``, see `docs <http://x>`_.\n\nNext\n----\nz\n"
    qa = extract_dialogue.parse_rst_faq(rst, "faq")
    assert [(q.question, q.answer) for q in qa] == [("What is len?", "It returns n, see docs.")]
    html = ('<h1 class="title">Chapter 1</h1><h2 class="title"><a id="x"></a>1.1. What is this FAQ?</h2>'
            "<p>A list of\n questions.</p><h2>1.2. Statement</h2><p>no</p>")
    qa = extract_dialogue.parse_html_faq(html, "debian-faq")
    assert [(q.question, q.answer) for q in qa] == [("What is this FAQ?", "A list of questions.")]


def test_chatterbot_from_tiny_wheel(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDACT_SOURCES", str(tmp_path))
    with pytest.raises(MissingSourceError, match=r"pip download --no-deps chatterbot-corpus==1\.3\.3"):
        pypi_archive("chatterbot-corpus")
    (tmp_path / "pypi").mkdir()
    with zipfile.ZipFile(tmp_path / "pypi" / "chatterbot_corpus-1.3.3-py2.py3-none-any.whl", "w") as z:
        z.writestr("chatterbot_corpus/data/english/food.yml",
                   "categories:\n- food\nconversations:\n- - Do you eat?\n  - No, I am a program.\n- - alone\n")
    convs = extract_dialogue.chatterbot_conversations()
    assert convs == [("food", ["Do you eat?", "No, I am a program."])]
    assert list(extract_dialogue.chatterbot())[0]["text"] == "User: Do you eat?\nAssistant: No, I am a program."


def test_docstrings_ast():
    src = 'def pub(x):\n    """Do a thing.\n    Over two lines.\n\n    More."""\n\ndef _priv():\n    """No."""\n' \
          'class K:\n    """A class."""\n    def m(self):\n        """Method doc."""\n'
    assert list(extract_code.docstrings(src, "mod")) == [
        ("mod.pub", "Do a thing. Over two lines."), ("mod.K", "A class."), ("mod.K.m", "Method doc.")]
    assert list(extract_code.docstrings("def (", "bad")) == []
    assert extract_code.module_name(Path("/usr/lib/python3.11/json/__init__.py")) == "json"


def test_clean_helpers():
    assert clean.normalize("a \r\nb\n\n\n\nc  \n") == "a\nb\n\nc"
    long = "\n\n".join(f"para {i} " + "x" * 50 for i in range(100))
    parts = clean.chunk(long, max_chars=500)
    assert all(len(p) <= 500 for p in parts) and "\n\n".join(parts) == long
    assert clean.chunk("y" * 1200, max_chars=500) == ["y" * 500, "y" * 500, "y" * 200]
    docs = [{"text": "a"}, {"text": "b"}, {"text": "a"}]
    assert [d["text"] for d in clean.dedup(docs)] == ["a", "b"]
    assert clean.html_to_text("<html><head><title>T</title></head><body><h2>Q?</h2><p>x  y</p><pre>a\n  b</pre></body>",
                              heading_marker="# ") == "# Q?\n\nx y\n\na\nb"
    osis = '<title type="x">Ps 1</title><div type="x-p" sID="1"/>Blessed <note>n</note>is the <hi type="italic">man</hi>'
    assert clean.osis_to_text(osis).strip() == "Ps 1\n\nBlessed is the man"


def test_missing_source_error_names_package(tmp_path):
    with pytest.raises(MissingSourceError) as e:
        require_file(tmp_path / "nope", Source("dict-foldoc"))
    assert "dict-foldoc" in str(e.value) and "apt-get install" in str(e.value)
    msg = Source("r-cran-janeaustenr", "deb-download").install_command()
    assert "apt-get download r-cran-janeaustenr" in msg and "dpkg-deb -x" in msg
