"""Snippets: text around the first match, everything escaped, the matched words marked."""

from __future__ import annotations

from aftersales.search.snippets import highlight, snippet


def test_matched_words_are_marked_after_the_text_is_escaped():
    marked = highlight("<b>主板</b> & 主板卡", ["主板"])

    assert marked == "&lt;b&gt;<mark>主板</mark>&lt;/b&gt; &amp; <mark>主板</mark>卡"


def test_the_longest_word_is_marked_whole():
    assert highlight("服务器密码机", ["服务", "服务器"]) == "<mark>服务器</mark>密码机"


def test_latin_words_are_marked_whatever_their_case():
    assert highlight("HAC2026 fan", ["hac2026"]) == "<mark>HAC2026</mark> fan"


def test_a_snippet_starts_a_little_before_the_first_match_and_marks_the_cut():
    text = "甲" * 300 + "主板故障" + "乙" * 300

    result = snippet(text, ["主板"])

    assert result.startswith("…" + "甲" * 40 + "<mark>主板</mark>故障")
    assert result.endswith("乙…")


def test_a_snippet_without_a_match_shows_the_beginning():
    assert snippet("短文本", ["主板"]) == "短文本"
