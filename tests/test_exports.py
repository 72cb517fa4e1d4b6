"""Exports: complete, faithful to the database, private by default, the same every time."""

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import numpy as np
import pypdf
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import demo, exports, services, synthesis
from discussions.models import Participant, Position, Session, Vote
from tests.factories import (
    AGREE,
    DISAGREE,
    PASS,
    make_participant,
    make_position,
    make_room,
    make_vote,
)

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden" / "report.md"


@pytest.fixture
def organizer(django_user_model):
    return django_user_model.objects.create_user(username="olga", is_staff=True)


@pytest.fixture
def seeded(published_paper):
    session = services.create_session(paper=published_paper, name="Seeded", group_count=3)
    demo.fill(session, 30, seed=1)
    return session


@pytest.fixture
def small(published_paper, organizer):
    """A small fixed session for the golden report: two groups, five people, four positions."""
    room = make_room(published_paper)
    Session.objects.filter(pk=room.session.pk).update(
        code="GLD3N4", created_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC), name="Golden"
    )
    dan = make_participant(room.group, "Dan")
    eve = make_participant(room.other_group, "Eve")
    share = make_position(room.ada, "Publish NATO spending targets for every ally.")
    trade = make_position(room.ben, "Rejoin the WTO's appellate body.")
    local = make_position(room.cleo, "Fund towns hurt by trade before new deals.")
    hidden = make_position(room.ben, "Off topic rant", status="hidden")
    Position.objects.filter(pk=hidden.pk).update(moderation_reason="Off topic")
    Position.objects.filter(pk__in=[share.pk, local.pk]).update(plenary=True)
    for person, choices in {
        room.ada: (AGREE, AGREE, AGREE),
        room.ben: (AGREE, AGREE, DISAGREE),
        dan: (DISAGREE, PASS, AGREE),
        room.cleo: (AGREE, None, AGREE),
        eve: (AGREE, None, AGREE),
    }.items():
        for position, choice in zip((share, trade, local), choices, strict=True):
            if choice is not None:
                make_vote(person, position, choice)
    services.promote(actor=organizer, session=room.session, position_ids=[share.pk])
    room.session.refresh_from_db()
    return room.session


def test_json_round_trip_reproduces_counts_and_synthesis_figures(seeded):
    document = json.loads(exports.to_json(exports.build(seeded)))
    assert document["schema_version"] == 1
    visible = Position.objects.filter(group__session=seeded, status="visible")
    assert len(document["positions"]) == visible.count()
    assert len(document["votes"]) == Vote.objects.filter(position__in=visible).count()
    for row in document["positions"][:20]:
        votes = Vote.objects.filter(position=row["id"])
        assert row["agree"] == votes.filter(choice=AGREE).count()
        assert row["disagree"] == votes.filter(choice=DISAGREE).count()
        assert row["pass"] == votes.filter(choice=PASS).count()
    assert sum(g["participant_count"] for g in document["groups"]) == 30

    # Rebuild the vote matrix from the export alone and recompute the figures.
    people = sorted(
        {v["participant"] for v in document["votes"]} | {f"P{i:03d}" for i in range(1, 31)}
    )
    ids = [p["id"] for p in document["positions"]]
    V = np.full((len(people), len(ids)), np.nan)
    value = {"agree": 1, "disagree": -1, "pass": 0}
    for v in document["votes"]:
        V[people.index(v["participant"]), ids.index(v["position"])] = value[v["vote"]]
    group_names = [g["name"] for g in document["groups"]]
    group_of = {person.display_name: person.group.name for person in Participant.objects.all()}
    pseudonym = exports.pseudonyms(seeded, names=False)
    name_of = {pseudonym[p.pk]: group_of[p.display_name] for p in Participant.objects.all()}
    breakout = np.array([group_names.index(name_of[p]) for p in people])
    texts = [p["text"] for p in document["positions"]]
    again = synthesis.synthesize(V, breakout, len(group_names), texts, seed=0)
    assert [ids[j] for j in again.broad_consensus] == document["synthesis"]["broad_consensus"]
    assert [ids[j] for j in again.most_divisive] == document["synthesis"]["most_divisive"]
    for j, row in enumerate(document["positions"]):
        assert row["consensus"] == round(float(again.consensus[j]), 4)
    assert [g["size"] for g in document["synthesis"]["opinion_groups"]] == [
        int(s) for s in again.opinion.sizes
    ]


