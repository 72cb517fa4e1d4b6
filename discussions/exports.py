"""Exports of one session (or one of its groups): JSON, CSV, Markdown and PDF.

Everything is gathered once into a Report (through the same matrix and synthesis the live
view uses), then each renderer only formats it. Participants are pseudonymous by default:
"P001" is the session's first participant to join, the same in every export of the session.
Hidden positions and moderation reasons appear only in the organizer's full export.

The reports (Markdown, PDF) and the CSV files' headers speak the session's language, whoever
downloads them; the JSON document's keys and codes never change (docs/export-schema.json).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import unicodedata
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connections
from django.db.models import Prefetch
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy
from fontTools.ttLib import TTFont
from fpdf import FPDF
from psycopg.types.datetime import TimestamptzLoader

from discussions import matrix, palette, synthesis
from discussions.models import (
    BreakoutGroup,
    ModerationEntry,
    Participant,
    Position,
    Question,
    Session,
    Vote,
)
from discussions.templatetags.numbers import percent

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FORMATS = ("md", "pdf", "csv", "json")
CHOICE_NAMES = {1: "agree", -1: "disagree", 0: "pass"}


def _number(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 4)


def pseudonyms(session: Session, *, names: bool) -> dict[int, str]:
    """Participant id -> how exports call them: a stable pseudonym, or the display name."""
    people = Participant.objects.filter(session=session).order_by("joined_at", "pk")
    # Plain values, not 2,000 model instances: exports are downloaded during live sessions.
    return {
        pk: display_name if names else f"P{index:03d}"
        for index, (pk, display_name) in enumerate(
            people.values_list("pk", "display_name"), start=1
        )
    }


def _session_phase(groups: list[BreakoutGroup]) -> str:
    phases = {group.phase for group in groups}
    return phases.pop() if len(phases) == 1 else "mixed"


def build(
    session: Session,
    *,
    group: BreakoutGroup | None = None,
    names: bool = False,
    full: bool = False,
    votes: bool = True,
    progress=None,
) -> dict:
    """The whole export as one JSON-ready document (the JSON format is exactly this).

    `full` adds hidden, rejected and merged positions and the moderation log: the
    organizer's own record. `votes=False` leaves out the long list of votes, which the
    reports (Markdown, PDF) do not print. `progress(step, total)` is called as stages finish.
    """
    step = _stepper(progress, 5)
    m = matrix.session_matrix(session)
    result = synthesis.synthesize(
        m.V, m.breakout, max(m.n_groups, 1), m.texts, languages=m.languages, seed=0
    )
    step()
    who = pseudonyms(session, names=names)
    column = {position.pk: j for j, position in enumerate(m.positions)}
    in_scope = (lambda p: p.group_id == group.pk) if group else (lambda p: True)

    if full:
        # Each position's prompt, its question's section or its own: no query per position.
        positions = Position.objects.filter(group__session=session).select_related(
            "group", "prompt__question__section", "prompt__section"
        )
    else:
        positions = m.positions  # the visible ones, read with the same relations, by pk
    positions = [p for p in sorted(positions, key=lambda p: p.pk) if in_scope(p)]
    counts = _counts(positions, m, column)
    step()
    position_rows = [_position_row(p, counts, column, result, m, who) for p in positions]
    position_ids = {p.pk for p in positions}
    vote_rows = _votes(position_ids, who) if votes else []
    step()
    groups = [g for g in m.groups if group is None or g.pk == group.pk]
    document = {
        "schema_version": SCHEMA_VERSION,
        "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
        "scope": {"group": group.name if group else None, "names": names, "full": full},
        "session": {
            "name": session.name,
            "code": session.code,
            "created": session.created_at.isoformat(),
            "phase": _session_phase(m.groups),
        },
        "paper": _paper(session),
        "groups": _groups(groups, m, position_rows),
        "positions": position_rows,
        "votes": vote_rows,
        "recommendations": _recommendations(session, who),
        "synthesis": _synthesis(result, m, position_ids),
    }
    step()
    if full:
        document["moderation"] = _moderation(session, group, who)
    step()
    return document


def _stepper(progress, total: int):
    done = [0]

    def step() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    return step


def _counts(positions, m, column) -> dict[int, dict[str, int]]:
    """Agree, disagree and pass per position: read off the vote matrix for visible
    positions; only the others (in the full record) are counted in the database."""
    counts = {}
    # Each column's counts at once (NaN, not voted, equals none of the three).
    agree = (m.V == 1).sum(axis=0).tolist()
    disagree = (m.V == -1).sum(axis=0).tolist()
    passed = (m.V == 0).sum(axis=0).tolist()
    for position in positions:
        j = column.get(position.pk)
        if j is not None:
            counts[position.pk] = {"agree": agree[j], "disagree": disagree[j], "pass": passed[j]}
    others = [p.pk for p in positions if p.pk not in counts]
    for pk in others:
        counts[pk] = {"agree": 0, "disagree": 0, "pass": 0}
    rows = Vote.objects.filter(position__in=others).values_list("position", "choice")
    for position_id, choice in rows:
        counts[position_id][CHOICE_NAMES[choice]] += 1
    return counts


def _votes(position_ids: set[int], who: dict[int, str]) -> list[dict]:
    """Votes in long form, one row each."""
    if not position_ids:
        # No query: the ORM answers an empty IN itself, which a raw query cannot take.
        return []
    rows = (
        Vote.objects.filter(position__in=position_ids)
        .order_by("position", "participant")
        .values_list("participant", "position", "choice", "cast_at")
    )
    return [
        {
            "position": position_id,
            "participant": who[participant_id],
            "vote": CHOICE_NAMES[choice],
            "time": cast_at.isoformat(),
        }
        for participant_id, position_id, choice, cast_at in _with_fast_timestamps(rows)
    ]


def _with_fast_timestamps(rows) -> list[tuple]:
    """The rows of a values_list, its timestamps read by psycopg's own (compiled) loader.

    Django reads every PostgreSQL timestamp through a loader of its own written in Python
    (to attach its time zone): most of the time the votes of a conference's CSV export took
    to read (docs/capacity.md, "Exports in a constant number of queries"). The connection's
    time zone is UTC, as Django sets it, so the values are the same. Elsewhere (SQLite,
    whose timestamps are text), the ORM converts them as usual.
    """
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return list(rows.iterator(chunk_size=20_000))
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        # This cursor's own loaders: the connection's, and Django's other queries, keep theirs.
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


def _position_row(position, counts, column, result, m, who) -> dict:
    tally = counts[position.pk]
    j = column.get(position.pk)
    by_group = {}
    if j is not None:
        by_group = {
            m.groups[g].name: {
                "votes": int(result.groups.votes[g, j]),
                "agree_rate": _number(result.groups.rate[g, j]),
            }
            for g in np.flatnonzero(result.groups.votes[:, j])  # the groups that voted on it
        }
    decided = tally["agree"] + tally["disagree"]
    section = position.prompt.context_section
    return {
        "id": position.pk,
        "group": position.group.name,
        "prompt": position.prompt.heading,
        "section": section.title if section else None,
        "author": who[position.author_id],
        "text": position.text,
        "status": position.status,
        "plenary": position.plenary,
        "agree": tally["agree"],
        "disagree": tally["disagree"],
        "pass": tally["pass"],
        "support": round(tally["agree"] / decided, 4) if decided else None,
        "consensus": round(float(result.consensus[j]), 4) if j is not None else None,
        "by_group": by_group,
        **({"moderation_reason": position.moderation_reason} if position.moderation_reason else {}),
        "created": position.created_at.isoformat(),
    }


def _paper(session: Session) -> dict:
    paper = session.paper
    return {
        "title": paper.title,
        "version": paper.version,
        "framing_questions": [q.text for q in paper.framing_questions()],
        "sections": [
            {
                "title": s.title,
                "level": s.level,
                "questions": [q.text for q in s.questions.all() if not q.is_framing],
            }
            for s in paper.sections.prefetch_related(
                Prefetch("questions", queryset=Question.objects.order_by("position"))
            )
        ],
    }


def _groups(groups, m, position_rows) -> list[dict]:
    members = dict(zip(*np.unique(m.breakout, return_counts=True), strict=True))
    index = {g.pk: i for i, g in enumerate(m.groups)}
    positions_per_group: dict[str, int] = {}
    votes_per_group: dict[str, int] = {}
    for row in position_rows:
        name = row["group"]
        positions_per_group[name] = positions_per_group.get(name, 0) + 1
        votes_per_group[name] = (
            votes_per_group.get(name, 0) + row["agree"] + row["disagree"] + row["pass"]
        )
    return [
        {
            "name": group.name,
            "phase": group.phase,
            "participant_count": int(members.get(index[group.pk], 0)),
            "position_count": positions_per_group.get(group.name, 0),
            "vote_count": votes_per_group.get(group.name, 0),
        }
        for group in groups
    ]


def _recommendations(session: Session, who) -> list[dict]:
    return [
        {
            "rank": rank,
            "text": r.text,
            "prompt": r.prompt.heading if r.prompt else None,
            "sources": [p.pk for p in r.sources.all()],
            "dissent_note": r.dissent_note,
        }
        for rank, r in enumerate(
            session.recommendations.select_related(
                "prompt__question", "prompt__section"
            ).prefetch_related("sources"),
            start=1,
        )
    ]


def _synthesis(result: synthesis.Synthesis, m, position_ids: set[int]) -> dict:
    ids = [p.pk for p in m.positions]

    def pick(indices):
        return [ids[j] for j in indices if ids[j] in position_ids]

    opinion = result.opinion
    return {
        "broad_consensus": pick(result.broad_consensus),
        "most_divisive": pick(result.most_divisive),
        "backed_by_one_group": [
            {"position": ids[j], "group": m.groups[g].name}
            for j, g in result.backed_by_one_group
            if ids[j] in position_ids
        ],
        "opinion_groups": [
            {
                "size": int(opinion.sizes[g]),
                "representative": pick(opinion.representative[g]),
            }
            for g in range(opinion.k)
        ],
        "opinion_consensus": pick(opinion.consensus),
        # The opinion map, so the figure can be redrawn: one point per participant.
        "opinion_map": [
            {"x": round(float(x), 4), "y": round(float(y), 4), "group": int(label)}
            for (x, y), label in zip(opinion.coords.tolist(), opinion.labels.tolist(), strict=True)
        ],
        "themes": [
            {"name": theme.name, "positions": pick(theme.positions)} for theme in result.themes
        ],
    }


def _moderation(session: Session, group, who) -> list[dict]:
    entries = ModerationEntry.objects.filter(session=session).select_related("actor", "group")
    if group is not None:
        entries = entries.filter(group=group)
    return [
        {
            "time": e.created_at.isoformat(),
            "actor": e.actor.get_username() if e.actor else "countdown",
            "action": e.action,
            "group": e.group.name if e.group else None,
            "position": e.position_id,
            "participant": who.get(e.participant_id) if e.participant_id else None,
            "detail": e.detail,
        }
        for e in entries.order_by("created_at", "pk")
    ]


# --- Renderers ----------------------------------------------------------------------------------


def language_of(session: Session) -> str:
    """The language a session's exports speak: the organizer's choice for the session,
    whoever downloads them (English when none was chosen)."""
    return session.language or settings.LANGUAGE_CODE


def to_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


POSITION_COLUMNS = [
    "id", "group", "prompt", "section", "author", "text", "status", "plenary",
    "agree", "disagree", "pass", "support", "consensus",
]  # fmt: skip
VOTE_COLUMNS = ["position", "participant", "vote", "time"]
GROUP_COLUMNS = ["name", "phase", "participant_count", "position_count", "vote_count"]
RECOMMENDATION_COLUMNS = ["rank", "text", "prompt", "sources", "dissent_note"]

# The CSV files' header rows, in the reader's language. In English they are the JSON
# document's keys, which never change; the cells keep the JSON's codes (agree, hidden...).
COLUMN_HEADERS = {
    "id": pgettext_lazy("CSV column header", "id"),
    "group": pgettext_lazy("CSV column header", "group"),
    "prompt": pgettext_lazy("CSV column header", "prompt"),
    "section": pgettext_lazy("CSV column header", "section"),
    "author": pgettext_lazy("CSV column header", "author"),
    "text": pgettext_lazy("CSV column header", "text"),
    "status": pgettext_lazy("CSV column header", "status"),
    "plenary": pgettext_lazy("CSV column header", "plenary"),
    "agree": pgettext_lazy("CSV column header", "agree"),
    "disagree": pgettext_lazy("CSV column header", "disagree"),
    "pass": pgettext_lazy("CSV column header", "pass"),
    "support": pgettext_lazy("CSV column header", "support"),
    "consensus": pgettext_lazy("CSV column header", "consensus"),
    "position": pgettext_lazy("CSV column header", "position"),
    "participant": pgettext_lazy("CSV column header", "participant"),
    "vote": pgettext_lazy("CSV column header", "vote"),
    "time": pgettext_lazy("CSV column header", "time"),
    "name": pgettext_lazy("CSV column header", "name"),
    "phase": pgettext_lazy("CSV column header", "phase"),
    "participant_count": pgettext_lazy("CSV column header", "participant_count"),
    "position_count": pgettext_lazy("CSV column header", "position_count"),
    "vote_count": pgettext_lazy("CSV column header", "vote_count"),
    "rank": pgettext_lazy("CSV column header", "rank"),
    "sources": pgettext_lazy("CSV column header", "sources"),
    "dissent_note": pgettext_lazy("CSV column header", "dissent_note"),
}


def headers(columns: list[str]) -> list[str]:
    """The header row of these columns in the active language."""
    return [str(COLUMN_HEADERS[column]) for column in columns]


# A cell starting with one of these is a formula to a spreadsheet program: a participant's
# "=HYPERLINK(...)" would run on the organizer's machine. OWASP's advice: a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet(rows: list[dict], columns: list[str], header: list[str] | None = None) -> bytes:
    """A CSV file of these rows, as spreadsheet programs open it safely. The header row is
    `header` if given (the columns' names in the reader's language), else the keys."""
    # A byte-order mark, so spreadsheet programs read the file as UTF-8.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_cell(name) for name in header or columns])
    # Only the columns asked for, each cell made safe; a missing one is empty. (A
    # csv.DictWriter did the same at twice the cost: the votes are thousands of rows.)
    writer.writerows([_cell(row.get(column, "")) for column in columns] for row in rows)
    return buffer.getvalue().encode("utf-8")


def to_csv_zip(document: dict) -> bytes:
    """positions.csv, votes.csv, groups.csv and recommendations.csv in one zip."""
    files = {
        "positions.csv": spreadsheet(
            document["positions"], POSITION_COLUMNS, headers(POSITION_COLUMNS)
        ),
        "votes.csv": spreadsheet(document["votes"], VOTE_COLUMNS, headers(VOTE_COLUMNS)),
        "groups.csv": spreadsheet(document["groups"], GROUP_COLUMNS, headers(GROUP_COLUMNS)),
        "recommendations.csv": spreadsheet(
            [
                r | {"sources": " ".join(map(str, r["sources"]))}
                for r in document["recommendations"]
            ],
            RECOMMENDATION_COLUMNS,
            headers(RECOMMENDATION_COLUMNS),
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            # A fixed date, so the same session exports to the same bytes.
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


# --- Words shared by the reports ----------------------------------------------------------------

# The codes the document keeps (the JSON's), as the reports print them.
PHASE_NAMES = {
    "collecting": pgettext_lazy("phase of a group", "collecting"),
    "voting": pgettext_lazy("phase of a group", "voting"),
    "closed": pgettext_lazy("phase of a group", "closed"),
    "mixed": pgettext_lazy("phase of the groups of a session", "mixed"),
}
STATUS_NAMES = {
    "visible": pgettext_lazy("status of a position", "visible"),
    "pending": pgettext_lazy("status of a position", "pending"),
    "hidden": pgettext_lazy("status of a position", "hidden"),
    "rejected": pgettext_lazy("status of a position", "rejected"),
    "merged": pgettext_lazy("status of a position", "merged"),
}


def _named(names: dict, code: str) -> str:
    return str(names[code]) if code in names else code


def _title(title: str, session: str) -> str:
    # Translators: the report's title: the paper's title, then the session's name.
    return _("%(title)s: %(session)s") % {"title": title, "session": session}


def _percent(value: float | None) -> str:
    return percent(None if value is None else round(100 * value))


def _tally(p: dict) -> str:
    # Translators: a position's votes: its support (a share of agree and disagree votes),
    # then how many people voted agree, disagree and pass.
    return _("support %(support)s (%(agree)s agree, %(disagree)s disagree, %(pass)s pass)") % {
        "support": _percent(p["support"]),
        "agree": p["agree"],
        "disagree": p["disagree"],
        "pass": p["pass"],
    }


def _decimal(value: float, places: int = 2) -> str:
    """A number people read, in the active language's way (0.45, 0,45)."""
    return number_format(Decimal(f"{value:.{places}f}"), places)


