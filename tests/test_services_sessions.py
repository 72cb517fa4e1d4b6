import functools
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from discussions import services
from discussions.models import (
    JOIN_CODE_ALPHABET,
    BreakoutGroup,
    Participant,
    Session,
    generate_join_code,
)
from tests.factories import make_participant, make_session

pytestmark = pytest.mark.django_db

AMBIGUOUS = "0O1IL2Z5S8B"


@pytest.fixture
def session(published_paper):
    session = make_session(published_paper, group_count=3)
    Session.objects.filter(pk=session.pk).update(code="NJQUWJ")
    session.refresh_from_db()
    return session


def groups_of(session: Session) -> list[BreakoutGroup]:
    return list(session.groups.order_by("position"))


def refusal(call, *args, **kwargs) -> str:
    """The message of the ServiceError the call raises; it must be one line."""
    with pytest.raises(services.ServiceError) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


def test_join_code_alphabet_has_no_characters_that_are_misheard_or_misread():
    assert not set(AMBIGUOUS) & set(JOIN_CODE_ALPHABET)
    assert len(set(JOIN_CODE_ALPHABET)) == len(JOIN_CODE_ALPHABET)
    codes = {generate_join_code() for _ in range(200)}
    assert all(len(code) == 6 and set(code) <= set(JOIN_CODE_ALPHABET) for code in codes)


def test_create_session_draws_a_code_from_the_alphabet(published_paper):
    session = make_session(published_paper)
    assert set(session.code) <= set(JOIN_CODE_ALPHABET)
    assert [g.name for g in session.groups.order_by("position")] == ["Group 1", "Group 2"]


@pytest.mark.parametrize("capacity", [0, -3, services.MAX_GROUP_CAPACITY + 1, 10**30])
def test_create_session_refuses_a_group_capacity_out_of_bounds_and_creates_nothing(
    published_paper, capacity
):
    message = refusal(
        services.create_session,
        paper=published_paper,
        name="Too many",
        group_count=2,
        group_capacity=capacity,
    )
    assert message == "A group's capacity is 1 to 10,000 people (or empty for no limit)."
    assert not Session.objects.exists()


@pytest.mark.parametrize("typed", ["NJQUWJ", "njq uwj", "NJQ-UWJ", "  njq.uwj  ", "Njq_Uwj"])
def test_find_session_normalises_what_people_type(session, typed):
    assert services.find_session(typed) == session


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ACDEFG", "No session has the code ACDEFG"),
        ("hello!", "“hello!” is not a join code"),
        ("NJQUW0", "is not a join code"),
        ("<script>", "is not a join code"),
        ("NJQUWJNJQUWJN", "is not a join code"),
        ("", "Type the join code"),
        ("  - ", "Type the join code"),
    ],
)
def test_find_session_refuses_unknown_garbage_and_empty_codes(session, typed, message):
    assert message in refusal(services.find_session, typed)


def test_find_session_refuses_a_session_with_joining_closed_until_it_reopens(session):
    services.set_joining_open(session=session, is_open=False)
    assert refusal(services.find_session, "NJQUWJ") == (
        "Session NJQUWJ is no longer open for joining."
    )
    services.set_joining_open(session=session, is_open=True)
    assert services.find_session("NJQUWJ") == session


def test_find_session_refuses_a_session_whose_join_code_expired(session):
    session.join_expires_at = timezone.now() - timedelta(seconds=1)
    session.save()
    assert "no longer open for joining" in refusal(services.find_session, "njq-uwj")
    session.join_expires_at = timezone.now() + timedelta(minutes=5)
    session.save()
    assert services.find_session("njq-uwj") == session


def test_join_session_in_a_choose_session_puts_the_participant_in_the_chosen_group(session):
    second = groups_of(session)[1]
    participant = services.join_session(session=session, display_name="Ada", group_id=second.pk)
    assert (participant.session, participant.group, participant.display_name) == (
        session,
        second,
        "Ada",
    )


def test_join_session_in_a_choose_session_refuses_no_group_or_another_sessions_group(
    session, published_paper
):
    elsewhere = groups_of(make_session(published_paper, name="Afternoon"))[0]
    for group_id in (None, elsewhere.pk, 10**9):
        message = refusal(
            services.join_session, session=session, display_name="Ada", group_id=group_id
        )
        assert message == "Choose one of this session's groups."
    assert not Participant.objects.exists()


