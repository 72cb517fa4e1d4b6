"""Pol.is open data in and out (discussions.polis_data, services.polis_interop, the commands).

The conversations here are generated (planted opinion groups, passes, a moderated-out comment,
votes changed later) or tests/polis_sample, a tiny conversation in the exact layout of
compdemocracy/openData (ms timestamps, Java datetimes in the server's zone, comments in no
particular order, a quoted multi-line body, votes cast twice).
"""

from __future__ import annotations

import csv
import io
import warnings
import zipfile
from dataclasses import replace
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from sklearn.metrics import adjusted_rand_score

from discussions import matrix, polis_data, services
from discussions import synthesis as syn
from discussions.models import BreakoutGroup, Paper, Participant, Position, Session, Vote
from discussions.polis_data import Comment, Conversation, PolisDataError, Summary
from discussions.services import polis_interop

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).parent / "polis_sample"
T0 = 1_700_000_000_000  # ms: 14 November 2023


# --------------------------------------------------------------------------------------------
# A generator of conversations with planted opinion groups


def generated(
    *,
    participants: int = 40,
    comments: int = 25,
    groups: int = 2,
    coverage: float = 0.85,
    noise: float = 0.05,
    passes: float = 0.1,
    moderated_out: tuple[int, ...] = (7,),
    revotes: int = 6,
    seed: int = 0,
) -> tuple[Conversation, list[polis_data.Vote], np.ndarray]:
    """A conversation, the votes as votes.csv writes them (earlier votes too), and each
    participant's planted opinion group.

    Participant i is in group i % groups; each group agrees or disagrees with each comment
    (all agree with the first three); each participant sees a share ``coverage`` of the
    comments and votes the group's stance, flipped with probability ``noise``, or passes with
    probability ``passes``. ``revotes`` votes are cast twice: first the other way, earlier.
    """
    rng = np.random.default_rng(seed)
    opinion = np.arange(participants) % groups
    stance = rng.choice([1, -1], size=(groups, comments))
    stance[:, :3] = 1
    texts = [
        "Alliances need burden sharing",
        'The "rules-based order" is worth defending, even at a cost',
        "Trade and security belong together.\nSeparate them and both fail",
        "Le multilatéralisme reste indispensable",
        "يجب إصلاح مجلس الأمن",
    ]
    conversation_comments = [
        Comment(
            id=i,
            author_id=int((7 * i) % participants),
            text=f"{texts[i % len(texts)]} ({i}).",
            moderated=(polis_data.MODERATED_OUT if i in moderated_out else polis_data.MODERATED_IN),
            timestamp_ms=T0 + i * 60_000,
        )
        for i in range(comments)
    ]
    latest: list[polis_data.Vote] = []
    for pid in range(participants):
        seen = np.flatnonzero(rng.random(comments) < coverage)
        for tid in seen:
            vote = int(stance[opinion[pid], tid])
            if rng.random() < noise:
                vote = -vote
            if rng.random() < passes:
                vote = polis_data.PASS
            at = T0 + 3_600_000 + pid * 10_000 + int(tid) * 97 + int(rng.integers(0, 50))
            latest.append(polis_data.Vote(int(tid), pid, vote, at))
    history = list(latest)
    for index in rng.choice(len(latest), size=revotes, replace=False):
        later = latest[index]
        first = replace(later, vote=-later.vote or 1, timestamp_ms=later.timestamp_ms - 5_000)
        history.append(first)
    latest.sort(key=lambda v: (v.comment_id, v.voter_id))
    conversation = Conversation(
        comments=conversation_comments,
        votes=latest,
        summary=Summary(topic="Alliances", description="What should the alliance do next?"),
    )
    return conversation, history, opinion


def files_of(conversation: Conversation, history: list[polis_data.Vote] | None = None):
    """The conversation's four files, votes.csv with the earlier votes too."""
    files = polis_data.write_conversation(conversation)
    if history is not None:
        files[polis_data.VOTES] = polis_data.write_votes(history)
    return files


def import_files(files: dict[str, bytes], **options) -> Session:
    return services.import_polis_conversation(
        comments=files[polis_data.COMMENTS],
        votes=files[polis_data.VOTES],
        participants_votes=files.get(polis_data.PARTICIPANTS_VOTES),
        summary=files.get(polis_data.SUMMARY),
        **options,
    )