def _opinion_group(n: int, size: int) -> str:
    return ngettext(
        "Opinion group %(letter)s (%(count)s participant)",
        "Opinion group %(letter)s (%(count)s participants)",
        size,
    ) % {"letter": chr(ord("A") + n), "count": size}


# --- Markdown -----------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def md(text: str | None) -> str:
    """User text made inert in Markdown: one line, markup characters escaped (so a position
    cannot inject links, HTML or table cells into the report)."""
    return " ".join((text or "").split()).translate(_MARKDOWN_SPECIAL)


def _split(p: dict, escape=md) -> str:
    parts = [
        # Translators: one group's agreement with a position: "Group 1 67% of 3" (votes).
        _("%(group)s %(percent)s of %(votes)s")
        % {"group": escape(name), "percent": _percent(cell["agree_rate"]), "votes": cell["votes"]}
        for name, cell in p["by_group"].items()
    ]
    return "; ".join(parts)


def to_markdown(document: dict) -> str:
    """The report, in the active language (export_file activates the session's). Markdown
    has no direction of its own: a viewer lays out each paragraph by its first letters, so
    an Arabic report reads right to left without any markup."""
    lines: list[str] = []
    add = lines.append
    session, paper = document["session"], document["paper"]
    by_id = {p["id"]: p for p in document["positions"]}
    add(f"# {_title(md(paper['title']), md(session['name']))}")
    add("")
    scope = document["scope"]
    about = [
        _("Session %(code)s, created %(date)s, phase %(phase)s.")
        % {
            "code": session["code"],
            "date": session["created"][:10],
            "phase": _named(PHASE_NAMES, session["phase"]),
        }
    ]
    if scope["group"]:
        about.append(_("Group: %(group)s.") % {"group": md(scope["group"])})
    if not scope["names"]:
        about.append(_("Participants are shown by pseudonym."))
    add(" ".join(about))
    add("")
    add("## " + _("Framing questions"))
    add("")
    lines += [f"{n}. {md(q)}" for n, q in enumerate(paper["framing_questions"], start=1)]
    add("")

    add("## " + _("Recommendations"))
    add("")
    if not document["recommendations"]:
        add(_("No recommendations were curated."))
    for r in document["recommendations"]:
        line = f"{r['rank']}. **{md(r['text'])}**"
        if r["prompt"]:
            # Translators: after a recommendation: the question it answers.
            line += " " + _("(answers: %(prompt)s)") % {"prompt": md(r["prompt"])}
        add(line)
        for source in r["sources"]:
            p = by_id.get(source)
            if p:
                # Translators: a position a recommendation comes from, its group, its votes.
                source_line = _("From “%(text)s” (%(group)s): %(tally)s.")
                # The trail: the position's entry under its question below (visible ones
                # are listed there), by the id positions.csv and votes.csv give it.
                link = f" [#{p['id']}](#position-{p['id']})" if p["status"] == "visible" else ""
                add(
                    "   - "
                    + source_line
                    % {"text": md(p["text"]), "group": md(p["group"]), "tally": _tally(p)}
                    + link
                )
                if p["by_group"]:
                    add("     " + _("By group: %(split)s.") % {"split": _split(p)})
        if r["dissent_note"]:
            add("   - " + _("Dissent:"))
            lines += [
                f"     > {md(line)}" for line in r["dissent_note"].splitlines() if line.strip()
            ]
    add("")

    prompts: dict[str, list[dict]] = {}
    for p in document["positions"]:
        if p["status"] == "visible":
            prompts.setdefault(p["prompt"], []).append(p)
    add("## " + _("Positions by question"))
    add("")
    for prompt, rows in prompts.items():
        add(f"### {md(prompt)}")
        add("")
        ranked = sorted(rows, key=lambda p: (-(p["consensus"] or 0), p["id"]))
        for n, p in enumerate(ranked, start=1):
            values = {
                "text": md(p["text"]),
                "group": md(p["group"]),
                "author": md(p["author"]),
                "tally": _tally(p),
            }
            if p["consensus"] is not None:
                # Translators: a position, its group and author, its votes, and its
                # consensus across the groups (a number from 0 to 1).
                line = _("%(text)s (%(group)s, %(author)s): %(tally)s; consensus %(consensus)s.")
                values["consensus"] = _decimal(p["consensus"])
            else:
                # Translators: a position, its group and author, and its votes.
                line = _("%(text)s (%(group)s, %(author)s): %(tally)s.")
            add(f'{n}. <a id="position-{p["id"]}"></a>' + line % values)
        add("")

    synth = document["synthesis"]

    def listing(title: str, ids: list[int], empty: str) -> None:
        add(f"## {title}")
        add("")
        rows = [by_id[i] for i in ids if i in by_id]
        lines.extend("- " + _position_line(p, md(p["text"]), md(p["group"])) for p in rows)
        if not rows:
            add(empty)
        add("")

    listing(
        _("Where every group agrees"),
        synth["broad_consensus"],
        _("No position has every group's agreement yet."),
    )
    listing(_("Where groups split"), synth["most_divisive"], _("No position splits the groups."))
    add("## " + _("Backed by one group, not yet seen by others"))
    add("")
    backed = [
        (by_id[b["position"]], b["group"])
        for b in synth["backed_by_one_group"]
        if b["position"] in by_id
    ]
    lines.extend(f"- {md(p['text'])} ({md(group)})" for p, group in backed)
    if not backed:
        add(_("None."))
    add("")

    add("## " + _("Opinion groups"))
    add("")
    if not synth["opinion_groups"]:
        add(_("Not enough votes to find opinion groups."))
    for n, group in enumerate(synth["opinion_groups"]):
        add(f"### {_opinion_group(n, group['size'])}")
        add("")
        rows = [by_id[i] for i in group["representative"] if i in by_id]
        for p in rows:
            # Translators: a position and its votes.
            add("- " + _("%(text)s: %(tally)s.") % {"text": md(p["text"]), "tally": _tally(p)})
        if not rows:
            add(_("No distinctive positions."))
        add("")
    if synth["opinion_consensus"]:
        add(_("Every opinion group agrees:"))
        add("")
        lines.extend(f"- {md(by_id[i]['text'])}" for i in synth["opinion_consensus"] if i in by_id)
        add("")

    add("## " + _("Themes"))
    add("")
    # Translators: the theme of the positions that share no content word with the others.
    other = pgettext("theme", "Other")
    for theme in synth["themes"]:
        rows = [by_id[i] for i in theme["positions"] if i in by_id]
        if rows:
            add(
                f"- **{md(theme['name']) or other}**: "
                + "; ".join(f"{md(p['text'])} ({_percent(p['support'])})" for p in rows)
            )
    add("")

    add("## " + _("Participation"))
    add("")
    columns = [
        pgettext("table heading", "Group"),
        pgettext("table heading", "Participants"),
        pgettext("table heading", "Positions"),
        pgettext("table heading", "Votes"),
    ]
    add("| " + " | ".join(md(column) for column in columns) + " |")
    add("| --- | ---: | ---: | ---: |")
    for g in document["groups"]:
        add(
            f"| {md(g['name'])} | {g['participant_count']} | {g['position_count']} "
            f"| {g['vote_count']} |"
        )
    total = [
        sum(g[k] for g in document["groups"])
        for k in ("participant_count", "position_count", "vote_count")
    ]
    everyone = md(pgettext("table row: every group", "All"))
    add(f"| {everyone} | {total[0]} | {total[1]} | {total[2]} |")
    add("")

    add("## " + _("Moderation"))
    add("")
    moderation = document.get("moderation")
    hidden = sum(1 for p in document["positions"] if p["status"] != "visible")
    if moderation is None:
        add(_("Moderation details are in the organizer's full export."))
    else:
        actions: dict[str, int] = {}
        for entry in moderation:
            actions[entry["action"]] = actions.get(entry["action"], 0) + 1
        # The moderation log's own codes (hide, pin...), as the JSON has them.
        summary = ", ".join(f"{action} {count}" for action, count in sorted(actions.items()))
        actions_taken = ngettext(
            "%(count)s action (%(summary)s)", "%(count)s actions (%(summary)s)", len(moderation)
        ) % {"count": len(moderation), "summary": summary or pgettext("no actions", "none")}
        not_visible = ngettext(
            "%(count)s position not visible (marked below).",
            "%(count)s positions not visible (marked below).",
            hidden,
        ) % {"count": hidden}
        # Translators: the moderation's summary: the actions taken, then how many positions
        # are not visible ("3 actions (hide 2, pin 1); 2 positions not visible ...").
        add(
            _("%(actions)s; %(not_visible)s")
            % {"actions": actions_taken, "not_visible": not_visible}
        )
        add("")
        for p in document["positions"]:
            if p["status"] != "visible":
                status = md(_named(STATUS_NAMES, p["status"]))
                reason = p.get("moderation_reason")
                add(f"- [{status}] {md(p['text'])}" + (f": {md(reason)}" if reason else ""))
    add("")
    return "\n".join(lines).rstrip() + "\n"


