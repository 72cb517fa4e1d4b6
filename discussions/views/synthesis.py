"""The synthesis views: from votes to ranked recommendations, per prompt or for the session.

The arrays come from matrix.session_matrix (a fixed number of queries), the numbers from the
pure synthesis module; synthesis_rows shapes them for the template and draws the opinion map,
and synthesis_cache shares the results part among the facilitators watching. These views
add what is each request's own (its CSRF token, the participants to check in this
facilitator's groups, the recommendations read fresh) and take the curation and plenary
actions.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from discussions import services, voting_bursts
from discussions.models import ModerationEntry, Participant, Prompt, Session
from discussions.views import synthesis_cache
from discussions.views.access import facilitated_session, login_first
from discussions.views.actions import answer, attempt, chosen
from discussions.views.params import as_id, as_ids, id_or_zero
from discussions.views.synthesis_cache import CSRF_PLACEHOLDER, REFETCH_PLACEHOLDER

# Longer than a synthesis takes under load (docs/capacity.md, "The synthesis computed once,
# rendered once").
REFETCH_STALE = "1s"


def synthesis_context(request: HttpRequest, session: Session, prompt: Prompt | None) -> dict:
    """Everything the synthesis page shows: the results (shared, a moment old at most: see
    synthesis_cache.shared_results), and what facilitators change by hand, read fresh."""
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
    the voters, wherever they voted), and shared like the results
    (synthesis_cache.session_bursts). What each facilitator is shown is worked out here,
    for each request: a facilitator of some groups is shown the participants of those only,
    and someone removed since the flags were found is left out at once (with fewer than
    MIN_CLUSTER left, the flag goes).
    Outside the results part, so the results' refreshes leave it alone: the notice is
    brought up to date when the page is opened."""
    bursts = synthesis_cache.session_bursts(session)
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
    shared = synthesis_cache.shared_results(session, prompt)
    again = "" if shared.current else f", load delay:{REFETCH_STALE}"
    html = shared.result.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html.replace(REFETCH_PLACEHOLDER, again))


def _session_and_prompt(request: HttpRequest, session_id: int) -> tuple[Session, Prompt | None]:
    session = facilitated_session(request, session_id)
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
    session = facilitated_session(request, session_id)
    user, post = request.user, request.POST
    recommendation_id = id_or_zero(post.get("recommendation"))
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
    change, done = chosen(actions, action)
    error, notice = attempt(change, done, forbidden="")  # the refusal's own reason
    url = reverse("facilitator:synthesis", args=[session.pk])
    prompt = post.get("prompt", "")
    back = f"{url}?prompt={prompt}#curation" if as_id(prompt) is not None else f"{url}#curation"
    return answer(request, error, notice, back=back)
