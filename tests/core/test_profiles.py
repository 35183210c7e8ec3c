import gzip
import json
import unicodedata

from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
from hypothesis.internal import charmap

from orderproof.core import profiles
from orderproof.core.profiles import UTF8_TABLE, seed_alone


def test_the_utf8_table_is_the_one_hypothesis_computes(tmp_path):
    home = storage_directory(intent_to_write=False).home_directory
    set_hypothesis_home_dir(tmp_path)
    try:
        encodable, lossy = charmap.intervals_from_codec.__wrapped__("utf-8")    # computed: no file there
    finally:
        set_hypothesis_home_dir(home)
    assert [[list(pair) for pair in encodable.intervals], [list(pair) for pair in lossy.intervals]] == UTF8_TABLE


def test_seed_alone_writes_the_table_where_hypothesis_reads_it(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(tmp_path))
    profiles._utf8_table.cache_clear()
    with seed_alone():
        written = charmap.charmap_file("codec-v2-utf-8")
        assert written == tmp_path / "hypothesis" / "unicode_data" / unicodedata.unidata_version / "codec-v2-utf-8.json.gz"
    with gzip.open(written) as table:
        assert json.load(table) == UTF8_TABLE
    assert not list(written.parent.glob("*.tmp"))