def _position_line(p: dict, text: str, group: str) -> str:
    values = {"text": text, "group": group, "tally": _tally(p)}
    # Translators: a position, its breakout group and its votes.
    return _("%(text)s (%(group)s): %(tally)s.") % values


# --- PDF ----------------------------------------------------------------------------------------

FONTS = Path(__file__).resolve().parent / "fonts"
PALETTE = [palette.rgb(colour) for colour in palette.OPINION_GROUPS]
GREEN, RED, GREY = (palette.rgb(c) for c in (palette.AGREE, palette.DISAGREE, palette.PASS))

# Latin, Greek, Cyrillic and the rest of DejaVu Sans; Arabic letters in Noto Naskh Arabic
# (both shipped in discussions/fonts); Chinese, Japanese and Korean in Droid Sans Fallback,
# which is too large to ship (4 MB) and comes from Debian's fonts-droid-fallback package
# (dev.py installs it; a deployer installs it as the README says). fpdf2 takes each
# character from the first of these that has it, and shapes the text with HarfBuzz.
FAMILY = "DejaVu"
ARABIC_FAMILY = "NotoNaskhArabic"
CJK_FAMILY = "DroidSansFallback"
TEXT_FONTS = {
    FAMILY: {"": FONTS / "DejaVuSans.ttf", "B": FONTS / "DejaVuSans-Bold.ttf"},
    ARABIC_FAMILY: {
        "": FONTS / "NotoNaskhArabic-Regular.ttf",
        "B": FONTS / "NotoNaskhArabic-Bold.ttf",
    },
}
CJK_PACKAGE = "fonts-droid-fallback"
CJK_FONTS = (Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),)
# The Arabic blocks, which DejaVu Sans covers too, more plainly: its Arabic is left out.
ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
CJK_LANGUAGES = ("zh", "ja", "ko")