def test_join_session_refuses_a_full_group_and_writes_nothing(session):
    Session.objects.filter(pk=session.pk).update(group_capacity=2)
    session.refresh_from_db()
    first, second, _third = groups_of(session)
    make_participant(first, "Ada")
    make_participant(first, "Ben")
    message = refusal(services.join_session, session=session, display_name="Cy", group_id=first.pk)
    assert message == "Group 1 is full: choose another group."
    assert Participant.objects.count() == 2
    assert services.join_session(session=session, display_name="Cy", group_id=second.pk)


def test_join_session_auto_places_in_the_least_full_group_ties_broken_by_position(
    published_paper,
):
    session = make_session(published_paper, group_count=3, assignment="auto")
    first, second, third = groups_of(session)
    # Positions, not primary keys, break ties: put the third group first.
    BreakoutGroup.objects.filter(pk=third.pk).update(position=0)
    BreakoutGroup.objects.filter(pk=first.pk).update(position=2)
    make_participant(second, "Already here")
    placed = [
        services.join_session(session=session, display_name=f"P{i}").group_id for i in range(5)
    ]
    assert placed == [third.pk, first.pk, third.pk, second.pk, first.pk]


def test_join_session_auto_refuses_when_every_group_is_full_and_writes_nothing(published_paper):
    session = make_session(published_paper, group_count=2, assignment="auto", group_capacity=1)
    services.join_session(session=session, display_name="Ada")
    services.join_session(session=session, display_name="Ben")
    assert sorted(Participant.objects.values_list("group__name", flat=True)) == [
        "Group 1",
        "Group 2",
    ]
    message = refusal(services.join_session, session=session, display_name="Cy")
    assert message == "Every group is full: ask the organizer to make room."
    assert Participant.objects.count() == 2


def test_join_session_refuses_once_joining_closed_even_with_a_session_found_before(session):
    found = services.find_session("NJQUWJ")
    services.set_joining_open(session=session, is_open=False)
    group = groups_of(session)[0]
    message = refusal(services.join_session, session=found, display_name="Ada", group_id=group.pk)
    assert message == "Session NJQUWJ is no longer open for joining."
    assert not Participant.objects.exists()


def test_join_session_trims_the_display_name(session):
    group = groups_of(session)[0]
    participant = services.join_session(
        session=session, display_name="  Ada \t Lovelace \n", group_id=group.pk
    )
    assert participant.display_name == "Ada Lovelace"


def test_join_session_keeps_a_name_in_its_own_direction_and_names_near_a_title(session):
    group = groups_of(session)[0]
    reversed_rest = services.join_session(
        session=session, display_name="Ada\u202e nosaJ", group_id=group.pk
    )
    assert reversed_rest.display_name == "Ada nosaJ"
    for name in ["Hosting Ann", "Stafford", "Ann the facilitator's friend", "Chairwoman"]:
        assert services.join_session(session=session, display_name=name, group_id=group.pk)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "The display name cannot be empty."),
        (" \n\t ", "The display name cannot be empty."),
        ("\u200b\u2060\ufeff", "The display name cannot be empty."),
        ("Facilitator", "“Facilitator” is kept for the session's staff; choose another."),
        ("the  MODERATOR", "“the MODERATOR” is kept for the session's staff; choose another."),
        ("Host 2", "“Host 2” is kept for the session's staff; choose another."),
        (
            "Ｏｒｇａｎｉｚｅｒ",
            "“Ｏｒｇａｎｉｚｅｒ” is kept for the session's staff; choose another.",
        ),
        ("Facilitator: Ann", "“Facilitator: Ann” is kept for the session's staff; choose another."),
        ("x" * 41, "The display name is 41 characters; the limit is 40."),
    ],
)
def test_join_session_refuses_an_empty_or_long_display_name_and_writes_nothing(
    session, name, message
):
    group = groups_of(session)[0]
    assert (
        refusal(services.join_session, session=session, display_name=name, group_id=group.pk)
        == message
    )
    assert not Participant.objects.exists()
    assert services.join_session(session=session, display_name="x" * 40, group_id=group.pk)