def read_files(files: dict[str, bytes]) -> Conversation:
    return polis_data.read_conversation(
        comments=files[polis_data.COMMENTS],
        votes=files[polis_data.VOTES],
        participants_votes=files[polis_data.PARTICIPANTS_VOTES],
        summary=files[polis_data.SUMMARY],
    )


def vote_matrix(conversation: Conversation) -> np.ndarray:
    """Participants (by id) x comments not moderated out (by id), as the synthesis takes it."""
    pids = conversation.participant_ids
    kept = [c.id for c in conversation.comments if c.moderated != polis_data.MODERATED_OUT]
    row = {pid: i for i, pid in enumerate(pids)}
    column = {tid: j for j, tid in enumerate(kept)}
    V = np.full((len(pids), len(kept)), np.nan)
    for v in conversation.votes:
        if v.comment_id in column:
            V[row[v.voter_id], column[v.comment_id]] = v.vote
    return V


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Paper, Session, Participant, Position, Vote))


# --------------------------------------------------------------------------------------------
# Round trip and synthesis


def test_export_import_export_gives_the_same_comments_and_votes():
    conversation, history, _ = generated()
    session = import_files(files_of(conversation, history))
    exported = services.export_polis_conversation(session)
    again = read_files(exported)

    assert [replace(c, agrees=None, disagrees=None) for c in again.comments] == (
        conversation.comments
    )
    for c in again.comments:  # agrees and disagrees: counted from the latest votes
        cast = [v.vote for v in conversation.votes if v.comment_id == c.id]
        assert (c.agrees, c.disagrees) == (cast.count(1), cast.count(-1))
    assert again.votes == conversation.votes  # the latest votes only, with their moments
    assert again.superseded_votes == 0
    assert again.summary.topic == "Alliances"
    assert again.summary.description == "What should the alliance do next?"
    assert again.summary.voters == 40 and again.summary.comments == 25

    # And once more: the second export is the first, byte for byte.
    second = services.export_polis_conversation(import_files(exported))
    for name in (polis_data.COMMENTS, polis_data.VOTES, polis_data.PARTICIPANTS_VOTES):
        assert second[name] == exported[name], name


def test_the_import_makes_one_closed_group_with_participants_positions_and_votes():
    conversation, history, _ = generated()
    session = import_files(files_of(conversation, history))

    assert session.name == "Alliances"
    assert not session.joining_open
    assert session.polis_notes == [
        "6 earlier votes were replaced by the same voter's later vote on the same comment: "
        "the latest vote counts."
    ]
    group = session.groups.get()
    assert group.phase == BreakoutGroup.Phase.CLOSED
    assert group.current_prompt.heading == "What should the alliance do next?"
    assert session.paper.title == "Alliances" and not session.paper.is_draft
    names = list(session.participants.order_by("joined_at", "pk").values_list("display_name"))
    assert names == [(f"Participant {i}",) for i in range(40)]
    positions = Position.objects.filter(group=group).order_by("pk")
    assert [p.text for p in positions] == [c.text for c in conversation.comments]
    hidden = positions.get(status=Position.Status.HIDDEN)
    assert hidden.text == conversation.comments[7].text
    assert hidden.moderation_reason == "Moderated out in Pol.is"
    assert positions.filter(status=Position.Status.VISIBLE).count() == 24
    assert Vote.objects.filter(position__group=group).count() == len(conversation.votes)
    first = positions.first()
    assert polis_data.ms_from_datetime(first.created_at) == T0
    assert first.author.display_name == "Participant 0"

    # The same topic again: the same paper, a new session.
    again = import_files(files_of(conversation, history))
    assert again.paper_id == session.paper_id and again.pk != session.pk


