"""The Markdown report; md(), which makes user text inert in Markdown; and _split, each
group's agreement with a position, which the PDF prints too."""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from discussions.exports.wording import (
    PHASE_NAMES,
    STATUS_NAMES,
    _decimal,
    _named,
    _opinion_group,
    _percent,
    _tally,
    _title,
)

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