def test_json_export_has_every_key_the_schema_requires(seeded):
    schema = json.loads((Path(__file__).parents[1] / "docs" / "export-schema.json").read_text())
    document = exports.build(seeded, full=True)
    assert set(schema["required"]) <= set(document)
    for key in ("session", "paper", "scope", "synthesis"):
        assert set(schema["properties"][key]["required"]) <= set(document[key]), key
    for key in ("positions", "votes", "groups", "recommendations"):
        required = set(schema["properties"][key]["items"]["required"])
        assert all(required <= set(row) for row in document[key]), key


def test_csv_files_parse_back_to_the_same_rows(seeded):
    document = exports.build(seeded)
    archive = zipfile.ZipFile(io.BytesIO(exports.to_csv_zip(document)))
    assert sorted(archive.namelist()) == [
        "groups.csv",
        "positions.csv",
        "recommendations.csv",
        "votes.csv",
    ]

    def rows(name):
        text = archive.read(name).decode("utf-8-sig")
        return list(csv.DictReader(io.StringIO(text, newline="")))

    positions = rows("positions.csv")
    assert len(positions) == len(document["positions"])
    for parsed, original in zip(positions, document["positions"], strict=True):
        for column in exports.POSITION_COLUMNS:
            expected = original[column]
            assert parsed[column] == ("" if expected is None else str(expected)), column
    votes = rows("votes.csv")
    assert [(int(v["position"]), v["participant"], v["vote"]) for v in votes] == [
        (v["position"], v["participant"], v["vote"]) for v in document["votes"]
    ]


def test_each_vote_is_exported_with_the_time_it_was_cast(seeded):
    # On PostgreSQL the export reads the times with psycopg's own loader, not Django's:
    # they must be the very instants the ORM reads, in the same notation.
    pseudonym = exports.pseudonyms(seeded, names=False)
    expected = sorted(
        (vote.position_id, pseudonym[vote.participant_id], vote.cast_at.isoformat())
        for vote in Vote.objects.filter(position__group__session=seeded, position__status="visible")
    )
    exported = [
        (v["position"], v["participant"], v["time"]) for v in exports.build(seeded)["votes"]
    ]
    assert sorted(exported) == expected
    assert len(expected) > 100 and all(time.endswith("+00:00") for _p, _v, time in exported)


