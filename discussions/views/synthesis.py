"""The synthesis view: from votes to ranked recommendations, per prompt or for the session.

The arrays come from matrix.session_matrix (a fixed number of queries), the numbers from the
pure synthesis module; this view only shapes them for the template, draws the opinion map,
and takes the curation and plenary actions.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import timedelta
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from discussions import matrix, offload, services, synthesis, voting_bursts
from discussions.models import ModerationEntry, Participant, Prompt, Session
from discussions.queries import Tally
from discussions.views.facilitator import login_first
from discussions.views.params import as_id, as_ids

log = logging.getLogger(__name__)

# Opinion groups differ by colour, by marker shape and by letter: colour is never the only cue.
PALETTE = ["#0b5cad", "#b42318", "#1a7f37", "#9a6700", "#6e40c9"]
SHAPES = ["circle", "square", "triangle", "diamond", "ring"]
# The shapes as the legend names them: "Group A (circles)".
SHAPE_NAMES = {
    "circle": pgettext_lazy("opinion map markers", "circles"),
    "square": pgettext_lazy("opinion map markers", "squares"),
    "triangle": pgettext_lazy("opinion map markers", "triangles"),
    "diamond": pgettext_lazy("opinion map markers", "diamonds"),
    "ring": pgettext_lazy("opinion map markers", "rings"),
}
UNCLUSTERED_COLOUR = "#8c959f"  # participants with too few votes to place in a group
MAP_SIZE = 360
MAP_MARGIN = 16
THEME_SHOWN = 5  # positions listed under each theme; the table has them all


def _rows(m: matrix.SessionMatrix, result: synthesis.Synthesis) -> list[dict]:
    """Each position as the results show it: every value the templates print, worked out
    here once, in plain dicts. A conference's results list hundreds of positions, each
    shown with some forty values: looked up through objects in the template (each lookup a
    failed `[key]` first, then the attribute) and truncated there, rendering them took 55
    ms for 2,000 participants; worked out here, 8 ms, and rendering 24 (docs/capacity.md).
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
        # and listing all 100 groups of a conference for each made the page 2.3 MB.
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
    markers took 47 of the 135 ms the results took to render (docs/capacity.md). Safe
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


def synthesis_context(request: HttpRequest, session: Session, prompt: Prompt | None) -> dict:
    """Everything the synthesis page shows: the results (shared, a moment old at most: see
    _shared_results), and what facilitators change by hand, read fresh."""
    leads = session.led_by(request.user)
    return {
        "session": session,
        "prompt": prompt,
        "prompts": session.ordered_prompts(),
        "recommendations": session.recommendations.select_related(
            "prompt__question", "prompt__section"
        ).prefetch_related("sources__group"),
        "removed_recommendations": session.moderation_log.filter(
            action="delete_recommendation",
            undone_at__isnull=True,
            created_at__gte=timezone.now() - ModerationEntry.UNDO_FOR,
        ),
        "results_html": results_html(request, session, prompt),
        "vote_bursts": vote_bursts(request, session, leads=leads),
        # Recommendations and the plenary round concern every group (services.curation).
        "leads": leads,
    }


def vote_bursts(request: HttpRequest, session: Session, *, leads: bool) -> list[dict]:
    """Participants to check (discussions.voting_bursts), those of them in the groups this
    facilitator facilitates, named, with the page where they are removed.

    The flags are found across the session, whatever the prompt shown (the pattern is in
    the voters, wherever they voted), and shared like the results (_session_bursts). What
    each facilitator is shown is worked out here, for each request: a facilitator of some
    groups is shown the participants of those only, and someone removed since the flags
    were found is left out at once (with fewer than MIN_CLUSTER left, the flag goes).
    Outside the results part, so the results' refreshes leave it alone: the notice is
    brought up to date when the page is opened."""
    bursts = _session_bursts(session)
    if not bursts:
        return []
    mine = (
        None
        if leads
        else set(session.groups_facilitated_by(request.user).values_list("pk", flat=True))
    )
    people = Participant.objects.filter(
        pk__in=[pk for burst in bursts for pk in burst.participant_ids], removed_at__isnull=True
    ).select_related("group")
    by_pk = {person.pk: person for person in people}
    shown = []
    for burst in bursts:
        members = [by_pk[pk] for pk in burst.participant_ids if pk in by_pk]
        theirs = [person for person in members if mine is None or person.group_id in mine]
        if len(members) < voting_bursts.MIN_CLUSTER or not theirs:
            continue
        groups: dict[int, dict] = {}
        for person in theirs:
            group = person.group
            entry = groups.setdefault(
                group.pk, {"group": group, "url": group.get_facilitator_url(), "names": []}
            )
            entry["names"].append(person.display_name)
        shown.append(
            {
                "size": len(members),
                "elsewhere": len(members) - len(theirs),
                "positions": burst.positions,
                "joined_within": _duration(burst.joined_within),
                "voted_within": _duration(burst.voted_within),
                "groups": sorted(groups.values(), key=lambda entry: entry["group"].position),
            }
        )
    return shown