def test_the_synthesis_of_the_import_finds_the_opinion_groups_of_the_original():
    conversation, history, opinion = generated(groups=2)
    original = syn.opinion_groups(vote_matrix(conversation))
    assert original.k == 2
    assert adjusted_rand_score(opinion, original.labels) == 1.0  # the planted groups

    session = import_files(files_of(conversation, history))
    m = matrix.session_matrix(session)
    np.testing.assert_array_equal(m.V, vote_matrix(conversation))  # NaN where not voted
    imported = syn.opinion_groups(m.V)
    assert imported.k == original.k
    np.testing.assert_array_equal(imported.labels, original.labels)
    np.testing.assert_array_equal(imported.coords, original.coords)
    assert imported.consensus == original.consensus
    assert imported.representative == original.representative

    # participants-votes.csv's group-id is that opinion group, as Pol.is writes its own.
    exported = read_files(services.export_polis_conversation(session))
    assert exported.group_ids == {
        pid: int(label) for pid, label in enumerate(original.labels) if label >= 0
    }
    assert exported.summary.groups == 2


def test_red_dwarf_reads_the_export_and_finds_the_same_groups():
    """The exported files through red-dwarf's own CSV path (Loader.load_remote_export_data_*:
    csv.DictReader rows into its Vote and Statement models, then the latest vote kept), and
    its Pol.is pipeline: the same opinion groups."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pydantic warns about red-dwarf's models on import
        from reddwarf.data_loader import Loader
        from reddwarf.implementations.polis import run_pipeline
        from reddwarf.models import Statement
        from reddwarf.models import Vote as RedDwarfVote

    conversation, history, opinion = generated(groups=2)
    exported = services.export_polis_conversation(import_files(files_of(conversation, history)))
    loader = Loader()
    text = exported[polis_data.COMMENTS].decode()
    loader.comments_data = [
        Statement(**row).model_dump(mode="json") for row in csv.DictReader(StringIO(text))
    ]
    text = exported[polis_data.VOTES].decode()
    loader.votes_data = [
        RedDwarfVote(**row).model_dump(mode="json") for row in csv.DictReader(StringIO(text))
    ]
    loader.filter_duplicate_votes(keep="recent")

    assert {s["statement_id"]: s["moderated"] for s in loader.comments_data} == {
        c.id: c.moderated for c in conversation.comments
    }
    assert sorted(
        (v["statement_id"], v["participant_id"], v["vote"]) for v in loader.votes_data
    ) == [(v.comment_id, v.voter_id, v.vote) for v in conversation.votes]
    assert {v["modified"] for v in loader.votes_data} == {
        float(v.timestamp_ms) for v in conversation.votes
    }

    mod_out = [s["statement_id"] for s in loader.comments_data if s["moderated"] == -1]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Passing a list to DataFrame.from_dict")
        result = run_pipeline(
            votes=[v for v in loader.votes_data if v["statement_id"] not in mod_out],
            random_state=0,
        )
    labels = result.participants_df.sort_index()["cluster_id"].to_numpy()
    assert result.clusterer.n_clusters == 2
    assert adjusted_rand_score(opinion, labels) == 1.0


# --------------------------------------------------------------------------------------------
# The sample in openData's layout, and the commands


def test_the_sample_in_open_data_layout_imports_with_the_command():
    out, err = StringIO(), StringIO()
    call_command("import_polis", str(SAMPLE), stdout=out, stderr=err)

    session = Session.objects.get()
    assert f"as session {session.pk} (code {session.code})" in out.getvalue()
    assert "7 participants, 6 positions (1 not visible), 25 votes." in out.getvalue()
    assert f"Organizer page: {session.get_absolute_url()}\n" in out.getvalue()
    assert "2 earlier votes were replaced" in err.getvalue()
    assert session.name == "$15/hour"
    prompt = session.groups.get().current_prompt
    assert (
        prompt.heading == "How will the new minimum wage law affect Seattle?\nBetter or worse? Why?"
    )

    by_name = {p.display_name: p for p in session.participants.all()}
    assert sorted(by_name) == sorted(f"Participant {i}" for i in (0, 1, 2, 3, 5, 8, 12))
    texts = dict(Position.objects.filter(group__session=session).values_list("text", "status"))
    assert texts == {
        "Seattle's minimum wage should rise to $15 an hour.": "visible",
        "Small businesses will struggle to pay it.": "visible",  # its line break trimmed
        'Workers deserve a "living wage", not a minimum.': "visible",
        "Hello.": "hidden",  # moderated -1
        "Prices, not wages, are the real problem.": "visible",  # moderated 0
        "Robots will replace cashiers sooner.": "visible",
    }
    # Participant 8 disagreed with comment 0, then agreed: the later vote counts.
    vote = Vote.objects.get(
        participant=by_name["Participant 8"], position__text__startswith="Seattle"
    )
    assert vote.choice == Vote.Choice.AGREE
    assert polis_data.ms_from_datetime(vote.cast_at) == 1403060166323


def test_the_sample_with_strict_moderation_leaves_unmoderated_comments_for_review():
    call_command(
        "import_polis", str(SAMPLE), "--strict-moderation", stdout=StringIO(), stderr=StringIO()
    )
    pending = Position.objects.get(status=Position.Status.PENDING)
    assert pending.text == "Prices, not wages, are the real problem."


def test_import_polis_takes_two_files_and_options():
    out = StringIO()
    call_command(
        "import_polis",
        str(SAMPLE / "comments.csv"),
        str(SAMPLE / "votes.csv"),
        "--name",
        "Seattle wage, imported",
        stdout=out,
        stderr=StringIO(),
    )
    session = Session.objects.get()
    assert session.name == "Seattle wage, imported"
    # Without summary.csv: a paper titled as Pol.is conversations are by default.
    assert session.paper.title == "Pol.is conversation"


def test_import_polis_refuses_in_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "comments.csv").write_bytes((SAMPLE / "comments.csv").read_bytes())
    (tmp_path / "votes.csv").write_text("timestamp,comment-id,voter-id\n1,0,0\n")
    with pytest.raises(CommandError, match="votes.csv has no column vote"):
        call_command("import_polis", str(tmp_path), stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="Give votes.csv after comments.csv"):
        call_command("import_polis", str(tmp_path / "comments.csv"), stdout=StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_polis", str(tmp_path / "nothing.csv"), str(tmp_path / "x.csv"))
    assert counts() == (0, 0, 0, 0, 0)


def test_export_polis_writes_the_four_files_and_keeps_existing_ones(tmp_path):
    call_command("import_polis", str(SAMPLE), stdout=StringIO(), stderr=StringIO())
    session = Session.objects.get()
    out = StringIO()
    call_command("export_polis", str(session.pk), str(tmp_path / "out"), stdout=out)
    assert "6 comments, 25 votes, 7 participants" in out.getvalue()
    written = {name: (tmp_path / "out" / name).read_bytes() for name in polis_data.FILES}
    assert written == services.export_polis_conversation(session)

    # The export, read again, is the sample's conversation with ids made dense 0..6.
    original = polis_data.read_conversation(
        comments=(SAMPLE / "comments.csv").read_bytes(),
        votes=(SAMPLE / "votes.csv").read_bytes(),
    )
    again = read_files(written)
    dense = {pid: i for i, pid in enumerate(original.participant_ids)}
    assert [(v.comment_id, dense[v.voter_id], v.vote, v.timestamp_ms) for v in original.votes] == [
        (v.comment_id, v.voter_id, v.vote, v.timestamp_ms) for v in again.votes
    ]
    assert [c.moderated for c in again.comments] == [1, 1, 1, -1, 1, 1]  # 0 became 1
    assert written[polis_data.COMMENTS].splitlines()[1] == (
        b"1403054214174,Wed Jun 18 01:16:54 UTC 2014,0,0,4,2,1,"
        b"Seattle's minimum wage should rise to $15 an hour."
    )
    assert written[polis_data.SUMMARY].startswith(b"topic,$15/hour\nurl,/")

    with pytest.raises(CommandError, match="already has comments.csv"):
        call_command("export_polis", session.code, str(tmp_path / "out"), stdout=StringIO())
    call_command("export_polis", session.code, str(tmp_path / "out"), "--force", stdout=out)
    with pytest.raises(CommandError, match="No session has the id or code"):
        call_command("export_polis", "999999", str(tmp_path / "other"), stdout=StringIO())


def test_export_of_a_live_session_maps_every_status_and_group():
    from tests.factories import make_demo_session, make_participant, make_position, make_vote

    session = make_demo_session("Live", group_count=2)
    first, second = session.groups.order_by("position")
    ada, ben = make_participant(first, "Ada"), make_participant(second, "Ben")
    statuses = ["visible", "pending", "hidden", "rejected", "merged"]
    positions = [
        make_position(ada if i % 2 == 0 else ben, f"Position {i}", status=status)
        for i, status in enumerate(statuses)
    ]
    make_vote(ben, positions[0], 1)
    make_vote(ada, positions[1], -1)
    make_vote(ada, positions[2], 0)

    conversation = read_files(
        services.export_polis_conversation(session, site_url="https://x.org/")
    )
    assert [(c.id, c.author_id, c.moderated) for c in conversation.comments] == [
        (0, 0, 1), (1, 1, 0), (2, 0, -1), (3, 1, -1), (4, 0, -1),
    ]  # fmt: skip
    assert [(v.comment_id, v.voter_id, v.vote) for v in conversation.votes] == [
        (0, 1, 1), (1, 0, -1), (2, 0, 0),
    ]  # fmt: skip
    assert conversation.summary.url == "https://x.org" + session.get_absolute_url()
    assert conversation.summary.topic == "Live"
    # group-id: the opinion groups of the session's synthesis (Ada is P001, Ben P002).
    m = matrix.session_matrix(session)
    labels = syn.opinion_groups(m.V).labels
    pid = {ada.pk: 0, ben.pk: 1}
    assert conversation.group_ids == {
        pid[pk]: int(label)
        for pk, label in zip(m.participant_ids, labels, strict=True)
        if label >= 0
    }


# --------------------------------------------------------------------------------------------
# Refusals: a message for a person, and nothing written


SAMPLE_COMMENTS = (SAMPLE / "comments.csv").read_bytes()
SAMPLE_VOTES = (SAMPLE / "votes.csv").read_bytes()
SAMPLE_PARTICIPANTS_VOTES = (SAMPLE / "participants-votes.csv").read_bytes()
HEADER = b"timestamp,datetime,comment-id,voter-id,vote\n"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"votes": b"timestamp,datetime,comment-id,voter-id\n1,x,0,0\n"},
            "votes.csv has no column vote: its header is timestamp,datetime,comment-id,"
            "voter-id; Pol.is open data's is timestamp,datetime,comment-id,voter-id,vote",
        ),
        (
            {"comments": b"timestamp,comment-id,author-id,comment-body\n"},
            "comments.csv has no column moderated",
        ),
        (
            {"votes": HEADER + b"1403059207919,x,0,0,2\n"},
            "votes.csv line 2: the vote is '2'; Pol.is writes 1 (agree), -1 (disagree) or 0 "
            "(pass).",
        ),
        (
            {"votes": HEADER + b"1403059207919,x,0,0,agree\n"},
            "votes.csv line 2: the vote is 'agree'",
        ),
        (
            {"votes": HEADER + b"1,x,0,0,1\n1,x,99,0,1\n1,x,42,3,1\n"},
            "votes.csv has votes on 2 comments that comments.csv does not have: comment 42 "
            "(line 4), comment 99 (line 3). Are the two files from the same conversation?",
        ),
        (
            {"votes": HEADER + b"1,x,0,-3,1\n"},
            "votes.csv line 2: voter-id is -3; ids are 0 to 2,147,483,647.",
        ),
        ({"votes": HEADER + b"soon,x,0,3,1\n"}, "timestamp is 'soon', not a whole number"),
        ({"votes": HEADER + b"1,x,0,3\n"}, "votes.csv line 2 has 4 fields; the header has 5."),
        ({"votes": HEADER + b'1,"x,0,3,1\n'}, "votes.csv line 2: unexpected end of data."),
        ({"votes": b""}, "votes.csv is empty: it should start with the header timestamp,"),
        ({"votes": HEADER + b"1,\xff,0,3,1\n"}, "votes.csv is not UTF-8 text (byte 46"),
        (
            {"comments": SAMPLE_COMMENTS.replace(b",1,Robots", b",2,Robots")},
            "comments.csv line 8: moderated is '2'; Pol.is writes 1 (accepted), 0 (not "
            "moderated) or -1 (moderated out).",
        ),
        (
            {"comments": SAMPLE_COMMENTS + SAMPLE_COMMENTS.splitlines(keepends=True)[-1]},
            "comments.csv line 9: comment 5 appears twice.",
        ),
        (
            {"comments": SAMPLE_COMMENTS.replace(b"Hello.", b"  ")},
            "Comments without text cannot be positions: 3.",
        ),
        (
            {"comments": SAMPLE_COMMENTS.replace(b"Hello.", b"x" * 501)},
            "A position holds at most 500 characters; these comments are longer: 3.",
        ),
        (
            {
                "participants_votes": SAMPLE_PARTICIPANTS_VOTES.replace(
                    b"1,1,0,5,3,2,1,-1,1,1,,-1", b"1,1,0,5,3,2,-1,1,-1,-1,,1"
                )
            },
            "votes.csv and participants-votes.csv disagree on 5 of the 25 votes both show.",
        ),
        (
            {"participants_votes": SAMPLE_PARTICIPANTS_VOTES.replace(b",5\n", b",7\n", 1)},
            "participants-votes.csv has a column for comment 7, which comments.csv does not have.",
        ),
    ],
)
def test_malformed_files_are_refused_with_a_message_and_nothing_is_written(files, message):
    given = {
        "comments": SAMPLE_COMMENTS,
        "votes": SAMPLE_VOTES,
        "participants_votes": SAMPLE_PARTICIPANTS_VOTES,
        **files,
    }
    with pytest.raises(services.ServiceError) as refused:
        services.import_polis_conversation(**given)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("cap", "value", "message"),
    [
        ("MAX_COMMENTS", 5, "comments.csv has more than 5 comments."),
        ("MAX_VOTE_ROWS", 20, "votes.csv has more than 20 votes."),
        ("MAX_PARTICIPANTS", 6, "The conversation has 7 participants (authors and voters); "),
    ],
)
def test_files_over_a_cap_are_refused(monkeypatch, cap, value, message):
    monkeypatch.setattr(polis_data.reading, cap, value)  # where read_* look the caps up
    with pytest.raises(
        services.ServiceError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        services.import_polis_conversation(comments=SAMPLE_COMMENTS, votes=SAMPLE_VOTES)
    assert counts() == (0, 0, 0, 0, 0)


def test_a_file_over_its_size_cap_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setitem(polis_data.MAX_BYTES, polis_data.VOTES, 1024 * 1024)
    with pytest.raises(services.ServiceError, match=r"votes.csv is 2.0 MB; at most 1 MB is read."):
        services.import_polis_conversation(
            comments=SAMPLE_COMMENTS, votes=SAMPLE_VOTES + b" " * (2 * 1024 * 1024)
        )


def test_a_failure_while_writing_leaves_nothing(monkeypatch):
    def broken(rows):
        list(rows)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(polis_interop, "_insert_votes", broken)
    with pytest.raises(RuntimeError):
        services.import_polis_conversation(comments=SAMPLE_COMMENTS, votes=SAMPLE_VOTES)
    assert counts() == (0, 0, 0, 0, 0)


# --------------------------------------------------------------------------------------------
# Reading details


def test_the_latest_vote_wins_and_a_tie_goes_to_the_later_row():
    votes = HEADER + (
        b"1403059300,x,0,1,1\n"  # seconds (Pol.is's later exporter): 1403059300000 ms
        b"1403059299999,x,0,1,-1\n"  # earlier, though later in the file
        b"1403059400000,x,1,1,1\n"
        b"1403059400000,x,1,1,0\n"  # same moment: the later row
    )
    read = polis_data.read_conversation(comments=SAMPLE_COMMENTS, votes=votes)
    assert [(v.comment_id, v.voter_id, v.vote, v.timestamp_ms) for v in read.votes] == [
        (0, 1, 1, 1403059300000),
        (1, 1, 0, 1403059400000),
    ]
    assert read.superseded_votes == 2


def test_votes_written_with_agree_as_minus_one_are_recognised_from_participants_votes():
    flipped = StringIO()
    writer = csv.writer(flipped, lineterminator="\n")
    for index, row in enumerate(csv.reader(StringIO(SAMPLE_VOTES.decode()))):
        writer.writerow(row if index == 0 else [*row[:4], -int(row[4])])
    inverted = flipped.getvalue().encode()

    read = polis_data.read_conversation(
        comments=SAMPLE_COMMENTS, votes=inverted, participants_votes=SAMPLE_PARTICIPANTS_VOTES
    )
    expected = polis_data.read_conversation(comments=SAMPLE_COMMENTS, votes=SAMPLE_VOTES)
    assert read.votes == expected.votes
    assert read.notes[0].startswith("votes.csv writes agree as -1")
    # Told, without participants-votes.csv; and told wrong, refused.
    told = polis_data.read_conversation(comments=SAMPLE_COMMENTS, votes=inverted, invert_votes=True)
    assert told.votes == expected.votes
    with pytest.raises(PolisDataError, match="disagree on 22 of the 25 votes"):
        polis_data.read_conversation(
            comments=SAMPLE_COMMENTS,
            votes=inverted,
            participants_votes=SAMPLE_PARTICIPANTS_VOTES,
            invert_votes=False,
        )


def test_the_sample_reads_as_open_data_describes_it():
    read = polis_data.read_conversation(
        comments=SAMPLE_COMMENTS,
        votes=SAMPLE_VOTES,
        participants_votes=SAMPLE_PARTICIPANTS_VOTES,
        summary=(SAMPLE / "summary.csv").read_bytes(),
    )
    assert [c.id for c in read.comments] == [0, 1, 2, 3, 4, 5]
    assert read.comments[1].text == "Small businesses will struggle to pay it.\n"
    assert read.comments[4] == Comment(4, 12, "Prices, not wages, are the real problem.", 0,
                                       1403059108108, agrees=3, disagrees=1)  # fmt: skip
    assert read.participant_ids == [0, 1, 2, 3, 5, 8, 12]
    assert read.group_ids == {0: 0, 1: 1, 2: 1, 3: 0, 8: 0}
    assert read.summary == Summary(
        topic="$15/hour",
        url="https://pol.is/2demo",
        description="How will the new minimum wage law affect Seattle?\nBetter or worse? Why?",
        views=9, voters=7, voters_in_conv=5, commenters=4, comments=6, groups=2,
    )  # fmt: skip
    # Written again: what the conversation says, in openData's columns.
    summary = polis_data.write_summary(read).decode()
    assert summary == (
        "topic,$15/hour\nurl,https://pol.is/2demo\nviews,9\nvoters,7\nvoters-in-conv,5\n"
        'commenters,4\ncomments,6\ngroups,2\nconversation-description,"How will the new '
        'minimum wage law affect Seattle?\nBetter or worse? Why?"\n'
    )
    assert polis_data.write_participants_votes(read) == SAMPLE_PARTICIPANTS_VOTES


def test_polis_datetime_is_javas_date_to_string_in_utc():
    assert polis_data.polis_datetime(1403054214196) == "Wed Jun 18 01:16:54 UTC 2014"
    assert polis_data.datetime_from_ms(1403054214196).microsecond == 196_000
    assert polis_data.ms_from_datetime(polis_data.datetime_from_ms(1403054214196)) == (
        1403054214196
    )


# --------------------------------------------------------------------------------------------
# A large conversation (how fast it imports is measured, not tested: see docs/exports.md)


def test_a_conversation_of_2000_participants_and_100000_votes_imports_every_vote():
    conversation, history, _ = generated(
        participants=2_000, comments=100, groups=3, coverage=0.5, revotes=0, seed=1
    )
    assert len(conversation.votes) == pytest.approx(100_000, rel=0.01)
    session = import_files(files_of(conversation))
    assert Vote.objects.filter(position__group__session=session).count() == len(conversation.votes)


# --------------------------------------------------------------------------------------------
# The organizer's download


def test_the_organizer_downloads_a_session_as_polis_open_data(organizer_client):
    conversation, _history, _ = generated(participants=20, comments=8, groups=2, seed=3)
    session = import_files(files_of(conversation))
    answer = organizer_client.get(
        reverse("organizer:export", args=[session.pk]), {"format": "polis"}
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/zip"
    assert answer["Content-Disposition"].endswith('-polis.zip"')
    files = zipfile.ZipFile(io.BytesIO(answer.content))
    assert sorted(files.namelist()) == [
        "comments.csv",
        "participants-votes.csv",
        "summary.csv",
        "votes.csv",
    ]
    again = polis_data.read_conversation(
        comments=files.read("comments.csv"), votes=files.read("votes.csv")
    )
    assert len(again.comments) == len(conversation.comments)
    assert len(again.votes) == len(conversation.votes)


def test_the_polis_download_is_for_organizers_only(client, outsider_client):
    session = import_files(files_of(generated(participants=6, comments=3, groups=2, seed=1)[0]))
    url = reverse("organizer:export", args=[session.pk])
    assert outsider_client.get(url, {"format": "polis"}).status_code in (302, 403)


# --------------------------------------------------------------------------------------------
# The organizer's import form


def polis_upload(files: dict[str, bytes], **fields):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {
        "comments": SimpleUploadedFile("comments.csv", files[polis_data.COMMENTS], "text/csv"),
        "votes": SimpleUploadedFile("votes.csv", files[polis_data.VOTES], "text/csv"),
        **fields,
    }
    for field, file in (
        ("participants_votes", polis_data.PARTICIPANTS_VOTES),
        ("summary", polis_data.SUMMARY),
    ):
        if file in files:
            form[field] = SimpleUploadedFile(file, files[file], "text/csv")
    return form


def test_the_organizer_imports_a_conversation_and_lands_on_its_session(organizer_client):
    home = organizer_client.get(reverse("organizer:home"))
    assert reverse("organizer:import_polis") in home.content.decode()
    conversation, history, _ = generated()
    response = organizer_client.post(
        reverse("organizer:import_polis"),
        polis_upload(files_of(conversation, history), name="Alliances, from Pol.is"),
        follow=True,
    )
    session = Session.objects.get()
    assert response.redirect_chain == [(session.get_absolute_url(), 302)]
    assert session.name == "Alliances, from Pol.is"
    assert not session.joining_open
    assert Participant.objects.filter(session=session).count() == 40
    assert Vote.objects.filter(position__group__session=session).count() == len(conversation.votes)
    page = response.content.decode()
    assert "Imported the Pol.is conversation as the session" in page
    assert "6 earlier votes were replaced" in page


def test_the_import_form_has_a_default_name(organizer_client):
    conversation, _, _ = generated(participants=10, comments=6, revotes=0)
    files = files_of(conversation)
    del files[polis_data.PARTICIPANTS_VOTES]
    response = organizer_client.post(reverse("organizer:import_polis"), polis_upload(files))
    session = Session.objects.get()
    assert response.status_code == 302 and response.url == session.get_absolute_url()
    assert session.name == "Alliances"  # summary.csv's topic
    del files[polis_data.SUMMARY]
    organizer_client.post(reverse("organizer:import_polis"), polis_upload(files))
    assert Session.objects.latest("pk").name == polis_interop.DEFAULT_TOPIC


def test_a_malformed_votes_file_is_refused_in_the_organizers_language(organizer_client):
    organizer_client.cookies["django_language"] = "fr"
    files = {
        polis_data.COMMENTS: SAMPLE_COMMENTS,
        polis_data.VOTES: HEADER + b"1403059207919,x,0,0,2\n",
    }
    response = organizer_client.post(reverse("organizer:import_polis"), polis_upload(files))
    assert response.status_code == 400
    page = response.content.decode()
    assert "votes.csv, ligne 2\u00a0: le vote est &#x27;2&#x27;" in page
    assert "Pol.is écrit 1 (pour), -1 (contre) ou 0 (abstention)." in page
    assert counts() == (0, 0, 0, 0, 0)
    assert not Session.objects.exists()


def test_an_import_file_over_its_cap_is_refused_before_it_is_read(organizer_client, monkeypatch):
    monkeypatch.setitem(polis_data.MAX_BYTES, polis_data.VOTES, 1024)
    files = {polis_data.COMMENTS: SAMPLE_COMMENTS, polis_data.VOTES: SAMPLE_VOTES + b" " * 2048}
    response = organizer_client.post(reverse("organizer:import_polis"), polis_upload(files))
    assert response.status_code == 400
    assert "aria-invalid" in response.content.decode()
    assert not Session.objects.exists()


def test_the_import_is_for_organizers_only(client, outsider_client):
    conversation, history, _ = generated(participants=10, comments=6)
    url = reverse("organizer:import_polis")
    response = outsider_client.post(url, polis_upload(files_of(conversation, history)))
    assert response.status_code in (302, 403)
    assert not Session.objects.exists()
    assert outsider_client.get(url).status_code in (302, 403, 405)
