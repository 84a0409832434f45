"""Build the offline demo mirror (seeds/mirror/) from seeds/mirror_src/.

``python -m seeds.build_mirror`` renders every site's listing and policy pages for the two
generations ("2022", "2023") with the site's own template and encoding, writes raw bytes to
``seeds/mirror/<generation>/<host>/<path>`` plus ``_headers.json`` and ``_origin.txt`` per host
(2022 whole; 2023 as an overlay of only the files that differ, with ``_gone.json`` for withdrawn
paths), and writes ``CHANGES.md`` / ``changes.json`` from the difference it actually produced.
The output is deterministic: rebuilding gives the same bytes.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import posixpath
import re
import shutil
import tomllib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

SRC_DIR = Path(__file__).parent / "mirror_src"
OUT_DIR = Path(__file__).parent / "mirror"
GENERATIONS = ("2022", "2023")
DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"

# How each page states its charset: (bytes encoding, Content-Type header, <meta> tag).
_DECLARE: dict[str, tuple[str, str, str]] = {
    "header": ("utf-8", DEFAULT_CONTENT_TYPE, '<meta charset="utf-8">\n'),
    "meta-gb2312": (
        "gbk",
        "text/html",
        '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n',
    ),
    "meta-gbk": ("gbk", "text/html", '<meta charset="gbk">\n'),
    "header-gbk": ("gbk", "text/html; charset=GBK", ""),
    "none": ("gbk", "text/html", ""),
}

ROBOTS = "User-agent: *\nDisallow: /admin/\nDisallow: /search/\n"


@dataclass(frozen=True, slots=True)
class Style:
    """A site's own markup for the parts that vary inside its templates."""

    relative_links: bool  # TRS and VSB sites link relatively; SiteServer and Wuhai absolutely
    dot_slash: bool  # TRS writes "./202202/t….html"
    none_label: str  # the prev/next text when there is no neighbour
    paragraph: Callable[[str], str]
    list_item: Callable[[str, str, str], str]  # href, title, date
    pager: Callable[[list[str], int], str]  # hrefs of all listing pages, current index


def _p_binhai(text: str) -> str:
    if re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日|天津市滨海新区教育体育局", text):
        return f'<p style="text-align: right;">{text}</p>'
    if re.fullmatch(r"滨海新区\d{4}年教育体育工作要点|.*实施方案", text) and len(text) < 40:
        return f'<p style="text-align: center;"><strong>{text}</strong></p>'
    if re.match(r"[一二三四五六七八九十]+、", text):
        return f"<p><strong>{text}</strong></p>"
    return f"<p>{text}</p>"


def _p_heping(text: str) -> str:
    if len(text) <= 12 and "。" not in text:
        return f'<p align="center"><b>{text}</b></p>'
    return f"<p>\u3000\u3000{text}</p>"


def _pager(
    first: str, prev: str, nxt: str, last: str, total: str
) -> Callable[[list[str], int], str]:
    """A pager in the usual 首页/上一页/下一页/尾页 form, labels and markup per site."""

    def render(hrefs: list[str], current: int) -> str:
        parts = [f'<a href="{hrefs[0]}">{first}</a>']
        parts.append(
            f'<a href="{hrefs[current - 1]}">{prev}</a>' if current else f"<span>{prev}</span>"
        )
        for i, href in enumerate(hrefs):
            parts.append(
                f'<span class="current">{i + 1}</span>'
                if i == current
                else f'<a href="{href}">{i + 1}</a>'
            )
        last_i = len(hrefs) - 1
        parts.append(
            f'<a href="{hrefs[current + 1]}">{nxt}</a>'
            if current < last_i
            else f"<span>{nxt}</span>"
        )
        parts.append(f'<a href="{hrefs[last_i]}">{last}</a>')
        parts.append(total.format(n=len(hrefs)))
        return " ".join(parts)

    return render


