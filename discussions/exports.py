"""Exports of one session (or one of its groups): JSON, CSV, Markdown and PDF.

Everything is gathered once into a Report (through the same matrix and synthesis the live
view uses), then each renderer only formats it. Participants are pseudonymous by default:
"P001" is the session's first participant to join, the same in every export of the session.
Hidden positions and moderation reasons appear only in the organizer's full export.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from django.db import connections
from django.db.models import Prefetch
from fpdf import FPDF
from psycopg.types.datetime import TimestamptzLoader

from discussions import matrix, synthesis
from discussions.models import (
    BreakoutGroup,
    ModerationEntry,
    Participant,
    Position,
    Question,
    Session,
    Vote,
)

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
    result = synthesis.synthesize(m.V, m.breakout, max(m.n_groups, 1), m.texts, seed=0)
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
    (to attach its time zone), 4 µs a row: 24 of the 33 ms that 5,460 votes took to read,
    in the CSV export of a 2,000-person conference (docs/capacity.md). The connection's
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


def to_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


POSITION_COLUMNS = [
    "id", "group", "prompt", "section", "author", "text", "status", "plenary",
    "agree", "disagree", "pass", "support", "consensus",
]  # fmt: skip
VOTE_COLUMNS = ["position", "participant", "vote", "time"]


# A cell starting with one of these is a formula to a spreadsheet program: a participant's
# "=HYPERLINK(...)" would run on the organizer's machine. OWASP's advice: a leading quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet(rows: list[dict], columns: list[str]) -> bytes:
    """A CSV file of these rows, as spreadsheet programs open it safely."""
    # A byte-order mark, so spreadsheet programs read the file as UTF-8.
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    # Only the columns asked for, each cell made safe; a missing one is empty. (A
    # csv.DictWriter did the same at twice the cost: the votes are thousands of rows.)
    writer.writerows([_cell(row.get(column, "")) for column in columns] for row in rows)
    return buffer.getvalue().encode("utf-8")


def to_csv_zip(document: dict) -> bytes:
    """positions.csv, votes.csv, groups.csv and recommendations.csv in one zip."""
    files = {
        "positions.csv": spreadsheet(document["positions"], POSITION_COLUMNS),
        "votes.csv": spreadsheet(document["votes"], VOTE_COLUMNS),
        "groups.csv": spreadsheet(
            document["groups"],
            ["name", "phase", "participant_count", "position_count", "vote_count"],
        ),
        "recommendations.csv": spreadsheet(
            [
                r | {"sources": " ".join(map(str, r["sources"]))}
                for r in document["recommendations"]
            ],
            ["rank", "text", "prompt", "sources", "dissent_note"],
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


# --- Markdown -----------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def md(text: str | None) -> str:
    """User text made inert in Markdown: one line, markup characters escaped (so a position
    cannot inject links, HTML or table cells into the report)."""
    return " ".join((text or "").split()).translate(_MARKDOWN_SPECIAL)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{round(100 * value)}%"


def _tally(p: dict) -> str:
    return (
        f"support {_percent(p['support'])} ({p['agree']} agree, {p['disagree']} disagree, "
        f"{p['pass']} pass)"
    )


def _split(p: dict) -> str:
    parts = [
        f"{md(name)} {_percent(cell['agree_rate'])} of {cell['votes']}"
        for name, cell in p["by_group"].items()
    ]
    return "; ".join(parts)


def to_markdown(document: dict) -> str:
    lines: list[str] = []
    add = lines.append
    session, paper = document["session"], document["paper"]
    by_id = {p["id"]: p for p in document["positions"]}
    add(f"# {md(paper['title'])}: {md(session['name'])}")
    add("")
    scope = document["scope"]
    add(
        f"Session {session['code']}, created {session['created'][:10]}, phase {session['phase']}."
        + (f" Group: {md(scope['group'])}." if scope["group"] else "")
        + (" Participants are shown by pseudonym." if not scope["names"] else "")
    )
    add("")
    add("## Framing questions")
    add("")
    lines += [f"{n}. {md(q)}" for n, q in enumerate(paper["framing_questions"], start=1)]
    add("")

    add("## Recommendations")
    add("")
    if not document["recommendations"]:
        add("No recommendations were curated.")
    for r in document["recommendations"]:
        add(
            f"{r['rank']}. **{md(r['text'])}**"
            + (f" (answers: {md(r['prompt'])})" if r["prompt"] else "")
        )
        for source in r["sources"]:
            p = by_id.get(source)
            if p:
                add(f"   - From “{md(p['text'])}” ({md(p['group'])}): {_tally(p)}.")
                if p["by_group"]:
                    add(f"     By group: {_split(p)}.")
        if r["dissent_note"]:
            add("   - Dissent:")
            lines += [
                f"     > {md(line)}" for line in r["dissent_note"].splitlines() if line.strip()
            ]
    add("")

    prompts: dict[str, list[dict]] = {}
    for p in document["positions"]:
        if p["status"] == "visible":
            prompts.setdefault(p["prompt"], []).append(p)
    add("## Positions by question")
    add("")
    for prompt, rows in prompts.items():
        add(f"### {md(prompt)}")
        add("")
        ranked = sorted(rows, key=lambda p: (-(p["consensus"] or 0), p["id"]))
        for n, p in enumerate(ranked, start=1):
            add(
                f"{n}. {md(p['text'])} ({md(p['group'])}, {md(p['author'])}): {_tally(p)}"
                + (f"; consensus {p['consensus']:.2f}" if p["consensus"] is not None else "")
                + "."
            )
        add("")

    synth = document["synthesis"]

    def listing(title: str, ids: list[int], empty: str) -> None:
        add(f"## {title}")
        add("")
        rows = [by_id[i] for i in ids if i in by_id]
        lines.extend(f"- {md(p['text'])} ({md(p['group'])}): {_tally(p)}." for p in rows)
        if not rows:
            add(empty)
        add("")

    listing(
        "Where every group agrees",
        synth["broad_consensus"],
        "No position has every group's agreement yet.",
    )
    listing("Where groups split", synth["most_divisive"], "No position splits the groups.")
    add("## Backed by one group, not yet seen by others")
    add("")
    backed = [
        (by_id[b["position"]], b["group"])
        for b in synth["backed_by_one_group"]
        if b["position"] in by_id
    ]
    lines.extend(f"- {md(p['text'])} ({md(group)})" for p, group in backed)
    if not backed:
        add("None.")
    add("")

    add("## Opinion groups")
    add("")
    if not synth["opinion_groups"]:
        add("Not enough votes to find opinion groups.")
    for n, group in enumerate(synth["opinion_groups"]):
        people = f"{group['size']} participant{'s' if group['size'] != 1 else ''}"
        add(f"### Opinion group {chr(ord('A') + n)} ({people})")
        add("")
        rows = [by_id[i] for i in group["representative"] if i in by_id]
        lines.extend(f"- {md(p['text'])}: {_tally(p)}." for p in rows)
        if not rows:
            add("No distinctive positions.")
        add("")
    if synth["opinion_consensus"]:
        add("Every opinion group agrees:")
        add("")
        lines.extend(f"- {md(by_id[i]['text'])}" for i in synth["opinion_consensus"] if i in by_id)
        add("")

    add("## Themes")
    add("")
    for theme in synth["themes"]:
        rows = [by_id[i] for i in theme["positions"] if i in by_id]
        if rows:
            add(
                f"- **{md(theme['name']) or 'Other'}**: "
                + "; ".join(f"{md(p['text'])} ({_percent(p['support'])})" for p in rows)
            )
    add("")

    add("## Participation")
    add("")
    add("| Group | Participants | Positions | Votes |")
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
    add(f"| All | {total[0]} | {total[1]} | {total[2]} |")
    add("")

    add("## Moderation")
    add("")
    moderation = document.get("moderation")
    hidden = sum(1 for p in document["positions"] if p["status"] != "visible")
    if moderation is None:
        add("Moderation details are in the organizer's full export.")
    else:
        actions: dict[str, int] = {}
        for entry in moderation:
            actions[entry["action"]] = actions.get(entry["action"], 0) + 1
        summary = ", ".join(f"{action} {count}" for action, count in sorted(actions.items()))
        add(
            f"{len(moderation)} actions ({summary or 'none'}); "
            f"{hidden} positions not visible (marked below)."
        )
        add("")
        for p in document["positions"]:
            if p["status"] != "visible":
                add(
                    f"- [{p['status']}] {md(p['text'])}"
                    + (f": {md(p.get('moderation_reason'))}" if p.get("moderation_reason") else "")
                )
    add("")
    return "\n".join(lines).rstrip() + "\n"


# --- PDF ----------------------------------------------------------------------------------------

FONTS = Path(__file__).resolve().parent / "fonts"
PALETTE = [(11, 92, 173), (180, 35, 24), (26, 127, 55), (154, 103, 0), (110, 64, 201)]
GREEN, RED, GREY = (26, 127, 55), (180, 35, 24), (140, 149, 159)


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"Page {self.page_no()}", align="C")
        self.set_text_color(0, 0, 0)


def _pdf() -> _Report:
    pdf = _Report(format="A4")
    pdf.set_creation_date(datetime(2000, 1, 1, tzinfo=UTC))  # same input, same bytes
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(18, 16, 18)
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, text: str, size: int) -> None:
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", size)
    pdf.multi_cell(0, size * 0.55, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("DejaVu", size=10)


def _paragraph(pdf: FPDF, text: str, size: int = 10) -> None:
    pdf.set_font("DejaVu", size=size)
    pdf.multi_cell(0, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _bar(pdf: FPDF, p: dict, width: float = 60) -> None:
    """A tally bar: agree, disagree and pass as proportional coloured segments, with the
    numbers printed beside it (colour is never the only cue)."""
    total = p["agree"] + p["disagree"] + p["pass"]
    x, y = pdf.l_margin + 4, pdf.get_y() + 1
    if total:
        for count, colour in ((p["agree"], GREEN), (p["disagree"], RED), (p["pass"], GREY)):
            w = width * count / total
            if w:
                pdf.set_fill_color(*colour)
                pdf.rect(x, y, w, 3, style="F")
                x += w
    else:
        pdf.set_draw_color(*GREY)
        pdf.rect(x, y, width, 3)
    pdf.set_xy(pdf.l_margin + width + 8, y - 1)
    pdf.set_font("DejaVu", size=8)
    pdf.cell(0, 5, _tally(p))
    pdf.set_font("DejaVu", size=10)
    pdf.ln(6)


def _position(pdf: FPDF, p: dict, prefix: str = "") -> None:
    if pdf.get_y() > pdf.h - 30:
        pdf.add_page()
    _paragraph(pdf, f"{prefix}{p['text']}  ({p['group']})")
    _bar(pdf, p)


def _opinion_map(pdf: FPDF, points: list[dict], size: float = 70) -> None:
    if pdf.get_y() > pdf.h - size - 20:
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y()
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
        "Opinion map: each dot is a participant; people who vote alike are close. "
        "Colours are the opinion groups below; grey: too few votes.",
        size=8,
    )


def to_pdf(document: dict) -> bytes:
    """The Markdown report's content, printable, with tally bars and the opinion map drawn."""
    pdf = _pdf()
    session, paper = document["session"], document["paper"]
    by_id = {p["id"]: p for p in document["positions"]}
    synth = document["synthesis"]
    _heading(pdf, f"{paper['title']}: {session['name']}", 16)
    _paragraph(pdf, f"Session {session['code']}, created {session['created'][:10]}.")
    _heading(pdf, "Framing questions", 13)
    for n, question in enumerate(paper["framing_questions"], start=1):
        _paragraph(pdf, f"{n}. {question}")
    _heading(pdf, "Recommendations", 13)
    if not document["recommendations"]:
        _paragraph(pdf, "No recommendations were curated.")
    for r in document["recommendations"]:
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 5, f"{r['rank']}. {r['text']}", align="L", new_x="LMARGIN", new_y="NEXT")
        for source in r["sources"]:
            if source in by_id:
                _position(pdf, by_id[source], "From: ")
        if r["dissent_note"]:
            _paragraph(pdf, "Dissent: " + " ".join(r["dissent_note"].splitlines()), size=9)
        pdf.ln(1)
    _heading(pdf, "Where every group agrees", 13)
    for i in synth["broad_consensus"]:
        if i in by_id:
            _position(pdf, by_id[i])
    if not synth["broad_consensus"]:
        _paragraph(pdf, "No position has every group's agreement yet.")
    _heading(pdf, "Where groups split", 13)
    for i in synth["most_divisive"]:
        if i in by_id:
            _position(pdf, by_id[i])
    if not synth["most_divisive"]:
        _paragraph(pdf, "No position splits the groups.")
    _heading(pdf, "Opinion groups", 13)
    _opinion_map(pdf, synth["opinion_map"])
    for n, group in enumerate(synth["opinion_groups"]):
        _heading(pdf, f"Opinion group {chr(ord('A') + n)} ({group['size']} participants)", 11)
        for i in group["representative"]:
            if i in by_id:
                _position(pdf, by_id[i])
    _heading(pdf, "Participation", 13)
    for g in document["groups"]:
        _paragraph(
            pdf,
            f"{g['name']}: {g['participant_count']} participants, "
            f"{g['position_count']} positions, {g['vote_count']} votes.",
        )
    return bytes(pdf.output())


CONTENT_TYPES = {
    "md": ("text/markdown; charset=utf-8", "md"),
    "pdf": ("application/pdf", "pdf"),
    "csv": ("application/zip", "zip"),
    "json": ("application/json; charset=utf-8", "json"),
}


def render(document: dict, format: str) -> str | bytes:
    """One format of the document: text for md and json, bytes for pdf and the csv zip."""
    renderers = {"md": to_markdown, "json": to_json, "csv": to_csv_zip, "pdf": to_pdf}
    if format not in renderers:
        raise ValueError(f"Unknown export format {format!r}")
    return renderers[format](document)


def export_file(
    session_id: int, group_id: int | None, names: bool, full: bool, format: str
) -> str | bytes:
    """One download: the session's (or its group's) export in one format, from ids and
    plain values, so that discussions.offload can build it in a process of its own."""
    session = Session.objects.get(pk=session_id)
    group = None if group_id is None else session.groups.get(pk=group_id)
    document = build(session, group=group, names=names, full=full, votes=format in ("csv", "json"))
    return render(document, format)