def test_rename_group_renames_and_refuses_a_name_taken_in_the_session_case_insensitively(
    session, published_paper
):
    first, second, _third = groups_of(session)
    message = refusal(services.rename_group, group=first, name="  group   2 ")
    assert message == "Another group of this session is already called “group 2”."
    services.rename_group(group=first, name="  Blue   table ")
    services.rename_group(group=first, name="BLUE TABLE")  # its own name, other case: fine
    # Another session's groups do not count.
    services.rename_group(group=groups_of(make_session(published_paper))[0], name="Blue table")
    assert list(session.groups.order_by("position").values_list("name", flat=True)) == [
        "BLUE TABLE",
        "Group 2",
        "Group 3",
    ]


def test_rename_group_refuses_an_empty_or_long_name_and_keeps_the_old_one(session):
    first = groups_of(session)[0]
    assert refusal(services.rename_group, group=first, name="   ") == (
        "The group name cannot be empty."
    )
    assert "limit is 100" in refusal(services.rename_group, group=first, name="x" * 101)
    first.refresh_from_db()
    assert first.name == "Group 1"


@pytest.mark.django_db(transaction=True)
def test_concurrent_joins_never_take_more_seats_than_a_group_has(published_paper, threads):
    """Joins lock only the group they join, and only when it has a capacity: on PostgreSQL,
    eight people at once for the last two seats of a chosen group, and eight more placed
    by the app in groups of two."""
    chosen = make_session(published_paper, group_count=2, group_capacity=2)
    group = chosen.groups.order_by("pk").first()
    placed = make_session(published_paper, group_count=3, assignment="auto", group_capacity=2)

    def join(session, name, group_id=None):
        try:
            return services.join_session(session=session, display_name=name, group_id=group_id)
        except services.ServiceError as error:
            return str(error)

    calls = [functools.partial(join, chosen, f"C{n}", group.pk) for n in range(8)]
    calls += [functools.partial(join, placed, f"P{n}") for n in range(8)]
    answers = threads.run(calls)
    refusals = [answer for answer in answers if isinstance(answer, str)]
    assert sorted(set(refusals)) == [
        "Every group is full: ask the organizer to make room.",
        f"{group.name} is full: choose another group.",
    ]
    assert Participant.objects.filter(group=group).count() == 2
    sizes = Counter(Participant.objects.filter(session=placed).values_list("group", flat=True))
    assert sorted(sizes.values()) == [2, 2, 2]


def test_a_session_with_a_passphrase_admits_only_who_types_it(session):
    group = groups_of(session)[0]
    services.set_passphrase(session=session, passphrase="  Blue   Harbour ")
    session.refresh_from_db()
    assert session.passphrase == "Blue Harbour"

    def join(**typed):
        return services.join_session(
            session=session, display_name="Ada", group_id=group.pk, **typed
        )

    assert refusal(join) == "This session asks for a passphrase: ask the organizers for it."
    wrong = "That is not this session's passphrase: ask the organizers for it."
    assert refusal(join, passphrase="red harbour") == wrong
    with pytest.raises(services.WrongPassphrase):
        join(passphrase="blue")
    assert not Participant.objects.exists()
    assert join(passphrase="blue  HARBOUR")  # case and spacing as typed do not count
    services.set_passphrase(session=session, passphrase="")
    assert join()  # the code alone admits again
    assert "at most 100" in refusal(services.set_passphrase, session=session, passphrase="x" * 101)


def test_create_session_keeps_a_language_of_the_site_and_refuses_any_other(published_paper):
    assert make_session(published_paper).language == ""
    session = services.create_session(
        paper=published_paper, name="Séance", group_count=2, language="fr"
    )
    session.refresh_from_db()
    assert session.language == "fr"
    for unknown in ("xx", "de", "fr-CA", "FR"):
        message = refusal(
            services.create_session,
            paper=published_paper,
            name="Sitzung",
            group_count=2,
            language=unknown,
        )
        assert message == "Choose one of the languages in the list."
    assert Session.objects.count() == 2


def test_set_session_language_sets_clears_and_refuses_a_language_the_site_does_not_speak(
    session,
):
    services.set_session_language(session=session, language="zh-hans")
    session.refresh_from_db()
    assert session.language == "zh-hans"
    assert refusal(services.set_session_language, session=session, language="klingon") == (
        "Choose one of the languages in the list."
    )
    session.refresh_from_db()
    assert session.language == "zh-hans"
    services.set_session_language(session=session, language=" ar ")
    session.refresh_from_db()
    assert session.language == "ar"
    services.set_session_language(session=session, language="")
    session.refresh_from_db()
    assert session.language == ""