STYLES: dict[str, Style] = {
    "binhai": Style(
        relative_links=False,
        dot_slash=False,
        none_label="没有了",
        paragraph=_p_binhai,
        list_item=lambda href, title, date: (
            f'<li><a href="{href}" target="_blank" title="{title}">{title}</a>'
            f'<span class="date">{date}</span></li>'
        ),
        pager=_pager("首页", "上一页", "下一页", "尾页", "<span>共{n}页</span>"),
    ),
    "heping": Style(
        relative_links=True,
        dot_slash=True,
        none_label="没有了",
        paragraph=_p_heping,
        list_item=lambda href, title, date: (
            f'      <tr><td class="dot" width="20">·</td><td><a href="{href}" target="_blank">'
            f'{title}</a></td><td class="date" width="100">{date}</td></tr>'
        ),
        pager=_pager("首页", "上一页", "下一页", "尾页", "共{n}页"),
    ),
    "chengzhong": Style(
        relative_links=True,
        dot_slash=False,
        none_label="无",
        paragraph=lambda text: f"\u3000\u3000{text}<br>",
        list_item=lambda href, title, date: (
            f'<li><a href="{href}" target="_blank" title="{title}">{title}</a>'
            f"<span>{date.replace('-', '/')}</span></li>"
        ),
        pager=_pager("首页", "上页", "下页", "尾页", '<span class="p_t">共{n}页</span>'),
    ),
    "dongcheng": Style(
        relative_links=True,
        dot_slash=True,
        none_label="沒有了",
        paragraph=lambda text: f'<p style="text-indent: 2em;">{text}</p>',
        list_item=lambda href, title, date: (
            f'<li><a href="{href}" target="_blank" title="{title}">{title}</a>'
            f"<span>{date}</span></li>"
        ),
        pager=_pager("首頁", "上一頁", "下一頁", "尾頁", "共{n}頁"),
    ),
    "wuhai": Style(
        relative_links=False,
        dot_slash=False,
        none_label="无",
        paragraph=lambda text: f'<p style="text-indent:2em;">{text}</p>',
        list_item=lambda href, title, date: (
            f'<li><a href="{href}" target="_blank" title="{title}">{title}</a>'
            f'<span class="date">{date}</span></li>'
        ),
        pager=_pager(
            "首页", "上一页", "下一页", "尾页", '<span class="default_pgTotalPage">共{n}页</span>'
        ),
    ),
}


# --- the 2023 Binhai plan, derived from the 2022 plan ---------------------------------------------

_SECTION_RE = re.compile(r"([一二三四五六七八九十]+)、")
_ITEM_RE = re.compile(r"(\d+)\.(.*)")


@dataclass(slots=True)
class _Item:
    old_number: int | None  # None for an item new in 2023
    paragraphs: list[str]  # the first without its "N." prefix


