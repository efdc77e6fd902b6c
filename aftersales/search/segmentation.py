"""Chinese word segmentation for the search index: jieba, loaded once per process.

Chinese is written without spaces, and most of its words are two characters
long, which neither SQLite's trigram tokenizer nor PostgreSQL's parsers can
find. So text is cut into words by jieba (``cut_for_search`` also emits the
shorter words inside a long one: 服务器密码机 → 服务器, 密码机, 服务, 密码 …)
and stored space-joined; both databases then index plain space-separated
words. Queries go through the same cut, so a query matches the words the
document was cut into.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from functools import lru_cache
from types import ModuleType

# Runs of letters and digits: what SQLite's unicode61 tokenizer and PostgreSQL's parser both
# keep as one word. Splitting jieba's pieces the same way ("3.2" → 3, 2) keeps the two
# databases, and a query and its document, in agreement.
_WORD = re.compile(r"[^\W_]+")

# Distinct texts whose words are remembered (a few MB): the repeated parts of tickets.
WORDS_CACHE_SIZE = 10_000

_lock = threading.Lock()
_jieba: ModuleType | None = None


def _segmenter() -> ModuleType:
    """jieba with its dictionary loaded: ~1 s the first time in a process, then free."""
    global _jieba
    if _jieba is None:
        with _lock:
            if _jieba is None:
                with warnings.catch_warnings():
                    # jieba 0.42 imports pkg_resources, which warns on import.
                    warnings.simplefilter("ignore")
                    import jieba
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


@lru_cache(maxsize=WORDS_CACHE_SIZE)
def _cached_words(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for piece in _segmenter().cut_for_search(text):
        found.extend(_WORD.findall(piece))
    return tuple(found)


def words(text: str) -> list[str]:
    """The words of ``text`` for the index, in order, lower-cased, repeats kept.

    Full-width letters and digits (typed with a Chinese input method) count
    as their ASCII forms. Cutting costs ~1 ms per paragraph, and much of what
    tickets say repeats (customer names, product names, titles), so recent
    results are remembered.
    """
    text = unicodedata.normalize("NFKC", text or "").lower().strip()
    if not text:
        return []
    return list(_cached_words(text))


def segment(*parts: str) -> str:
    """The parts' words, space-joined, as the full-text index stores them.

    Each part is cut on its own: a part boundary is a word boundary anyway,
    and a repeated part (a customer's name) is then cut only once.
    """
    return " ".join(word for part in parts for word in words(part))


def query_terms(text: str) -> list[str]:
    """The distinct words of a query, in order: a document must contain all of them."""
    return list(dict.fromkeys(words(text)))
