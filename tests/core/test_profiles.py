import gzip
import json

from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
from hypothesis.internal import charmap

from orderproof.core import profiles
from orderproof.core.profiles import UTF8_TABLES, seed_alone


def _computed_by_hypothesis(home):
    """``intervals_from_codec("utf-8")`` of the installed Hypothesis, with ``home`` as its storage."""
    before = storage_directory(intent_to_write=False).home_directory
    set_hypothesis_home_dir(home)
    try:
        found = charmap.intervals_from_codec.__wrapped__("utf-8")
    finally:
        set_hypothesis_home_dir(before)
    return found


def test_the_installed_hypothesis_reads_the_written_table_and_would_compute_the_same(tmp_path, monkeypatch):
    computed = _computed_by_hypothesis(tmp_path / "empty")              # no table there: computed
    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(tmp_path / "cache"))
    profiles._utf8_table.cache_clear()
    with seed_alone():
        pass                                                           # writes the tables
    written = tmp_path / "cache" / "hypothesis"

    def no_computing(code_point):
        raise AssertionError("Hypothesis computed the table instead of reading the written one")

    monkeypatch.setattr(charmap, "chr", no_computing, raising=False)
    read = _computed_by_hypothesis(written)
    assert read == computed


def test_the_tables_are_written_whole_in_both_forms(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(tmp_path))
    profiles._utf8_table.cache_clear()
    with seed_alone():
        folder = charmap.charmap_file().parent
    for name, table in UTF8_TABLES.items():
        with gzip.open(folder / name) as written:
            assert json.load(written) == table
    assert not list(folder.glob("*.tmp"))


def test_an_unwritable_cache_leaves_hypothesis_to_compute(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(blocked))
    profiles._utf8_table.cache_clear()
    with seed_alone():                                                 # no error: nothing written
        pass
    assert blocked.read_text() == "not a directory"