def derive_plan(text: str, spec: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Apply ``spec`` (plan_2023.toml) to the 2022 plan text; return new text and edit log."""
    lines = text.splitlines()
    first_section = next(i for i, line in enumerate(lines) if _SECTION_RE.match(line))
    preamble = lines[:first_section]
    sections: list[tuple[str, list[_Item]]] = []
    for line in lines[first_section:]:
        if _SECTION_RE.match(line):
            sections.append((line, []))
        elif match := _ITEM_RE.match(line):
            sections[-1][1].append(_Item(int(match.group(1)), [match.group(2)]))
        else:  # a continuation paragraph of the item above (item 10 has one)
            sections[-1][1][-1].paragraphs.append(line)
    log: list[dict[str, Any]] = []
    for edit in spec["preamble"]:
        index = _unique_line(preamble, edit["old"])
        preamble[index] = preamble[index].replace(edit["old"], edit["new"])
        log.append({"kind": "preamble", **edit})
    for edit in spec["edit"]:
        log.append(_apply_edit(sections, edit))
    numbers: dict[int, int] = {}
    out = list(preamble)
    counter = 0
    for heading, items in sections:
        out.append(heading)
        for item in items:
            counter += 1
            if item.old_number is not None:
                numbers[item.old_number] = counter
            out.append(f"{counter}.{item.paragraphs[0]}")
            out.extend(item.paragraphs[1:])
    for entry in log:
        old = entry.get("item")
        entry["new_item"] = numbers.get(old) if old is not None else None
        if entry["kind"] == "add":
            entry["new_item"] = _number_of(sections, entry["text"])
    return "\n".join(out) + "\n", log


def _unique_line(lines: list[str], old: str) -> int:
    hits = [i for i, line in enumerate(lines) if old in line]
    if len(hits) != 1 or lines[hits[0]].count(old) != 1:
        raise SystemExit(f"plan_2023.toml: {old!r} must occur exactly once")
    return hits[0]


def _find(sections: list[tuple[str, list[_Item]]], number: int) -> tuple[list[_Item], int]:
    for _, items in sections:
        for i, item in enumerate(items):
            if item.old_number == number:
                return items, i
    raise SystemExit(f"plan_2023.toml: no 2022 item {number}")


def _apply_edit(sections: list[tuple[str, list[_Item]]], edit: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = dict(edit)
    if edit["kind"] == "replace":
        items, i = _find(sections, edit["item"])
        paragraphs = items[i].paragraphs
        p = _unique_line(paragraphs, edit["old"])
        paragraphs[p] = paragraphs[p].replace(edit["old"], edit["new"])
    elif edit["kind"] == "remove":
        items, i = _find(sections, edit["item"])
        entry["old"] = items.pop(i).paragraphs[0]
    elif edit["kind"] == "move":
        items, i = _find(sections, edit["item"])
        moved = items.pop(i)
        target = next(s for s in sections if s[0].startswith(edit["section"] + "、"))
        target[1].append(moved)
        entry["from_section"] = _section_of(sections, items)
    elif edit["kind"] == "add":
        items, i = _find(sections, edit["after"])
        items.insert(i + 1, _Item(None, [edit["text"]]))
    else:
        raise SystemExit(f"plan_2023.toml: unknown edit kind {edit['kind']!r}")
    return entry


def _section_of(sections: list[tuple[str, list[_Item]]], items: list[_Item]) -> str:
    heading = next(h for h, its in sections if its is items)
    return heading.split("、", 1)[0]


def _number_of(sections: list[tuple[str, list[_Item]]], text: str) -> int:
    counter = 0
    for _, items in sections:
        for item in items:
            counter += 1
            if item.paragraphs[0] == text:
                return counter
    raise SystemExit("plan_2023.toml: added item lost")


# --- rendering ------------------------------------------------------------------------------

Files = dict[str, dict[str, tuple[bytes, str]]]  # host -> path -> (bytes, Content-Type)


def _href(style: Style, origin_path: str, target: str) -> str:
    if not style.relative_links:
        return target
    start = posixpath.dirname(origin_path)
    rel = posixpath.relpath(target, start)
    return f"./{rel}" if style.dot_slash and not rel.startswith(".") else rel


def _root(path: str) -> str:
    return "../" * (path.count("/") - 1)


def _body(page: dict[str, Any], generation: str, plan_2023: str) -> list[str]:
    name = page.get("body_2023") if generation == "2023" else None
    name = name or page["body"]
    text = (
        plan_2023 if name == "@binhai_plan_2023" else (SRC_DIR / "bodies" / name).read_text("utf-8")
    )
    return [line for line in text.splitlines() if line.strip()]


def _link(style: Style, site: dict[str, Any], page: dict[str, Any], key: str, gen: str) -> str:
    target = page[key]
    if not target:
        return style.none_label
    neighbour = next(p for p in site["page"] if p["path"] == target)
    if neighbour.get("only", gen) != gen:
        raise SystemExit(f"{page['path']}: {key} links {target}, absent in {gen}")
    href = _href(style, page["path"], target)
    return f'<a href="{href}">{html.escape(neighbour["title"], quote=False)}</a>'


def _info_table(site: dict[str, Any], page: dict[str, Any]) -> str:
    if site["template"] != "binhai" or "doc_number" not in page:
        return ""
    return (
        '<table class="xxgk-info"><tr><td>索引号：'
        f"{page['index_number']}</td><td>发文字号：{page['doc_number']}</td></tr>"
        "<tr><td>发布机构：天津市滨海新区教育体育局</td>"
        f"<td>成文日期：{page['date']}</td></tr></table>\n"
    )


def _attachments(page: dict[str, Any]) -> str:
    if "attachment" not in page:
        return ""
    path, name = page["attachment"]
    return f'<div class="attachments"><p>附件：<a href="{path}">{name}</a></p></div>\n'


def _value(page: dict[str, Any], site: dict[str, Any], key: str, gen: str) -> Any:
    if gen == "2023" and f"{key}_2023" in page:
        return page[f"{key}_2023"]
    return page.get(key, site.get(key))


def render_article(
    site: dict[str, Any], page: dict[str, Any], gen: str, plan: str
) -> tuple[bytes, str]:
    """One policy page of ``site`` in generation ``gen``: (raw bytes, Content-Type)."""
    style = STYLES[site["template"]]
    encoding, content_type, meta = _DECLARE[page.get("declare", "header")]
    body = "\n".join(style.paragraph(html.escape(p, quote=False)) for p in _body(page, gen, plan))
    template = Template(
        (SRC_DIR / "templates" / f"{site['template']}_article.html").read_text("utf-8")
    )
    text = template.substitute(
        meta_charset=meta,
        title=html.escape(page["title"], quote=False),
        date=page["date"],
        source=page["source"],
        views=_value(page, site, "views", gen),
        footer_date=_value(page, site, "footer_date", gen),
        body=body,
        prev=_link(style, site, page, "prev", gen),
        next=_link(style, site, page, "next", gen),
        info_table=_info_table(site, page),
        attachments=_attachments(page),
        doc_number=page.get("doc_number", ""),
        index_number=page.get("index_number", ""),
        article_id=re.findall(r"\d+", page["path"])[-1],
    )
    return text.encode(encoding), content_type


def render_listing(site: dict[str, Any], index: int, gen: str) -> tuple[bytes, str]:
    """Listing page number ``index`` (0-based) of ``site`` in generation ``gen``."""
    style = STYLES[site["template"]]
    path = site["listing"][index]
    encoding, content_type, meta = _DECLARE[site.get("listing_declare", "header")]
    items = [
        style.list_item(_href(style, path, p["path"]), html.escape(p["title"]), p["date"])
        for p in site["page"]
        if p["listing"] == index + 1 and p.get("only", gen) == gen
    ]
    hrefs = [_href(style, path, other) for other in site["listing"]]
    template = Template(
        (SRC_DIR / "templates" / f"{site['template']}_listing.html").read_text("utf-8")
    )
    text = template.substitute(
        meta_charset=meta,
        items="\n".join(items),
        pagination=style.pager(hrefs, index),
        footer_date=site["footer_date"],
        root=_root(path),
    )
    return text.encode(encoding), content_type


def _docx(paragraphs: list[str]) -> bytes:
    """A minimal valid .docx, with fixed timestamps so rebuilding gives the same bytes."""
    body = "".join(f"<w:p><w:r><w:t>{html.escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body>{body}</w:body></w:document>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2022, 1, 14, 9, 32, 15)), content)
    return buffer.getvalue()


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LETTER = [
    "2022年寒假致家长的一封信",
    "尊敬的家长:",
    "寒假即将来临,请您切实履行监护责任,教育孩子注意防溺水、防火、防交通事故、防煤气中毒,"
    "不到冰面玩耍,合理安排作息,度过一个平安、健康、快乐的寒假。",
    "天津市滨海新区教育体育局",
]


def build_generation(pages: dict[str, Any], plan: str, gen: str) -> Files:
    """Render every file of generation ``gen``, keyed by host then path."""
    files: Files = {}
    for site in pages["site"]:
        host = urlsplit(site["origin"]).netloc
        out = files.setdefault(host, {})
        out["/robots.txt"] = (ROBOTS.encode(), "text/plain; charset=utf-8")
        for index, path in enumerate(site["listing"]):
            out[path] = render_listing(site, index, gen)
        for page in site["page"]:
            if page.get("only", gen) == gen:
                out[page["path"]] = render_article(site, page, gen, plan)
                if "attachment" in page:
                    out[page["attachment"][0]] = (_docx(LETTER), DOCX_TYPE)
    return files


def write_generation(
    files: Files, origins: dict[str, str], target: Path, base: tuple[str, Files] | None = None
) -> None:
    """Write one generation's files, ``_headers.json`` and ``_origin.txt`` under ``target``.

    With ``base`` (its name and files) only what differs from it is written, plus the paths it
    no longer has in ``_gone.json``: see seeds/mirror.py for how an overlay is read.
    """
    if base is not None:
        target.mkdir(parents=True, exist_ok=True)
        (target / "_base.txt").write_text(base[0] + "\n", "utf-8")
    for host, all_entries in files.items():
        host_dir = target / host
        old = base[1].get(host, {}) if base else {}
        entries = {p: v for p, v in all_entries.items() if old.get(p) != v}
        gone = sorted(set(old) - set(all_entries))
        if base is not None and not entries and not gone:
            continue
        if gone:
            host_dir.mkdir(parents=True, exist_ok=True)
            (host_dir / "_gone.json").write_text(json.dumps(gone, indent=2) + "\n", "utf-8")
        headers: dict[str, dict[str, str]] = {}
        for path, (data, content_type) in sorted(entries.items()):
            file = host_dir / (path.lstrip("/") + ("index.html" if path.endswith("/") else ""))
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)
            if content_type != DEFAULT_CONTENT_TYPE:
                headers[path] = {"Content-Type": content_type}
        (host_dir / "_headers.json").write_text(
            json.dumps(headers, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8"
        )
        (host_dir / "_origin.txt").write_text(origins[host] + "\n", "utf-8")


# --- what changed between the generations --------------------------------------------------------


def describe_changes(
    pages: dict[str, Any], old: Files, new: Files, plan_log: list[dict[str, Any]]
) -> dict[str, Any]:
    """Compare two generations byte for byte and explain every difference from the page data."""
    origin = {urlsplit(s["origin"]).netloc: s["origin"] for s in pages["site"]}

    def urls(pairs: set[tuple[str, str]]) -> list[str]:
        return sorted(origin[host] + path for host, path in pairs)

    old_keys = {(h, p) for h, entries in old.items() for p in entries}
    new_keys = {(h, p) for h, entries in new.items() for p in entries}
    changed = {(h, p) for h, p in old_keys & new_keys if old[h][p] != new[h][p]}
    result: dict[str, Any] = {
        "added": urls(new_keys - old_keys),
        "removed": urls(old_keys - new_keys),
        "changed": urls(changed),
        "new_documents": [],
        "edited_in_place": [],
        "withdrawn": [],
        "counter_only": [],
        "plan_edits": [{k: v for k, v in e.items() if k != "text"} | _short(e) for e in plan_log],
    }
    explained: set[str] = set()
    for site in pages["site"]:
        for page in site["page"]:
            url = site["origin"] + page["path"]
            listing = site["origin"] + site["listing"][page["listing"] - 1]
            if page.get("only") == "2023":
                result["new_documents"].append(
                    {"url": url, "title": page["title"], "listing": listing}
                )
                explained |= {url, listing}
            elif page.get("only") == "2022":
                result["withdrawn"].append({"url": url, "title": page["title"], "listing": listing})
                explained |= {url, listing}
            elif "body_2023" in page:
                result["edited_in_place"].append({"url": url, "changes": page["changes_2023"]})
                explained.add(url)
            elif "views_2023" in page or "footer_date_2023" in page:
                result["counter_only"].append(
                    {
                        "url": url,
                        "views": [page["views"], page.get("views_2023", page["views"])],
                        "footer_date": [site["footer_date"], page.get("footer_date_2023")],
                    }
                )
                explained.add(url)
    actual = set(result["added"]) | set(result["removed"]) | set(result["changed"])
    if actual != explained:
        raise SystemExit(f"unexplained differences: {sorted(actual ^ explained)}")
    result["listings_changed"] = sorted(u for u in result["changed"] if u in _listing_urls(pages))
    return result


def _short(entry: dict[str, Any]) -> dict[str, Any]:
    return {"text": entry["text"][:40] + "……"} if "text" in entry else {}


def _listing_urls(pages: dict[str, Any]) -> set[str]:
    return {s["origin"] + path for s in pages["site"] for path in s["listing"]}


def changes_markdown(changes: dict[str, Any]) -> str:
    """CHANGES.md: the same facts as changes.json, for people."""
    out = [
        "# Offline mirror: what differs between generation 2022 and 2023",
        "",
        "Generated by `python -m seeds.build_mirror` (checked against the bytes it wrote); do not",
        "edit by hand. Everything not listed here is served byte-identical in both generations",
        "(`2023/` stores only the files listed, over `2022/`, and `_gone.json` for withdrawals);",
        "only the served Last-Modified header differs for every file (fixed per generation).",
        "The mirror is synthetic: real URL forms and page layouts, invented ids, chrome and",
        "notices around the seed texts (seeds/sources/*.toml say which addresses are confirmed).",
        "",
        "## 1. New document at a new URL (last year's stays unchanged)",
    ]
    for doc in changes["new_documents"]:
        out += [f"- NEW {doc['url']} {doc['title']}", f"  - linked at the top of {doc['listing']}"]
    out += ["", "### Plan edits (2022 item → 2023 item)", ""]
    for edit in changes["plan_edits"]:
        out.append("- " + _edit_line(edit))
    out += ["", "## 2. Edited in place (same URL)", ""]
    for doc in changes["edited_in_place"]:
        out.append(f"- EDITED {doc['url']}")
        out += [f"  - {line}" for line in doc["changes"]]
    out += ["", "## 3. Withdrawn (404 in 2023, gone from its listing)", ""]
    for doc in changes["withdrawn"]:
        out += [f"- GONE {doc['url']} {doc['title']}", f"  - removed from {doc['listing']}"]
    out += ["", "## 4. Counter and footer date only (text body identical)", ""]
    for doc in changes["counter_only"]:
        views, years = doc["views"], doc["footer_date"]
        out.append(
            f"- COUNTER {doc['url']}: 浏览次数 {views[0]} → {views[1]}; "
            f"footer {years[0]} → {years[1]}"
        )
    out += ["", "## Every file that differs", ""]
    for key in ("added", "removed", "changed"):
        out += [f"- {key}: {url}" for url in changes[key]]
    return "\n".join(out) + "\n"


def _edit_line(edit: dict[str, Any]) -> str:
    kind, note = edit["kind"], edit.get("note", "")
    if kind == "preamble":
        return f"preamble ({note or 'year'}): 「{edit['old']}」 → 「{edit['new']}」"
    if kind == "add":
        return f"added item {edit['new_item']} (after 2022 item {edit['after']}): {edit['text']}"
    if kind == "remove":
        return f"removed 2022 item {edit['item']}: {edit['old'][:30]}…"
    if kind == "move":
        return (
            f"moved 2022 item {edit['item']} → 2023 item {edit['new_item']}: section "
            f"{edit['from_section']} → {edit['section']} (text unchanged)"
        )
    numbers = f"2022 item {edit['item']} → 2023 item {edit['new_item']}"
    return f"{numbers} ({note}): 「{edit['old']}」 → 「{edit['new']}」"


def main(argv: list[str] | None = None) -> None:
    """Rebuild seeds/mirror/ (or ``--out``) from seeds/mirror_src/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    pages = tomllib.loads((SRC_DIR / "pages.toml").read_text("utf-8"))
    spec = tomllib.loads((SRC_DIR / "plan_2023.toml").read_text("utf-8"))
    plan_2022 = (SRC_DIR / "bodies" / "binhai_268903.txt").read_text("utf-8")
    plan_2023, plan_log = derive_plan(plan_2022, spec)
    origins = {urlsplit(s["origin"]).netloc: s["origin"] for s in pages["site"]}
    built = {gen: build_generation(pages, plan_2023, gen) for gen in GENERATIONS}
    # The first generation is stored whole; each later one as an overlay on the one before.
    previous: tuple[str, Files] | None = None
    for gen, files in built.items():
        shutil.rmtree(args.out / gen, ignore_errors=True)
        write_generation(files, origins, args.out / gen, base=previous)
        previous = (gen, files)
    changes = describe_changes(pages, built["2022"], built["2023"], plan_log)
    (args.out / "changes.json").write_text(
        json.dumps(changes, ensure_ascii=False, indent=2) + "\n", "utf-8"
    )
    (args.out / "CHANGES.md").write_text(changes_markdown(changes), "utf-8")


if __name__ == "__main__":
    main()