@cache
def _characters_of(path: Path) -> frozenset[int]:
    """The characters a font file has glyphs for."""
    font = TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def _is_arabic(character: str) -> bool:
    return any(a <= ord(character) <= b for a, b in ARABIC_BLOCKS)


@cache
def _without_arabic(path: Path) -> tuple[int, ...]:
    return tuple(sorted(c for c in _characters_of(path) if not _is_arabic(chr(c))))


def _family(text: str) -> str:
    """A paragraph's main font: Noto Naskh Arabic where it has Arabic letters, DejaVu Sans
    otherwise; the other fonts fill in the characters it lacks. The spaces and digits
    between Arabic words are then in the words' font, so an Arabic phrase is one run of
    text, which is how PDF readers put its words back in reading order."""
    return ARABIC_FAMILY if any(_is_arabic(c) for c in text) else FAMILY


def cjk_font() -> Path | None:
    """The installed font for Chinese, Japanese and Korean text, if any."""
    return next((path for path in CJK_FONTS if path.is_file()), None)


def _strings(value) -> list[str]:
    """Every text in a document (its values, not its keys)."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _needs_cjk(document: dict) -> bool:
    """Whether the report has wide (East Asian) characters: in its own words (a report in
    Chinese) or in what people wrote."""
    if translation.get_language().startswith(CJK_LANGUAGES):
        return True
    latin = _characters_of(TEXT_FONTS[FAMILY][""])
    characters = set("".join(_strings(document)))
    return any(
        ord(c) not in latin and unicodedata.east_asian_width(c) in ("W", "F") for c in characters
    )


def _missing_font_note() -> str:
    """What a PDF says when the font for its Chinese (Japanese, Korean) text is missing: in
    its language, or in English where that language is written in the missing letters."""
    note = _(
        "This server has no font for Chinese, Japanese and Korean text, which is left out "
        "of this PDF (the Markdown, CSV and JSON exports have it). Its administrator can "
        "install the %(package)s package."
    ) % {"package": CJK_PACKAGE}
    if any(unicodedata.east_asian_width(c) in ("W", "F") for c in note):
        with translation.override(settings.LANGUAGE_CODE):
            return _missing_font_note()
    return note


class _Report(FPDF):
    def __init__(self, *, rtl: bool) -> None:
        super().__init__(format="A4")
        self.rtl = rtl
        self.align = "R" if rtl else "L"

    def footer(self) -> None:
        label = _("Page %(number)s") % {"number": self.page_no()}
        self.set_y(-12)
        self.set_font(_family(label), size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, label, align="C")
        self.set_text_color(0, 0, 0)


def _pdf(document: dict) -> _Report:
    """An empty report in the active language's direction, with the fonts its text needs."""
    pdf = _Report(rtl=translation.get_language_bidi())
    pdf.set_creation_date(datetime(2000, 1, 1, tzinfo=UTC))  # same input, same bytes
    pdf.set_lang(translation.get_language())
    for family, styles in TEXT_FONTS.items():
        for style, path in styles.items():
            # DejaVu's Arabic letters are left to Noto Naskh Arabic (a fallback below).
            letters = _without_arabic(path) if family == FAMILY else None
            pdf.add_font(family, style, path, unicode_range=letters)
    fallbacks = [FAMILY, ARABIC_FAMILY]
    missing = None
    if _needs_cjk(document):
        # Loaded only when needed: reading its 4 MB takes about a second.
        if path := cjk_font():
            pdf.add_font(CJK_FAMILY, "", path)
            fallbacks.append(CJK_FAMILY)
        else:
            log.warning(
                "The PDF export has Chinese, Japanese or Korean text and no font for it: "
                "install Debian's %s package (%s).",
                CJK_PACKAGE,
                CJK_FONTS[0],
            )
            missing = _missing_font_note()
    # Droid Sans Fallback has no bold: bold text takes its regular letters.
    pdf.set_fallback_fonts(fallbacks, exact_match=False)
    # HarfBuzz joins Arabic letters; paragraphs run right to left in a right-to-left
    # language (Arabic), left to right otherwise, with the other direction's runs inside.
    pdf.set_text_shaping(use_shaping_engine=True, direction="rtl" if pdf.rtl else "ltr")
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    if missing:
        pdf.set_text_color(*RED)
        _paragraph(pdf, missing, size=9)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
    return pdf


