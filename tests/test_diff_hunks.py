"""Hunks, split and rebuild: derived from before/after in one place, and back to text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dockvenv.model import FileEdit
from dockvenv.render.diff import Hunk, edit_text, hunks, parse_edit, rebuild, split, unified
from tests.conftest import FIXTURES

BEFORE = "".join(f"line {n}\n" for n in range(1, 21))
AFTER = BEFORE.replace("line 2\n", "line two\n").replace("line 4\n", "").replace("line 18\n", "line 18\nnew\n")


def _edit(before: str | None = BEFORE, after: str | None = AFTER, path: str = "f.txt") -> FileEdit:
    return FileEdit(path, before, after)


def _finest(edit: FileEdit) -> list[Hunk]:
    return [part for h in hunks(edit) for part in split(edit, h)]


def test_hunks_are_those_of_the_unified_diff() -> None:
    edit = _edit()
    got = hunks(edit)
    assert [h.header for h in got] == re.findall(r"^@@ .* @@$", unified(edit), re.M)
    assert [(h.start, h.old, h.new) for h in got] == [
        (1, ("line 2\n", "line 3\n", "line 4\n"), ("line two\n", "line 3\n")),
        (18, (), ("new\n",)),
    ]
    assert got[1].shift == -1 and got[1].leading == ("line 16\n", "line 17\n", "line 18\n")


def test_rebuild_all_none_and_each() -> None:
    edit = _edit()
    first, second = hunks(edit)
    assert rebuild(edit, [first, second]) == AFTER
    assert rebuild(edit, []) == BEFORE
    assert rebuild(edit, [second]) == BEFORE.replace("line 18\n", "line 18\nnew\n")
    assert rebuild(edit, [first]) == BEFORE.replace("line 2\n", "line two\n").replace("line 4\n", "")


def test_split_cuts_at_unchanged_lines_like_git() -> None:
    edit = _edit()
    first = hunks(edit)[0]
    parts = split(edit, first)
    assert [(p.start, p.old, p.new) for p in parts] == [(1, ("line 2\n",), ("line two\n",)), (3, ("line 4\n",), ())]
    assert [p.header for p in parts] == ["@@ -1,5 +1,5 @@", "@@ -1,7 +1,6 @@"]
    assert split(edit, parts[0]) == [parts[0]]  # one change: cannot be split further
    assert rebuild(edit, [parts[1]]) == BEFORE.replace("line 4\n", "")
    assert rebuild(edit, [*parts, hunks(edit)[1]]) == AFTER


def test_created_and_deleted_files_are_one_hunk() -> None:
    created = _edit(None, "a\nb\n", ".dockerignore")
    (h,) = hunks(created)
    assert (h.start, h.old, h.new, h.header) == (0, (), ("a\n", "b\n"), "@@ -0,0 +1,2 @@")
    assert rebuild(created, []) is None and rebuild(created, [h]) == "a\nb\n"
    deleted = _edit("a\n", None)
    (d,) = hunks(deleted)
    assert rebuild(deleted, [d]) is None and rebuild(deleted, []) == "a\n"
    assert hunks(_edit(None, "")) == [Hunk("f.txt", 0, (), ())] and rebuild(_edit(None, ""), hunks(_edit(None, ""))) == ""


def test_unchanged_edit_has_no_hunks() -> None:
    assert hunks(_edit(BEFORE, BEFORE)) == []


def test_no_newline_at_end_and_crlf_survive_byte_for_byte() -> None:
    edit = _edit("a\r\nb\r\nc\r\nd", "a\r\nB\r\nc\r\nD")
    first, second = _finest(edit)
    assert rebuild(edit, [first, second]) == "a\r\nB\r\nc\r\nD"
    assert rebuild(edit, [first]) == "a\r\nB\r\nc\r\nd"
    assert rebuild(edit, [second]) == "a\r\nb\r\nc\r\nD"
    grown = _edit("a\r\nb\r\nc", "a\r\nB\r\nc\r\nd")  # "c" and "c\r\n" differ: one change
    assert len(_finest(grown)) == 1 and rebuild(grown, _finest(grown)) == grown.after


def test_overlapping_or_foreign_hunks_are_refused() -> None:
    edit = _edit()
    first = hunks(edit)[0]
    with pytest.raises(ValueError):
        rebuild(edit, [first, split(edit, first)[0]])
    with pytest.raises(ValueError):
        rebuild(edit, [Hunk("f.txt", 0, ("nope\n",), ())])


def test_edit_text_round_trips_and_reads_changes() -> None:
    edit = _edit()
    first = hunks(edit)[0]
    text = edit_text(first)
    assert " line 3\n" in text and "-line 4\n" in text and "+line two\n" in text
    assert parse_edit(first, text) == first.new
    changed = text.replace("+line two\n", "+line TWO\n+extra\n").replace("-line 4\n", " line 4\n")
    assert parse_edit(first, changed) == ("line TWO\n", "extra\n", "line 3\n", "line 4\n")
    with pytest.raises(ValueError, match="changed ' ' or '-' lines"):
        parse_edit(first, text.replace(" line 3", " line three"))
    with pytest.raises(ValueError, match="not ' ', '-' or '\\+'"):
        parse_edit(first, text + "oops\n")


def test_edit_text_keeps_a_missing_final_newline() -> None:
    edit = _edit("a\nb", "a\nc")
    (h,) = hunks(edit)
    text = edit_text(h)
    assert "+c\n\\ No newline at end of file\n" in text
    assert parse_edit(h, text) == ("c",)
    assert parse_edit(h, text.replace("+c\n\\ No newline at end of file\n", "+c\n")) == ("c\n",)


def test_unified_output_is_unchanged_by_hunks() -> None:
    before = (FIXTURES / "review" / "stages" / "before" / "Dockerfile").read_text()
    after = (FIXTURES / "review" / "stages" / "after" / "Dockerfile").read_text()
    text = unified(FileEdit("Dockerfile", before, after))
    assert text.startswith("diff --git a/Dockerfile b/Dockerfile\n--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,12 +1,11 @@\n")


lines = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n", "d", "e\r\n"]), max_size=14)


@settings(max_examples=300, deadline=None)
@given(lines, lines, st.data())
def test_any_subset_of_finest_hunks_rebuilds_consistently(old: list[str], new: list[str], data: st.DataObject) -> None:
    # a line without its newline only makes sense at the end
    old = [x if x.endswith("\n") else x + "\n" for x in old[:-1]] + old[-1:]
    new = [x if x.endswith("\n") else x + "\n" for x in new[:-1]] + new[-1:]
    edit = _edit("".join(old), "".join(new))
    parts = _finest(edit)
    assert rebuild(edit, parts) == edit.after
    assert rebuild(edit, []) == edit.before
    chosen = data.draw(st.sets(st.sampled_from(parts)) if parts else st.just(set()))
    text = rebuild(edit, chosen)
    assert text is not None
    assert len(text.splitlines()) == len(old) + sum(len(h.new) - len(h.old) for h in chosen) or not text
    rest = [h for h in parts if h not in chosen]  # the rest of the diff still applies on top
    assert rebuild(FileEdit("f.txt", text, edit.after), hunks(FileEdit("f.txt", text, edit.after))) == edit.after
    assert all(parse_edit(h, edit_text(h)) == h.new for h in rest)
