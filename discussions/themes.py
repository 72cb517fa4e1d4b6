"""The words that name the synthesis's themes, read per language.

Positions come in Arabic, Chinese, English, French, Russian and Spanish side by side. Read
as English (English stop words, words split at spaces and punctuation), German themes came
out as "die, für, das" and Chinese ones as whole sentences, since Chinese puts no spaces
between words. So each text is read as its own language (``language_of``): its stop words
come from a maintained list (stopwordsiso; scikit-learn's for English, see ``stop_words``),
never typed here, Chinese is cut into words by jieba, and what is left (``content_words``)
is what synthesis.themes weighs and clusters, each language's positions apart.

No Django here, like the synthesis package.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Iterable

import stopwordsiso
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

#: Languages the script settles: Arabic letters, Han characters, Cyrillic.
BY_SCRIPT = {"arabic": "ar", "han": "zh", "cyrillic": "ru"}
#: Latin-script languages the site speaks: the author's page language is taken for these.
SITE_LATIN = ("en", "fr", "es")
#: Latin-script languages a text is told apart by its stop words (ties: the earlier one).
LATIN = (*SITE_LATIN, "de", "it", "pt", "nl")
#: A Latin text is read in the author's page language unless another language's stop words
#: outnumber that language's by this many (a German position posted from the English page).
OVERRIDE_MARGIN = 2

_SCRIPTS = {
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]"),
    "cyrillic": re.compile(r"[\u0400-\u052f]"),
    "latin": re.compile(r"[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]"),
}
#: Letters and digits, in any script (Python's \w is Unicode-aware; no underscores).
_WORD = re.compile(r"[^\W_]+")
#: Arabic short vowels and other marks (harakat) and the tatweel: optional in writing, and
#: \w does not match them, so left in they would cut words in two.
_ARABIC_MARKS = re.compile(r"[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
#: "and the", "with the", "like the", "so the" glued to a word: "والمناخ" is "المناخ".
_ARABIC_CLITIC_AL = re.compile(r"^[وبكف]ال(?=..)")
#: "for the": "للمناخ" (ل + المناخ, whose alif drops) is "المناخ".
_ARABIC_LIL = re.compile(r"^لل(?=..)")


def language_of(text: str, given: str = "") -> str:
    """The language to read a text as, an ISO 639-1 code.

    The script decides for Arabic, Han (Chinese) and Cyrillic (Russian): whichever of those
    or Latin has the most letters. A Latin text is read in ``given`` (the author's page
    language) when that is English, French or Spanish, unless another Latin language's stop
    words outnumber its own by OVERRIDE_MARGIN. Otherwise (no page language, or Arabic,
    Chinese or Russian) the Latin language whose stop words it uses most, ties to the
    earlier in LATIN: English when it has none.
    """
    counts = {script: len(pattern.findall(text)) for script, pattern in _SCRIPTS.items()}
    script = max(counts, key=counts.__getitem__)
    if counts[script] and script in BY_SCRIPT:
        return BY_SCRIPT[script]
    given = base_language(given)
    tokens = _WORD.findall(_normalised(text))
    hits = {lang: sum(token in stop_words(lang) for token in tokens) for lang in LATIN}
    voted = max(LATIN, key=hits.__getitem__)
    if given in SITE_LATIN and hits[voted] < hits[given] + OVERRIDE_MARGIN:
        return given
    return voted


def base_language(code: str) -> str:
    """The code stopwordsiso knows: "zh-hans" -> "zh", "en-GB" -> "en"."""
    return code.partition("-")[0].strip().lower()


def content_words(text: str, language: str) -> list[str]:
    """The text's words (lower case) without its language's stop words, in text order.

    Words of one character are dropped: in Latin and Cyrillic scripts they are initials and
    elisions (l', d'), and in Chinese single characters are mostly function words, so only
    jieba's words of two characters or more are kept.
    """
    text = _normalised(text)
    stop = stop_words(language)
    if language == "zh":
        pieces: Iterable[str] = _segmenter().lcut(text)
    else:
        pieces = _WORD.findall(text)
    words = []
    for piece in pieces:
        if not _WORD.fullmatch(piece) or len(piece) < 2:
            continue
        word = _arabic_article(piece) if language == "ar" else piece
        if word not in stop:
            words.append(word)
    return words


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """The language's stop words, normalised like the texts; empty if there is no list.

    stopwordsiso's, except English's: scikit-learn's, which the themes always used.
    stopwordsiso's English list (1,298 words, gathered from web-search lists) also drops
    policy words, "state", "member", "research", "free", "goods", "world", "work"; on a
    handful of English positions "Member states must fund research" lost all but "fund"
    and was merged with an unrelated position.
    """
    if language == "en":
        return frozenset(ENGLISH_STOP_WORDS)
    if not language or not stopwordsiso.has_lang(language):
        return frozenset()
    return frozenset(_normalised(word) for word in stopwordsiso.stopwords(language))


def _normalised(text: str) -> str:
    # NFKC folds Arabic presentation forms and full-width Latin to the ordinary letters.
    return _ARABIC_MARKS.sub("", unicodedata.normalize("NFKC", text)).lower()


def _arabic_article(word: str) -> str:
    return _ARABIC_LIL.sub("ال", _ARABIC_CLITIC_AL.sub("ال", word))


_segmenter_lock = threading.Lock()
_segmenters: list = []  # the one segmenter, once built


def _segmenter():
    """jieba's segmenter, built once per process on the first Chinese text.

    Building it costs 1-3 s (2-core development machine) and about 60 MB: jieba turns its
    350,000-word dictionary into a prefix table. jieba's own initialize() would also write
    that table to a cache file in the temp dir, but loading the file took as long as building
    it (marshal of half a million strings), so it is built in memory and nothing is written.
    Sessions without Chinese never pay it; synthesis.themes remembers its results, so this
    runs once per worker process, not once per request. The lock keeps two threads from
    building two.
    """
    with _segmenter_lock:
        if not _segmenters:
            _segmenters.append(_built_segmenter())
        return _segmenters[0]


def _built_segmenter():
    with warnings.catch_warnings():
        # jieba 0.42 reads its dictionary through pkg_resources, which newer setuptools
        # warns is deprecated; it falls back to a plain open() where that is gone.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        import jieba

    jieba.setLogLevel(logging.WARNING)  # not "Building prefix dict..." on stderr
    tokenizer = jieba.Tokenizer()
    with tokenizer.get_dict_file() as dictionary:
        tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(dictionary)
    tokenizer.initialized = True
    return tokenizer
