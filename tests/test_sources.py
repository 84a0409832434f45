"""Source definitions: the shipped TOML files load, bad input gives one exact line, rebasing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seeds import DEFAULT_SOURCES_DIR, MIRROR_DIR, LinkKind, Source, SourceError, load_sources

GOOD = """\
[[source]]
id = "tj_binhai"
name = "天津市滨海新区教育体育局"
start_urls = ["https://jtj.tjbh.gov.cn/channels/9930.html"]
follow = ['^/channels/9930(_\\d+)?\\.html$']
documents = ['^/contents/9930/\\d+\\.html$']
schedule = "17 6 * * *"
"""

# (id, extra TOML lines appended to GOOD's table, expected message after "<file>: ")
BAD_FIELDS = [
    ("unknown-key", "frequency = 3", 'source "tj_binhai": frequency: unknown key'),
    ("delay-negative", "delay = -1", 'source "tj_binhai": delay: must be at least 0, got -1'),
    ("delay-type", 'delay = "fast"', 'source "tj_binhai": delay: expected a number, got string'),
    ("delay-bool", "delay = true", 'source "tj_binhai": delay: expected a number, got boolean'),
    (
        "concurrency",
        "concurrency = 0",
        'source "tj_binhai": concurrency: must be at least 1, got 0',
    ),
    (
        "concurrency-float",
        "concurrency = 1.5",
        'source "tj_binhai": concurrency: expected an integer, got number',
    ),
    ("max-pages", "max_pages = 0", 'source "tj_binhai": max_pages: must be at least 1, got 0'),
    (
        "withdraw-after",
        "withdraw_after = 0",
        'source "tj_binhai": withdraw_after: must be at least 1, got 0',
    ),
    (
        "max-page-bytes",
        "max_page_bytes = 0",
        'source "tj_binhai": max_page_bytes: must be at least 1, got 0',
    ),
    ("encoding", 'encoding = "gbk2"', 'source "tj_binhai": encoding: unknown codec: "gbk2"'),
    (
        "allow-private",
        'allow_private = "yes"',
        'source "tj_binhai": allow_private: expected a boolean, got string',
    ),
    (
        "reporters",
        "reporters = [1]",
        'source "tj_binhai": reporters[0]: expected a string, got integer',
    ),
    (
        "reporters-type",
        'reporters = "email"',
        'source "tj_binhai": reporters: expected a list of strings, got string',
    ),
    ("notes", "notes = 3", 'source "tj_binhai": notes: expected a string, got integer'),
    (
        "attachments-regex",
        "attachments = ['(']",
        'source "tj_binhai": attachments[0]: not a regular expression: "(" '
        "(missing ), unterminated subpattern at position 0)",
    ),
    (
        "xpath",
        "prune_xpath = ['//div[']",
        'source "tj_binhai": prune_xpath[0]: not an XPath expression: "//div[" '
        "(Invalid expression)",
    ),
    (
        "extra-hosts",
        'extra_hosts = ["http://x.cn/"]',
        'source "tj_binhai": extra_hosts[0]: not a hostname: "http://x.cn/"',
    ),
]


@pytest.mark.parametrize(
    ("extra", "expected"), [c[1:] for c in BAD_FIELDS], ids=[c[0] for c in BAD_FIELDS]
)
def test_bad_field_gives_one_exact_line(tmp_path: Path, extra: str, expected: str) -> None:
    file = tmp_path / "x.toml"
    file.write_text(GOOD + extra + "\n", "utf-8")
    with pytest.raises(SourceError) as info:
        load_sources(file)
    assert str(info.value) == f"{file}: {expected}"
    assert "\n" not in str(info.value)


# (id, replace this line of GOOD, with this, expected message after "<file>: ")
BAD_REPLACED = [
    ("id-missing", 'id = "tj_binhai"', "", "source #1: id: missing (required)"),
    (
        "id-case",
        'id = "tj_binhai"',
        'id = "TJ-Binhai"',
        'source #1: id: not ASCII snake_case: "TJ-Binhai"',
    ),
    (
        "id-unicode",
        'id = "tj_binhai"',
        'id = "滨海"',
        'source #1: id: not ASCII snake_case: "滨海"',
    ),
    (
        "name-missing",
        'name = "天津市滨海新区教育体育局"',
        "",
        'source "tj_binhai": name: missing (required)',
    ),
    (
        "cron",
        'schedule = "17 6 * * *"',
        'schedule = "6 * *"',
        'source "tj_binhai": schedule: not a cron expression: "6 * *"',
    ),
    (
        "cron-range",
        'schedule = "17 6 * * *"',
        'schedule = "61 * * * *"',
        'source "tj_binhai": schedule: not a cron expression: "61 * * * *"',
    ),
    (
        "cron-six-fields",
        'schedule = "17 6 * * *"',
        'schedule = "0 17 6 * * *"',
        'source "tj_binhai": schedule: not a cron expression: "0 17 6 * * *"',
    ),
    (
        "schedule-missing",
        'schedule = "17 6 * * *"',
        "",
        'source "tj_binhai": schedule: missing (required)',
    ),
    (
        "start-urls-empty",
        'start_urls = ["https://jtj.tjbh.gov.cn/channels/9930.html"]',
        "start_urls = []",
        'source "tj_binhai": start_urls: must not be empty',
    ),
    (
        "start-urls-scheme",
        'start_urls = ["https://jtj.tjbh.gov.cn/channels/9930.html"]',
        'start_urls = ["ftp://jtj.tjbh.gov.cn/"]',
        'source "tj_binhai": start_urls[0]: not an http(s) URL: "ftp://jtj.tjbh.gov.cn/"',
    ),
    (
        "documents-missing",
        "documents = ['^/contents/9930/\\d+\\.html$']",
        "",
        'source "tj_binhai": documents: missing (required)',
    ),
    (
        "documents-regex",
        "documents = ['^/contents/9930/\\d+\\.html$']",
        "documents = ['[']",
        'source "tj_binhai": documents[0]: not a regular expression: "[" '
        "(unterminated character set at position 0)",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [c[1:] for c in BAD_REPLACED], ids=[c[0] for c in BAD_REPLACED]
)
def test_bad_required_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    file = tmp_path / "x.toml"
    file.write_text(GOOD.replace(old, new), "utf-8")
    with pytest.raises(SourceError, match=f"^{re.escape(f'{file}: {expected}')}$"):
        load_sources(file)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[source]]\nid = \n", "line 2: Invalid value"),
        ("", "no [[source]] tables"),
        ("title = 'x'\n", "title: unknown key (expected [[source]] tables)"),
        ("source = 3\n", "source: expected [[source]] tables"),
    ],
    ids=["toml-syntax", "empty", "top-level-key", "source-not-tables"],
)
def test_bad_file(tmp_path: Path, text: str, expected: str) -> None:
    file = tmp_path / "x.toml"
    file.write_text(text, "utf-8")
    with pytest.raises(SourceError) as info:
        load_sources(file)
    assert str(info.value) == f"{file}: {expected}"


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        load_sources(tmp_path / "nope")
    assert str(info.value) == f"{tmp_path / 'nope'}: no such file or directory"


def test_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r": no \*\.toml files$"):
        load_sources(tmp_path)


def test_duplicate_id_names_both_files(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(GOOD, "utf-8")
    (tmp_path / "b.toml").write_text(GOOD, "utf-8")
    with pytest.raises(SourceError) as info:
        load_sources(tmp_path)
    assert str(info.value) == (
        f'{tmp_path / "b.toml"}: source "tj_binhai": id: duplicate (already defined in '
        f"{tmp_path / 'a.toml'})"
    )


def test_relative_path_is_named_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "x.toml").write_text(GOOD + 'schedule2 = "x"\n', "utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SourceError) as info:
        load_sources("sources")
    assert str(info.value) == 'sources/x.toml: source "tj_binhai": schedule2: unknown key'


def test_defaults(tmp_path: Path) -> None:
    file = tmp_path / "x.toml"
    file.write_text(GOOD, "utf-8")
    [source] = load_sources(file)
    assert source == Source(
        id="tj_binhai",
        name="天津市滨海新区教育体育局",
        start_urls=("https://jtj.tjbh.gov.cn/channels/9930.html",),
        follow=(r"^/channels/9930(_\d+)?\.html$",),
        documents=(r"^/contents/9930/\d+\.html$",),
        schedule="17 6 * * *",
    )
    assert (source.delay, source.concurrency, source.max_pages) == (1.0, 1, 500)
    assert (source.withdraw_after, source.max_page_bytes) == (1, 10_000_000)
    assert (source.encoding, source.allow_private) == (None, False)
    assert (source.prune_xpath, source.reporters, source.notes) == ((), (), "")
    assert source.classify("https://jtj.tjbh.gov.cn/upload/a/通知.PDF") is LinkKind.ATTACHMENT


def test_several_sources_per_file(tmp_path: Path) -> None:
    second = GOOD.replace('"tj_binhai"', '"tj_binhai_2"')
    file = tmp_path / "x.toml"
    file.write_text(GOOD + "\n" + second, "utf-8")
    assert [s.id for s in load_sources(file)] == ["tj_binhai", "tj_binhai_2"]


def test_source_is_frozen_with_slots() -> None:
    [source] = [s for s in load_sources() if s.id == "tj_binhai"]
    assert not hasattr(source, "__dict__")
    with pytest.raises(AttributeError):
        source.id = "x"  # type: ignore[misc]


# --- the shipped sources --------------------------------------------------------------------

SHIPPED = {
    "tj_heping": ("天津市和平区教育局", "https://www.tjhp.gov.cn"),
    "xn_chengzhong": ("西宁市城中区教育局", "https://xncz.gov.cn"),
    "tj_binhai": ("天津市滨海新区教育体育局", "https://jtj.tjbh.gov.cn"),
    "bj_dongcheng": ("北京市东城区教育委员会", "https://www.bjdch.gov.cn"),
    "nm_wuhai": ("乌海市教育局", "http://jyj.wuhai.gov.cn"),
}


def test_shipped_sources_load() -> None:
    sources = {s.id: s for s in load_sources()}
    assert sources.keys() == SHIPPED.keys()
    for source_id, (name, origin) in SHIPPED.items():
        source = sources[source_id]
        assert (DEFAULT_SOURCES_DIR / f"{source_id}.toml").is_file()
        assert source.name == name
        assert all(url.startswith(origin + "/") for url in source.start_urls)
        assert (source.delay, source.concurrency, source.allow_private) == (1.0, 1, False)


def test_shipped_schedules_are_staggered() -> None:
    schedules = [s.schedule for s in load_sources()]
    assert len(set(schedules)) == len(schedules)


def _mirror_paths(generation: str, host: str) -> list[str]:
    root = MIRROR_DIR / generation / host
    return [
        "/" + p.relative_to(root).as_posix()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith("_")
    ]


@pytest.mark.parametrize("source", load_sources(), ids=lambda s: s.id)
def test_shipped_patterns_classify_the_mirror(source: Source) -> None:
    """Every mirrored page is a document or a listing to follow; start URLs are followed."""
    [host] = source.allowed_hosts
    kinds = {path: source.classify(path) for path in _mirror_paths("2022", host)}
    assert kinds.pop("/robots.txt") is None
    assert LinkKind.DOCUMENT in kinds.values()
    assert all(kind is not None for kind in kinds.values()), kinds
    assert all(source.classify(url) is LinkKind.FOLLOW for url in source.start_urls)


def test_rebased_points_start_urls_at_the_mirror() -> None:
    [source] = [s for s in load_sources() if s.id == "tj_binhai"]
    local = source.rebased({"https://jtj.tjbh.gov.cn": "http://127.0.0.1:8123"})
    assert local.start_urls == ("http://127.0.0.1:8123/channels/9930.html",)
    assert local.allowed_hosts == ("127.0.0.1",)
    assert local.documents == source.documents
    assert local.allow_private is False
    assert source.start_urls == ("https://jtj.tjbh.gov.cn/channels/9930.html",)  # unchanged
    assert source.rebased({}, allow_private=True).allow_private is True
    assert source.rebased({"https://other.cn": "http://127.0.0.1:1"}) == source


def test_rebased_maps_extra_hosts(tmp_path: Path) -> None:
    file = tmp_path / "x.toml"
    file.write_text(GOOD + 'extra_hosts = ["jtj.tjbh.gov.cn", "files.tjbh.gov.cn"]\n', "utf-8")
    [source] = load_sources(file)
    assert source.allowed_hosts == ("jtj.tjbh.gov.cn", "files.tjbh.gov.cn")
    local = source.rebased({"https://jtj.tjbh.gov.cn": "http://127.0.0.1:8123"})
    assert local.allowed_hosts == ("127.0.0.1", "files.tjbh.gov.cn")


def test_duplicate_key_is_a_toml_error(tmp_path: Path) -> None:
    file = tmp_path / "x.toml"
    file.write_text(GOOD + 'schedule = "6 * *"\n', "utf-8")
    with pytest.raises(SourceError) as info:
        load_sources(file)
    assert str(info.value) == f"{file}: line 8: Cannot overwrite a value"