def test_csv_keeps_commas_quotes_and_line_breaks_in_text(small):
    room_position = Position.objects.filter(group__session=small, status="visible").first()
    Position.objects.filter(pk=room_position.pk).update(text='He said "no", then\nleft; ünïcode')
    archive = zipfile.ZipFile(io.BytesIO(exports.to_csv_zip(exports.build(small))))
    text = archive.read("positions.csv").decode("utf-8-sig")
    texts = [row["text"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    assert 'He said "no", then\nleft; ünïcode' in texts


def test_csv_text_a_spreadsheet_would_run_as_a_formula_is_quoted(small):
    positions = Position.objects.filter(group__session=small, status="visible")[:2]
    Position.objects.filter(pk=positions[0].pk).update(text='=HYPERLINK("http://e.vil","x")')
    Position.objects.filter(pk=positions[1].pk).update(text="-2 is fine, +1 too")
    archive = zipfile.ZipFile(io.BytesIO(exports.to_csv_zip(exports.build(small))))
    text = archive.read("positions.csv").decode("utf-8-sig")
    texts = [row["text"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    assert '\'=HYPERLINK("http://e.vil","x")' in texts
    assert "'-2 is fine, +1 too" in texts
    assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)


def test_markdown_report_matches_the_golden_file(small):
    document = exports.build(small)
    report = _numbered_in_order(exports.to_markdown(document), document)
    assert report == GOLDEN.read_text(encoding="utf-8"), (
        "The report changed; if on purpose, regenerate tests/golden/report.md"
    )


def _numbered_in_order(report: str, document: dict) -> str:
    """The report with each position's id (its trail's links and anchors) replaced by its
    rank among the session's ids: the golden file cannot hold database ids, which differ
    from one database to another (PostgreSQL's sequences are not rolled back)."""
    rank = {
        p["id"]: n for n, p in enumerate(sorted(document["positions"], key=lambda p: p["id"]), 1)
    }
    return re.sub(
        r"(\[#|\(#position-|<a id=\"position-)(\d+)\b",
        lambda m: m[1] + str(rank.get(int(m[2]), m[2])),
        report,
    )


def test_markdown_escapes_markup_in_user_text(small):
    position = Position.objects.filter(group__session=small, status="visible").first()
    Position.objects.filter(pk=position.pk).update(text="<script>x</script> [link](http://e.vil)")
    report = exports.to_markdown(exports.build(small))
    assert "<script>" not in report
    assert "\\<script\\>" in report
    assert "[link](" not in report


def test_pdf_is_valid_and_contains_the_questions_and_top_recommendation(small, tmp_path):
    data = exports.to_pdf(exports.build(small))
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    text = " ".join(text.split())
    for question in small.paper.framing_questions():
        assert question.text in text
    assert "1. Publish NATO spending targets for every ally." in text
    assert exports.to_pdf(exports.build(small)) == data  # the same bytes every time


def test_exports_are_pseudonymous_by_default(small):
    names = list(Participant.objects.values_list("display_name", flat=True))
    document = exports.build(small)
    for format in exports.FORMATS:
        data = exports.render(document, format)
        if format == "csv":
            data = b"".join(
                zipfile.ZipFile(io.BytesIO(data)).read(n)
                for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
            )
        text = data.decode("utf-8", "ignore") if isinstance(data, bytes) else data
        for name in names:  # as a word: "Eve" is in "Every opinion group agrees"
            assert not re.search(rf"\b{re.escape(name)}\b", text), (format, name)
    assert {v["participant"] for v in document["votes"]} <= {f"P{i:03d}" for i in range(1, 6)}
    with_names = exports.build(small, names=True)
    assert "Ada" in {v["participant"] for v in with_names["votes"]}


def test_hidden_positions_and_reasons_only_in_the_full_record(small):
    plain = exports.to_json(exports.build(small))
    assert "Off topic" not in plain
    assert '"moderation"' not in plain
    full = exports.build(small, full=True)
    hidden = [p for p in full["positions"] if p["status"] == "hidden"]
    assert hidden and hidden[0]["moderation_reason"] == "Off topic"
    assert "moderation" in full
    assert "[hidden] Off topic rant: Off topic" in exports.to_markdown(full)


def test_group_export_has_only_that_groups_positions_and_their_votes(small):
    group = small.groups.get(name="Group 2")
    document = exports.build(small, group=group)
    assert {p["group"] for p in document["positions"]} == {"Group 2"}
    ids = {p["id"] for p in document["positions"]}
    assert {v["position"] for v in document["votes"]} <= ids
    assert [g["name"] for g in document["groups"]] == ["Group 2"]


def test_export_download_for_organizers_only(client, small, organizer, django_user_model):
    url = reverse("organizer:export", args=[small.pk])
    assert client.get(url).status_code == 302
    client.force_login(django_user_model.objects.create_user(username="fred"))
    assert client.get(url).status_code == 403
    client.force_login(organizer)
    response = client.get(url, {"format": "json"})
    assert response["Content-Disposition"] == 'attachment; filename="gld3n4-golden.json"'
    assert json.loads(response.content)["session"]["code"] == "GLD3N4"
    assert client.get(url, {"format": "exe"}).status_code == 400
    pdf = client.get(url, {"format": "pdf", "group": small.groups.first().pk})
    assert pdf["Content-Type"] == "application/pdf"


def test_export_session_command_writes_each_format(small, tmp_path):
    for format, suffix in (("md", ".md"), ("pdf", ".pdf"), ("csv", ".zip"), ("json", ".json")):
        err = StringIO()
        call_command(
            "export_session",
            "gld3n4",
            "--format",
            format,
            "-o",
            str(tmp_path / "out"),
            stderr=err,
        )
        assert (tmp_path / f"out{suffix}").stat().st_size > 0
        assert "gathering 5/5" in err.getvalue()
    with pytest.raises(CommandError, match="No session"):
        call_command("export_session", "ZZZZZZ", stderr=StringIO())
    with pytest.raises(CommandError, match="the groups are: Group 1, Group 2"):
        call_command("export_session", "GLD3N4", "--group", "Nope", stderr=StringIO())


def test_an_export_costs_the_same_queries_for_ten_people_or_sixty(published_paper):
    """Exports are fetched during a live session (docs/capacity.md, "Exports in a constant
    number of queries"): a query per position or per section made them slow under load,
    where every query waits its turn."""
    counted = []
    for n in (10, 60):
        session = services.create_session(paper=published_paper, name=f"{n}", group_count=3)
        demo.fill(session, n, seed=1)
        with CaptureQueriesContext(connection) as captured:
            exports.build(session, votes=True, full=True)
        counted.append(len(captured.captured_queries))
    assert counted[0] == counted[1] <= 15, counted


@pytest.mark.parametrize("format", ["md", "csv", "json", "pdf"])
def test_a_session_with_no_position_yet_exports(published_paper, format):
    """The opening minutes: people have joined, nobody has posted. The CSV and JSON exports
    answered 500 on PostgreSQL (the votes of no positions: an empty IN in a raw query),
    as the rehearsed opening rush found."""
    room = make_room(published_paper)
    data = exports.export_file(room.session.pk, None, False, False, format)
    assert data