def _heading(pdf: _Report, text: str, size: int) -> None:
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font(_family(text), "B", size)
    pdf.multi_cell(0, size * 0.55, text, align=pdf.align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FAMILY, size=10)


def _paragraph(pdf: _Report, text: str, size: int = 10, style: str = "") -> None:
    pdf.set_font(_family(text), style, size=size)
    pdf.multi_cell(0, 5, text, align=pdf.align, new_x="LMARGIN", new_y="NEXT")


def _bar(pdf: _Report, p: dict, width: float = 60) -> None:
    """A tally bar: agree, disagree and pass as proportional coloured segments, with the
    numbers printed beside it (colour is never the only cue). Right to left, the bar
    starts at the right margin and the numbers stand to its left."""
    total = p["agree"] + p["disagree"] + p["pass"]
    y = pdf.get_y() + 1
    start = pdf.w - pdf.r_margin - 4 - width if pdf.rtl else pdf.l_margin + 4
    if total:
        x = start + width if pdf.rtl else start
        for count, colour in ((p["agree"], GREEN), (p["disagree"], RED), (p["pass"], GREY)):
            w = width * count / total
            if w:
                pdf.set_fill_color(*colour)
                pdf.rect(x - w if pdf.rtl else x, y, w, 3, style="F")
                x += -w if pdf.rtl else w
    else:
        pdf.set_draw_color(*GREY)
        pdf.rect(start, y, width, 3)
    tally = _tally(p)
    pdf.set_font(_family(tally), size=8)
    if pdf.rtl:
        pdf.set_xy(pdf.l_margin, y - 1)
        pdf.cell(start - 4 - pdf.l_margin, 5, tally, align="R")
    else:
        pdf.set_xy(start + width + 4, y - 1)
        pdf.cell(0, 5, tally)
    pdf.set_font(FAMILY, size=10)
    pdf.ln(6)