def _session_bursts(session: Session) -> list[voting_bursts.Burst]:
    """The session's flags, shared by its facilitators for SYNTHESIS_FRESH seconds, and
    found again in the background after that, as the results are (_SharedResults).

    Finding them reads every vote's choice: 0.14 s for a conference of 2,000 on a busy
    machine (docs/synthesis.md), for every opening of the page by each of a hundred
    facilitators if not shared. Shared safely: they hold participants' ids only, the same
    for everyone; names, groups and removals are read for each request (vote_bursts)."""
    fresh = settings.SYNTHESIS_FRESH
    if fresh <= 0:
        return voting_bursts.session_bursts(session)
    return _shared_bursts.get(
        (session.pk,), None, fresh, lambda: voting_bursts.session_bursts(session)
    ).result


def _duration(span: timedelta) -> str:
    """A span as the notice says it, rounded up: "4 seconds", "2 minutes"."""
    seconds = max(1, math.ceil(span.total_seconds()))
    if seconds < 60:
        # Translators: a span of time, in "joined within 4 seconds of each other" and "all
        # within 4 seconds".
        return ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    # Translators: a span of time, in "joined within 2 minutes of each other" and "all
    # within 2 minutes".
    return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}


def results_html(request: HttpRequest, session: Session, prompt: Prompt | None) -> str:
    """The results part of the page, rendered once for every facilitator watching it; only
    the form's CSRF token is the caller's own. Results being computed again ask the page to
    fetch them again in a moment (htmx's "load delay" trigger), so the last change before
    a quiet spell still shows."""
    shared = _shared_results(session, prompt)
    again = "" if shared.current else f", load delay:{REFETCH_STALE}"
    html = shared.result.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html.replace(REFETCH_PLACEHOLDER, again))


def _placeholder(purpose: str) -> str:
    """Stands for the caller's CSRF token, or for the trigger that fetches results again,
    in the shared results until they are sent. Derived from the secret key: the same in
    every server process (they share results through the cache), and unguessable, so that
    no text a participant writes (escaped into the page) can be taken for one."""
    return f"{purpose}-{salted_hmac('synthesis results placeholder', purpose).hexdigest()[:32]}"


CSRF_PLACEHOLDER = _placeholder("csrf")
REFETCH_PLACEHOLDER = _placeholder("again")
REFETCH_STALE = "1s"  # a synthesis under load takes about 0.7 s (docs/capacity.md)


def _render_results(session: Session, prompt: Prompt | None, language: str) -> str:
    """The numbers, and the page's part that shows them in `language`, built by
    discussions.offload (in a process of its own under a server: pure Python that would
    hold the sockets' lock)."""
    return offload.run(
        render_results,
        session.pk,
        prompt.pk if prompt else None,
        CSRF_PLACEHOLDER,
        REFETCH_PLACEHOLDER,
        language,
    )


def render_results(
    session_id: int,
    prompt_id: int | None,
    csrf_placeholder: str,
    refetch_placeholder: str,
    language: str | None = None,
) -> str:
    """The results part for a session or a prompt, with the placeholders given in place of
    the caller's CSRF token and refetch trigger, in `language` (the caller's: the part is
    rendered in another thread, or another process). For a conference of 2,000 this is
    650 kB of HTML, which took three times as long to render as the numbers to compute
    (0.15 against 0.05 s, docs/capacity.md): rendered once, it is shared too."""
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


def _theme(theme: synthesis.Theme, rows: list[dict]) -> dict:
    """A theme as the page lists it: its most agreed-across-groups positions, and how many
    more. Every position is in the table below; listed here too, a conference's hundreds
    of positions doubled the page (docs/capacity.md)."""
    ranked = sorted((rows[j] for j in theme.positions), key=_by_consensus)
    return {
        "name": theme.name,
        "size": len(ranked),
        "rows": ranked[:THEME_SHOWN],
        "more": max(0, len(ranked) - THEME_SHOWN),
    }


