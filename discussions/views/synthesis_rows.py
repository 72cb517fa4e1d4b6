"""The results part of the synthesis page: a session's votes synthesized (starting from the
opinion groups of the last computation, so that they keep their numbers and colours) and
shaped into what the template prints (rows of positions, the opinion map, the opinion
groups, the themes), then rendered. The views share what this renders through
discussions.views.synthesis_cache.
"""

from __future__ import annotations

import logging

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import pgettext_lazy

from discussions import matrix, palette, synthesis
from discussions.models import Prompt, Session
from discussions.queries import Tally

log = logging.getLogger(__name__)

# Opinion groups differ by colour, by marker shape and by letter: colour is never the only cue.
PALETTE = palette.OPINION_GROUPS
SHAPES = ["circle", "square", "triangle", "diamond", "ring"]
# The shapes as the legend names them: "Group A (circles)".
SHAPE_NAMES = {
    "circle": pgettext_lazy("opinion map markers", "circles"),
    "square": pgettext_lazy("opinion map markers", "squares"),
    "triangle": pgettext_lazy("opinion map markers", "triangles"),
    "diamond": pgettext_lazy("opinion map markers", "diamonds"),
    "ring": pgettext_lazy("opinion map markers", "rings"),
}
UNCLUSTERED_COLOUR = palette.UNGROUPED
MAP_SIZE = 360
MAP_MARGIN = 16
THEME_SHOWN = 5  # positions listed under each theme; the table has them all


def _rows(m: matrix.SessionMatrix, result: synthesis.Synthesis) -> list[dict]:
    """Each position as the results show it: every value the templates print, worked out
    here once, in plain dicts. A conference's results list hundreds of positions, each
    shown with some forty values: looked up through objects in the template (each lookup a
    failed `[key]` first, then the attribute) and truncated there, rendering them took much
    longer than working them out here and rendering the result (docs/capacity.md, "The
    synthesis computed once, rendered once").
    Prompts and groups are worked out once for all their positions."""
    stats, groups = result.positions, result.groups
    prompts: dict[int, dict] = {}
    group_cells = [{"name": g.name, "short_name": Truncator(g.name).chars(10)} for g in m.groups]
    rows = []
    for j, position in enumerate(m.positions):
        prompt = prompts.get(position.prompt_id)
        if prompt is None:
            prompt = prompts[position.prompt_id] = _prompt_shown(position.prompt)
        # Only the groups that voted on it: a breakout's position is voted in its own group,
        # and listing all of a conference's groups for each made the page megabytes
        # (docs/capacity.md, "The synthesis computed once, rendered once").
        by_group = [
            group_cells[g]
            | {
                "votes": int(groups.votes[g, j]),
                "percent": None if np.isnan(groups.rate[g, j]) else round(100 * groups.rate[g, j]),
            }
            for g in np.flatnonzero(groups.votes[:, j])
        ]
        tally = Tally(int(stats.agree[j]), int(stats.disagree[j]), int(stats.passed[j]))
        support = _number(stats.support[j])
        consensus = float(result.consensus[j])
        text = position.text
        rows.append(
            {
                "pk": position.pk,
                "text": text,
                "text_60": Truncator(text).chars(60),
                "text_40": Truncator(text).chars(40),
                "group_name": position.group.name,
                "plenary": position.plenary,
                "prompt": prompt,
                "agree": tally.agree,
                "disagree": tally.disagree,
                "passed": tally.passed,
                "votes": tally.votes,
                "agree_bar": tally.agree_bar,
                "disagree_bar": tally.disagree_bar,
                "pass_bar": tally.pass_bar,
                # Rounded as the template's widthratio and floatformat rounded them.
                "support_percent": None if support is None else round(support * 100),
                "participation_percent": round(float(stats.participation[j]) * 100),
                "consensus": consensus,
                # A share, as people read one: the product of every group's agreement.
                "consensus_shown": f"{round(consensus * 100)}%",
                "by_group": by_group,
            }
        )
    return rows


def _prompt_shown(prompt: Prompt) -> dict:
    """What a row shows of the prompt its position answers."""
    section = prompt.context_section
    return {
        "heading_60": Truncator(prompt.heading).chars(60),
        "heading_50": Truncator(prompt.heading).chars(50),
        "is_question": prompt.kind == Prompt.Kind.QUESTION,
        "section": section is not None,
        "section_title": section.title if section is not None else "",
    }


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _by_consensus(row: dict) -> tuple:
    return (-row["consensus"], row["pk"])


def _opinion_map(m: matrix.SessionMatrix, result: synthesis.Synthesis) -> dict:
    """Participants as points in the plane of the two main directions of disagreement, in
    layers of one colour and marker shape each: the unclustered (grey dots) first, then
    each opinion group."""
    coords, labels = result.opinion.coords, result.opinion.labels
    layers: dict[int, list[tuple[float, float]]] = {}
    if len(coords):
        span = np.abs(coords).max() or 1.0
        scale = (MAP_SIZE / 2 - MAP_MARGIN) / span
        for (x, y), label in zip(coords.tolist(), labels.tolist(), strict=True):
            point = (round(MAP_SIZE / 2 + x * scale, 1), round(MAP_SIZE / 2 - y * scale, 1))
            layers.setdefault(label, []).append(point)
    return {
        "size": MAP_SIZE,
        "centre": MAP_SIZE / 2,
        "layers": [_map_layer(label, layers[label]) for label in sorted(layers)],
    }


