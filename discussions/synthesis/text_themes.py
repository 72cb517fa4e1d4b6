"""Themes: the positions clustered by their text, each language apart, and named by their
key terms (TF-IDF, LSA, k-means with k by silhouette). How each text is read, its language
and content words, is discussions.themes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import normalize

from discussions.synthesis.opinion import _canonical_labels, _silhouette_sample
from discussions.synthesis.votes import _one_thread, _rank
from discussions.themes import content_words, language_of

#: Dimensions of the latent semantic space the texts are clustered in.
LSA_DIMENSIONS = 50


# --------------------------------------------------------------------------------------------
# Themes: positions clustered by their text.


@dataclass(frozen=True)
class Theme:
    """A cluster of positions of one language by wording, named by its key terms."""

    #: 2-3 terms with the highest mean TF-IDF in the theme (fewer if the texts have fewer);
    #: empty for the theme that gathers texts with no content words.
    terms: tuple[str, ...]
    #: Position indices, ascending.
    positions: tuple[int, ...]

    @property
    def name(self) -> str:
        return ", ".join(self.terms)


def themes(
    texts: list[str],
    *,
    languages: list[str] | None = None,
    seed: int = 0,
    max_themes: int = 8,
) -> list[Theme]:
    """Themes of these texts (see _themes), remembered: they change only when positions
    are added or edited, while votes (and with them every synthesis request) stream in.
    Half the synthesis's time at 200 participants was this clustering, redone per request.

    ``languages`` gives each text's author's page language ("fr", "zh-hans"; "" unknown),
    which the reading of that text follows where its script does not decide
    (discussions.themes.language_of). Without it every text's language is detected. Each
    language gets up to ``max_themes`` themes.
    """
    given = _languages_for(texts, languages)
    return list(_remembered_themes(tuple(texts), given, seed, max_themes))


def _languages_for(texts: list[str], languages: list[str] | None) -> tuple[str, ...]:
    if languages is None:
        return ("",) * len(texts)
    if len(languages) != len(texts):
        raise ValueError(f"{len(languages)} languages for {len(texts)} texts")
    return tuple(languages)


@functools.lru_cache(maxsize=64)
def _remembered_themes(
    texts: tuple[str, ...], languages: tuple[str, ...], seed: int, max_themes: int
) -> tuple[Theme, ...]:
    return tuple(_themes(list(texts), list(languages), seed=seed, max_themes=max_themes))


def _themes(
    texts: list[str], languages: list[str], *, seed: int = 0, max_themes: int = 8
) -> list[Theme]:
    """Cluster positions by text, each language on its own: TF-IDF, LSA, k-means, k by
    silhouette.

    Each text is read as its own language (discussions.themes): its content words, without
    that language's stop words, Chinese cut into words. Without translation two languages
    share no words, so their TF-IDF rows are orthogonal and a joint clustering could only
    merge them arbitrarily: on six languages of three topics each, k-means over all of them
    made themes of several languages named in one, and left Russian unnamed. So each
    language's positions are clustered alone, exactly as a session in that language alone
    would be (an English session is clustered as before), up to ``max_themes`` themes per
    language.

    k runs from 2 to ``max_themes`` (and below the number of distinct texts); the best
    silhouette wins, ties to the smaller k. Fewer than 3 distinct texts make one theme.
    Texts with no content word (empty, stop words only) go to a last theme with no terms.
    Themes are ordered largest first, ties by their first position.
    """
    readings = [language_of(text, given) for text, given in zip(texts, languages, strict=True)]
    words = [content_words(text, read) for text, read in zip(texts, readings, strict=True)]
    found = []
    for language in sorted({read for read, w in zip(readings, words, strict=True) if w}):
        rows = [i for i, read in enumerate(readings) if read == language and words[i]]
        found += _themes_of([words[i] for i in rows], rows, seed=seed, max_themes=max_themes)
    found.sort(key=lambda t: (-len(t.positions), t.positions[0]))
    unworded = tuple(i for i, w in enumerate(words) if not w)
    if unworded:
        found.append(Theme((), unworded))
    return found


def _themes_of(
    words: list[list[str]], rows: list[int], *, seed: int, max_themes: int
) -> list[Theme]:
    """The themes of one language's texts (each with a content word); ``rows`` are their
    positions' indices."""
    vectorizer = TfidfVectorizer(analyzer=_already_split, sublinear_tf=True)
    X = vectorizer.fit_transform(words)
    vocabulary = vectorizer.get_feature_names_out()
    with _one_thread():
        labels, k = _cluster_texts(X, seed=seed, max_themes=max_themes)
    index = np.array(rows)
    return [
        Theme(
            _key_terms(X[labels == c], vocabulary),
            tuple(int(i) for i in index[labels == c]),
        )
        for c in range(k)
    ]


def _already_split(words: list[str]) -> list[str]:
    return words


def _cluster_texts(X: sparse.csr_matrix, *, seed: int, max_themes: int) -> tuple[np.ndarray, int]:
    """k-means on TF-IDF rows, through LSA when there are many (cosine geometry either way).

    With many short texts, k-means on raw TF-IDF splits on chance words (measured on 1,000
    synthetic texts of 8 topics: raw found 2 themes, one of 946; LSA found all 8), so from
    100 texts and terms up they are reduced to LSA_DIMENSIONS latent dimensions and L2
    normalised. A handful of texts is clustered raw: LSA to fewer dimensions than texts
    blurs them (6 texts on 2 topics came out as 3 themes).
    """
    m = X.shape[0]
    n_distinct = _distinct_rows(X)
    ks = range(2, min(max_themes, n_distinct, m - 1) + 1)
    if not ks:
        return np.zeros(m, dtype=np.int64), 1
    if m > 2 * LSA_DIMENSIONS and X.shape[1] > 2 * LSA_DIMENSIONS:
        Z = normalize(TruncatedSVD(n_components=LSA_DIMENSIONS, random_state=seed).fit_transform(X))
    else:
        Z = X
    best_labels, best_k, best_score = np.zeros(m, dtype=np.int64), 1, -np.inf
    sample = _silhouette_sample(m, seed)
    for k in ks:
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(Z)
        if not 2 <= len(np.unique(labels[sample])) <= len(sample) - 1:
            continue
        score = float(silhouette_score(Z[sample], labels[sample], metric="cosine"))
        if score > best_score:
            best_labels, best_k, best_score = labels, k, score
    return _canonical_labels(best_labels, best_k), best_k


def _distinct_rows(X: sparse.csr_matrix) -> int:
    """Number of distinct rows of a sparse matrix (identical texts count once)."""
    keys = {
        (X.indices[a:b].tobytes(), X.data[a:b].round(12).tobytes())
        for a, b in zip(X.indptr[:-1], X.indptr[1:], strict=True)
    }
    return len(keys)


def _key_terms(X: sparse.csr_matrix, vocabulary: np.ndarray, n_terms: int = 3) -> tuple[str, ...]:
    """The theme's terms with the highest mean TF-IDF, ties alphabetical (vocabulary order)."""
    mean = np.asarray(X.mean(axis=0)).ravel()
    order = _rank(mean)[:n_terms]
    return tuple(str(vocabulary[i]) for i in order if mean[i] > 0)