def _position(pdf: _Report, p: dict, source: bool = False) -> None:
    if pdf.get_y() > pdf.h - 30:
        pdf.add_page()
    # Translators: a position and, in brackets, its breakout group.
    text = _("%(text)s  (%(group)s)") % {"text": p["text"], "group": p["group"]}
    # Translators: a position a recommendation was made from.
    _paragraph(pdf, _("From: %(position)s") % {"position": text} if source else text)
    _bar(pdf, p)


def _trail(pdf: _Report, p: dict) -> None:
    """Under a recommendation's source: its id in positions.csv and votes.csv, and every
    group's agreement with it."""
    line = f"#{p['id']}"
    if p["by_group"]:
        line += " · " + _("By group: %(split)s.") % {"split": _split(p, escape=str)}
    _paragraph(pdf, line, size=8)
    pdf.ln(1)


def _opinion_map(pdf: _Report, points: list[dict], size: float = 70) -> None:
    if pdf.get_y() > pdf.h - size - 20:
        pdf.add_page()
    x0 = pdf.w - pdf.r_margin - size if pdf.rtl else pdf.l_margin
    y0 = pdf.get_y()
    pdf.set_draw_color(*GREY)
    pdf.rect(x0, y0, size, size)
    pdf.line(x0, y0 + size / 2, x0 + size, y0 + size / 2)
    pdf.line(x0 + size / 2, y0, x0 + size / 2, y0 + size)
    span = max((max(abs(pt["x"]), abs(pt["y"])) for pt in points), default=1.0) or 1.0
    scale = (size / 2 - 3) / span
    for pt in points:
        colour = PALETTE[pt["group"] % len(PALETTE)] if pt["group"] >= 0 else GREY
        pdf.set_fill_color(*colour)
        cx, cy = x0 + size / 2 + pt["x"] * scale, y0 + size / 2 - pt["y"] * scale
        pdf.circle(cx - 0.8, cy - 0.8, 0.8, style="F")
    pdf.set_y(y0 + size + 2)
    _paragraph(
        pdf,
        _(
            "Opinion map: each dot is a participant; people who vote alike are close. "
            "Colours are the opinion groups below; grey: too few votes."
        ),
        size=8,
    )