def _shared_results(session: Session, prompt: Prompt | None) -> Shared:
    """The results part of the page, shared by all the facilitators of a session watching
    it, and computed again in the background once SYNTHESIS_FRESH seconds old.

    Every facilitator's page re-fetches its results whenever the session changes (at most
    every 5 s); a synthesis of 2,000 participants takes a second or more under load, so a
    hundred facilitators computing each their own would take the server, and even one made
    every request wait for it. So a request is answered with the results at hand, at most
    SYNTHESIS_FRESH old plus the time the next computation takes, and the page says when
    they are from. Anything that changes the list of positions (a new one, one hidden or
    merged, one sent to the plenary or taken out of it) shows at once, as it changes the
    key: those requests wait for their computation. Exports compute their own, always exact.
    """
    fresh = settings.SYNTHESIS_FRESH
    # Shared by the facilitators reading the same language: the page's words are in it.
    language = translation.get_language() or settings.LANGUAGE_CODE
    if fresh <= 0:
        return Shared(_render_results(session, prompt, language), current=True)
    listed = tuple(
        matrix.visible_positions(session, prompt.pk if prompt else None)
        .order_by("pk")
        .values_list("pk", "plenary", "pinned")
    )
    return _shared.get(
        (session.pk, prompt.pk if prompt else None, language),
        listed,
        fresh,
        lambda: _render_results(session, prompt, language),
    )


class Shared(NamedTuple):
    result: Any
    current: bool  # False: older than fresh, and being computed again


class _SharedResults:
    """Results per subject, reused while their version is the same. Once older than
    `fresh`, the next request starts computing them again in a thread of their own and is
    answered with the ones at hand. A new version waits for its computation, and one
    thread computes a subject while the others wait for it (thread-safe).

    Shared between server processes too, through `store` (the cache: Redis in production):
    results another process computed less than `fresh` ago, of the same version, are taken
    instead of computed. Without it each process computed its own every `fresh` seconds
    while anyone watched: two processes, twice the work, and an export waiting behind it in
    the offload process (docs/capacity.md). A store that fails is passed over."""

    def __init__(self, store=cache, namespace: str = "") -> None:
        self.store = store
        self.namespace = namespace  # only processes of one namespace share results
        self._lock = threading.Lock()
        self._kept: dict = {}  # subject -> (version, computation started at, result)
        self._computing: dict = {}  # subject -> lock held while computing it
        self._refreshing: set = set()  # subjects being computed again in the background

    def get(self, subject, version, fresh: float, compute) -> Shared:
        with self._lock:
            kept = self._kept.get(subject)
            if kept and kept[0] == version:
                if time.monotonic() - kept[1] < fresh:
                    return Shared(kept[2], current=True)
                if subject not in self._refreshing:
                    self._refreshing.add(subject)
                    threading.Thread(
                        target=self._refresh,
                        args=(subject, version, fresh, compute),
                        name="synthesis",
                        daemon=True,
                    ).start()
                return Shared(kept[2], current=False)
            computing = self._computing.setdefault(subject, threading.Lock())
        with computing:
            with self._lock:
                kept = self._kept.get(subject)  # another thread may just have computed it
            if kept and kept[0] == version:
                return Shared(kept[2], current=True)
            return Shared(self._compute(subject, version, fresh, compute), current=True)

    def _compute(self, subject, version, fresh: float, compute):
        # Their age counts from the start: a vote cast while they were being computed may
        # be missing from them (static/js/console.js relies on this).
        taken = self._from_other_processes(subject, version, fresh)
        if taken is not None:
            started, result = taken
        else:
            started, started_wall = time.monotonic(), time.time()
            result = compute()
            self._to_other_processes(subject, (version, started_wall, result), fresh)
        with self._lock:
            now = time.monotonic()
            # Subjects nobody asked for during ten freshness periods are let go.
            self._kept = {
                key: kept for key, kept in self._kept.items() if now - kept[1] < 10 * fresh
            }
            self._kept[subject] = (version, started, result)
        return result

    def _from_other_processes(self, subject, version, fresh: float) -> tuple | None:
        """(started, result) of results of this version less than `fresh` old, if another
        process (or this one) left them in the store; their start on this process's clock."""
        try:
            stored = self.store.get(self._store_key(subject))
        except Exception as error:
            log.warning("Could not read the shared synthesis (%s); computing it here", error)
            return None
        if stored is None or stored[0] != version:
            return None
        age = time.time() - stored[1]
        return (time.monotonic() - age, stored[2]) if 0 <= age < fresh else None

    def _to_other_processes(self, subject, stored: tuple, fresh: float) -> None:
        try:
            self.store.set(self._store_key(subject), stored, timeout=10 * fresh)
        except Exception as error:
            log.warning("Could not share the synthesis with the other processes (%s)", error)

    def _refresh(self, subject, version, fresh: float, compute) -> None:
        try:
            self._compute(subject, version, fresh, compute)
        except Exception:
            log.exception("Could not compute the synthesis again; the last one stays")
        finally:
            with self._lock:
                self._refreshing.discard(subject)
            connections.close_all()  # this thread's own: back to the pool

    def _store_key(self, subject) -> str:
        return ":".join(["synthesis-results", self.namespace, *map(str, subject)])

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()


