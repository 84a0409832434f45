"""archive.text.wordcut: the index's word cut is jieba's search mode, token for token."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.text.search import _search_cut, _tokenizer, fold, tokens
from archive.text.wordcut import is_word

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def jieba_tokens(text: str) -> list[str]:
    """What the index held before: jieba's own search-mode cut, punctuation dropped."""
    return [t for t in _tokenizer().cut_for_search(text, HMM=False) if is_word(t)]


def _repo_texts() -> list[Path]:
    return sorted([*REPO.glob("tests/gold/**/*.txt"), *REPO.glob("seeds/mirror_src/bodies/*.txt")])


@pytest.mark.parametrize("path", _repo_texts(), ids=lambda p: p.name)
def test_same_tokens_as_jieba_on_the_repos_policy_texts(path: Path) -> None:
    text = fold(path.read_text(encoding="utf-8"))
    assert _search_cut().words(text) == jieba_tokens(text)


def test_same_tokens_as_jieba_on_the_real_plan_pairs() -> None:
    pairs = sorted((SHARED / "real-plan-pairs").glob("**/*.txt"))
    if not pairs:
        pytest.skip("../shared/real-plan-pairs is absent: the repo's own texts are checked above")
    for path in pairs:
        text = fold(path.read_text(encoding="utf-8", errors="replace"))
        assert _search_cut().words(text) == jieba_tokens(text), path.name


# Dictionary words, user-dictionary terms, words of one character, rare Han (outside jieba's
# Han range), letters and digits (run together), the symbols jieba keeps inside a block, and
# the punctuation and spaces that split blocks.
_PIECES = [
    *"教育局工作要点学校课后服务双减义务均衡发展推进落实体育東城區",
    "双减",
    "课后服务",
    "义务教育",
    "中华人民共和国",
    "研究生命起源",
    "京津冀协同发展",
    "㐀",
    "𠀀",
    *"abcXYZ019",
    "C++",
    "PM2.5",
    "2023年",
    *"+#&._%-",
    *"，。、；：“”（）《》〔〕 \n\t",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_same_tokens_as_jieba_on_any_mixture(text: str) -> None:
    assert _search_cut().words(text) == jieba_tokens(text)


def test_user_dictionary_terms_stay_whole() -> None:
    words = tokens("落实双减政策，做好课后服务")
    assert "双减" in words and "课后服务" in words
    assert "，" not in words