def to_pdf(document: dict) -> bytes:
    """The Markdown report's content, printable, with tally bars and the opinion map drawn,
    in the active language (export_file activates the session's)."""
    pdf = _pdf(document)
    session, paper = document["session"], document["paper"]
    by_id = {p["id"]: p for p in document["positions"]}
    synth = document["synthesis"]
    _heading(pdf, _title(paper["title"], session["name"]), 16)
    _paragraph(
        pdf,
        _("Session %(code)s, created %(date)s.")
        % {"code": session["code"], "date": session["created"][:10]},
    )
    _heading(pdf, _("Framing questions"), 13)
    for n, question in enumerate(paper["framing_questions"], start=1):
        _paragraph(pdf, f"{n}. {question}")
    _heading(pdf, _("Recommendations"), 13)
    if not document["recommendations"]:
        _paragraph(pdf, _("No recommendations were curated."))
    for r in document["recommendations"]:
        _paragraph(pdf, f"{r['rank']}. {r['text']}", style="B")
        for source in r["sources"]:
            if source in by_id:
                _position(pdf, by_id[source], source=True)
                _trail(pdf, by_id[source])
        if r["dissent_note"]:
            note = " ".join(r["dissent_note"].splitlines())
            # Translators: the dissent note of a recommendation, written by a facilitator.
            _paragraph(pdf, _("Dissent: %(note)s") % {"note": note}, size=9)
        pdf.ln(1)
    _heading(pdf, _("Where every group agrees"), 13)
    for i in synth["broad_consensus"]:
        if i in by_id:
            _position(pdf, by_id[i])
    if not synth["broad_consensus"]:
        _paragraph(pdf, _("No position has every group's agreement yet."))
    _heading(pdf, _("Where groups split"), 13)
    for i in synth["most_divisive"]:
        if i in by_id:
            _position(pdf, by_id[i])
    if not synth["most_divisive"]:
        _paragraph(pdf, _("No position splits the groups."))
    _heading(pdf, _("Opinion groups"), 13)
    _opinion_map(pdf, synth["opinion_map"])
    for n, group in enumerate(synth["opinion_groups"]):
        _heading(pdf, _opinion_group(n, group["size"]), 11)
        for i in group["representative"]:
            if i in by_id:
                _position(pdf, by_id[i])
    _heading(pdf, _("Participation"), 13)
    for g in document["groups"]:
        # Translators: a breakout group, then its numbers of participants, positions, votes.
        line = _("%(group)s: %(participants)s, %(positions)s, %(votes)s.")
        _paragraph(
            pdf,
            line
            % {
                "group": g["name"],
                "participants": ngettext(
                    "%(count)s participant", "%(count)s participants", g["participant_count"]
                )
                % {"count": g["participant_count"]},
                "positions": ngettext(
                    "%(count)s position", "%(count)s positions", g["position_count"]
                )
                % {"count": g["position_count"]},
                "votes": ngettext("%(count)s vote", "%(count)s votes", g["vote_count"])
                % {"count": g["vote_count"]},
            },
        )
    return bytes(pdf.output())


CONTENT_TYPES = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("application/zip", "zip"),
    "json": ("application/json; charset=utf-8", "json"),
}


def render(document: dict, format: str) -> str | bytes:
    """One format of the document: text for md and json, bytes for pdf and the csv zip, in
    the active language (see language_of)."""
    renderers = {"md": to_markdown, "json": to_json, "csv": to_csv_zip, "pdf": to_pdf}
    if format not in renderers:
        raise ValueError(f"Unknown export format {format!r}")
    return renderers[format](document)


def export_file(
    session_id: int, group_id: int | None, names: bool, full: bool, format: str
) -> str | bytes:
    """One download: the session's (or its group's) export in one format, from ids and
    plain values, so that discussions.offload can build it in a process of its own. It
    speaks the session's language, activated here: a child process has none of the
    request's."""
    session = Session.objects.get(pk=session_id)
    group = None if group_id is None else session.groups.get(pk=group_id)
    with translation.override(language_of(session)):
        document = build(
            session, group=group, names=names, full=full, votes=format in ("csv", "json")
        )
        return render(document, format)