# Processes with another secret key (in development, each its own) write other placeholders
# into their results: they must not take each other's.
_shared = _SharedResults(namespace=_placeholder("shared"))
# Ids and numbers only (no placeholders): every process may share them.
_shared_bursts = _SharedResults(namespace="vote-bursts")


def forget_shared() -> None:
    """Drop this process's shared results and flags (tests start each from nothing)."""
    _shared.clear()
    _shared_bursts.clear()


def _session_and_prompt(request: HttpRequest, session_id: int) -> tuple[Session, Prompt | None]:
    session = get_object_or_404(Session.objects.select_related("paper"), pk=session_id)
    if not session.facilitated_by(request.user):
        raise PermissionDenied(_("You do not facilitate this session."))
    prompt_id = request.GET.get("prompt", "")
    pid = as_id(prompt_id)
    prompt = None if pid is None else get_object_or_404(session.prompts, pk=pid)
    return session, prompt


@require_GET
@login_first
def synthesis_page(request: HttpRequest, session_id: int) -> HttpResponse:
    session, prompt = _session_and_prompt(request, session_id)
    context = synthesis_context(request, session, prompt)
    return render(request, "facilitator/synthesis.html", context)


@require_GET
@login_first
def synthesis_results(request: HttpRequest, session_id: int) -> HttpResponse:
    session, prompt = _session_and_prompt(request, session_id)
    return HttpResponse(results_html(request, session, prompt))


@require_POST
@login_first
def curate(request: HttpRequest, session_id: int) -> HttpResponse:
    """Promote, reword, reorder or drop recommendations; send positions to the plenary."""
    session = get_object_or_404(Session, pk=session_id)
    if not session.facilitated_by(request.user):
        raise PermissionDenied(_("You do not facilitate this session."))
    user, post = request.user, request.POST
    target = as_ids([post.get("recommendation", "")])
    recommendation_id = target[0] if target else 0
    actions = {
        "promote": (
            lambda: services.promote(
                actor=user, session=session, position_ids=as_ids(post.getlist("positions"))
            ),
            _("Recommendation added."),
        ),
        "edit": (
            lambda: services.edit_recommendation(
                actor=user,
                recommendation_id=recommendation_id,
                text=post.get("text", ""),
                dissent_note=post.get("dissent_note", ""),
            ),
            _("Recommendation saved."),
        ),
        "up": (
            lambda: services.move_recommendation(
                actor=user, recommendation_id=recommendation_id, offset=-1
            ),
            _("Moved up."),
        ),
        "down": (
            lambda: services.move_recommendation(
                actor=user, recommendation_id=recommendation_id, offset=1
            ),
            _("Moved down."),
        ),
        "delete": (
            lambda: services.delete_recommendation(actor=user, recommendation_id=recommendation_id),
            _("Recommendation removed."),
        ),
        "plenary": (
            lambda: services.take_into_plenary(
                actor=user, session=session, position_ids=as_ids(post.getlist("positions"))
            ),
            _("Sent to every group's plenary round."),
        ),
        "plenary_top": (
            lambda: services.take_top_into_plenary(actor=user, session=session),
            _("Each group's top positions are in the plenary round."),
        ),
        "leave_plenary": (
            lambda: services.leave_plenary(
                actor=user,
                session=session,
                position_id=(as_ids(post.getlist("positions")) or [0])[0],
            ),
            _("Taken out of the plenary round."),
        ),
    }
    action, _colon, one = post.get("action", "").partition(":")
    if as_id(one) is not None:
        # A button beside one position ("promote:12") acts on that position alone.
        post = post.copy()
        post.setlist("positions", [one])
    change, done = actions.get(action, (None, ""))
    try:
        if change is None:
            raise services.ServiceError(_("That action does not exist; reload the page."))
        change()
    except services.NotAllowed as refusal:
        raise PermissionDenied(str(refusal)) from None
    except services.ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    url = reverse("facilitator:synthesis", args=[session.pk])
    prompt = post.get("prompt", "")
    if as_id(prompt) is not None:
        return redirect(f"{url}?prompt={prompt}#curation")
    return redirect(f"{url}#curation")