def _map_layer(label: int, points: list[tuple[float, float]]) -> dict:
    """One colour's markers, written here rather than in the template: 2,000 participants'
    markers were a third of the results' rendering (docs/capacity.md, "The synthesis
    computed once, rendered once"). Safe
    without escaping: each point is two numbers formatted here, the shape one of SHAPES."""
    shape = SHAPES[label % len(SHAPES)] if label >= 0 else "dot"
    markers = "".join(f'<use href="#m-{shape}" x="{x:g}" y="{y:g}"></use>' for x, y in points)
    return {
        "colour": PALETTE[label % len(PALETTE)] if label >= 0 else UNCLUSTERED_COLOUR,
        "markers": mark_safe(markers),
    }


def _opinion_groups(rows: list[dict], result: synthesis.Synthesis) -> list[dict]:
    opinion = result.opinion
    return [
        {
            "index": g,
            "letter": chr(ord("A") + g),
            "colour": PALETTE[g % len(PALETTE)],
            "shape": SHAPES[g % len(SHAPES)],
            "shape_name": SHAPE_NAMES[SHAPES[g % len(SHAPES)]],
            "size": int(opinion.sizes[g]),
            "representative": [rows[j] for j in opinion.representative[g]],
        }
        for g in range(opinion.k)
    ]


def _theme(theme: synthesis.Theme, rows: list[dict]) -> dict:
    """A theme as the page lists it: its most agreed-across-groups positions, and how many
    more. Every position is in the table below; listed here too, a conference's hundreds
    of positions doubled the page (docs/capacity.md, "The synthesis computed once, rendered
    once")."""
    ranked = sorted((rows[j] for j in theme.positions), key=_by_consensus)
    return {
        "name": theme.name,
        "size": len(ranked),
        "rows": ranked[:THEME_SHOWN],
        "more": max(0, len(ranked) - THEME_SHOWN),
    }


def render_results(
    session_id: int,
    prompt_id: int | None,
    csrf_placeholder: str,
    refetch_placeholder: str,
    language: str | None = None,
) -> str:
    """The results part for a session or a prompt, with the placeholders given in place of
    the caller's CSRF token and refetch trigger, in `language` (the caller's: the part is
    rendered in another thread, or another process). For a large conference this is
    hundreds of kB of HTML, longer to render than the numbers to compute (docs/capacity.md,
    "The synthesis computed once, rendered once"): rendered once, it is shared too."""
    with translation.override(language or settings.LANGUAGE_CODE):
        session = Session.objects.get(pk=session_id)
        prompt = None if prompt_id is None else Prompt.objects.get(pk=prompt_id)
        context = _numbers(session, prompt) | {
            "session": session,
            "prompt": prompt,
            "csrf_token": csrf_placeholder,
            "refetch_trigger": refetch_placeholder,
        }
        return render_to_string("facilitator/synthesis.html#results", context)


def _numbers(session: Session, prompt: Prompt | None) -> dict:
    m = matrix.session_matrix(session, prompt.pk if prompt else None)
    key = _last_groups_key(session, prompt)
    last = _last_groups(key)
    result = synthesis.synthesize(
        m.V,
        m.breakout,
        max(m.n_groups, 1),
        m.texts,
        languages=m.languages,
        seed=0,
        previous=np.array([last.get(int(pk), -1) for pk in m.participant_ids], dtype=np.int64),
    )
    _remember_groups(key, m.participant_ids, result.opinion.labels)
    rows = _rows(m, result)
    return {
        "groups": m.groups,
        "rows": sorted(rows, key=_by_consensus),
        "broad": [rows[j] for j in result.broad_consensus],
        "divisive": [rows[j] for j in result.most_divisive],
        "backed": [{"row": rows[j], "group": m.groups[g]} for j, g in result.backed_by_one_group],
        "opinion_groups": _opinion_groups(rows, result),
        "opinion_consensus": [rows[j] for j in result.opinion.consensus],
        "unclustered": int((result.opinion.labels < 0).sum()),
        "map": _opinion_map(m, result),
        "themes": [_theme(theme, rows) for theme in result.themes],
        "participants": len(m.participant_ids),
        "votes": int(np.count_nonzero(~np.isnan(m.V))),
        "computed_at": timezone.now(),
    }


# How long a session's opinion groups are remembered between two computations: a refresh
# keeps each group's number (and colour) and their count while they still fit the votes.
LAST_GROUPS_SECONDS = 6 * 3600


def _last_groups_key(session: Session, prompt: Prompt | None) -> str:
    return f"opinion-groups:{session.pk}:{prompt.pk if prompt else 'all'}"


def _last_groups(key: str) -> dict[int, int]:
    """{participant: opinion group} at the last computation, in any process (the cache is
    Redis in production); empty when forgotten or unreadable."""
    try:
        return cache.get(key) or {}
    except Exception as error:
        log.warning("Could not read the last opinion groups (%s)", error)
        return {}


def _remember_groups(key: str, participant_ids: np.ndarray, labels: np.ndarray) -> None:
    groups = dict(zip(participant_ids.tolist(), labels.tolist(), strict=True))
    try:
        cache.set(key, groups, timeout=LAST_GROUPS_SECONDS)
    except Exception as error:
        log.warning("Could not remember the opinion groups (%s)", error)
