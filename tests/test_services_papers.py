import pytest

from discussions import papers, services
from discussions.models import Paper, Prompt, Question, Section

pytestmark = pytest.mark.django_db

FRAMING = [
    "What contributes to current trends?",
    "What does the future hold for the United States and multilateralism?",
    "How might policy-makers frame an approach for the 21st century?",
]


def test_import_paper_stores_a_draft_with_sections_and_questions(demo_paper):
    assert demo_paper.is_draft
    assert demo_paper.version == 1
    assert demo_paper.lineage == "us-multilateralism-discussion-paper"
    assert [q.text for q in demo_paper.framing_questions()] == FRAMING
    titles = list(demo_paper.sections.values_list("title", "level"))
    assert titles[0] == ("Introduction", 1)
    assert ("Targeted from Without: China and Russia", 2) in titles
    conclusion = demo_paper.sections.get(title="Conclusion")
    assert conclusion.questions.count() == 3
    assert not demo_paper.prompts.exists()


def test_import_paper_twice_with_the_same_bytes_changes_nothing(demo_paper, demo_bytes):
    counts = (Paper.objects.count(), Section.objects.count(), Question.objects.count())
    again = services.import_paper(data=demo_bytes, filename="renamed.txt")
    assert again.created is False
    assert again.paper == demo_paper
    assert (Paper.objects.count(), Section.objects.count(), Question.objects.count()) == counts


def test_import_paper_changed_file_becomes_next_version_and_sessions_keep_theirs(
    published_paper, demo_bytes
):
    session = services.create_session(paper=published_paper, name="Morning", group_count=2)
    changed = demo_bytes + b"\n\nAn Added Heading\n\nWhat should change first?\n"
    result = services.import_paper(data=changed, filename="us-multilateralism-discussion-paper.txt")
    assert result.created
    assert result.paper.version == 2
    assert result.paper.lineage == published_paper.lineage
    session.refresh_from_db()
    assert session.paper == published_paper
    assert published_paper.sections.count() + 1 == result.paper.sections.count()


def test_import_paper_refuses_bad_input_and_writes_nothing():
    with pytest.raises(papers.PaperError):
        services.import_paper(data=b"", filename="empty.txt")
    with pytest.raises(papers.PaperError):
        services.import_paper(data=b"Some text", filename="paper.odt")
    assert not Paper.objects.exists()


def test_import_paper_with_publish_creates_prompts_in_the_same_transaction(demo_bytes):
    paper = services.import_paper(data=demo_bytes, filename="demo.txt", publish=True).paper
    assert not paper.is_draft
    prompts = list(paper.prompts.all())
    assert [p.heading for p in prompts[:3]] == FRAMING
    assert [p.kind for p in prompts] == ["question"] * 3 + ["section"] * paper.sections.count()


def test_publish_paper_makes_a_prompt_of_every_framing_question_and_section(published_paper):
    prompts = list(published_paper.prompts.select_related("question", "section"))
    sections = list(published_paper.sections.all())
    assert len(prompts) == 3 + len(sections)
    assert [p.heading for p in prompts[3:]] == [s.title for s in sections]
    # A framing question's prompt shows the paper text it came from.
    assert prompts[0].context_section == sections[0]
    assert prompts[4].context_section == sections[1]


def test_publish_paper_twice_is_refused(published_paper):
    with pytest.raises(services.ServiceError, match="published"):
        services.publish_paper(paper=published_paper)
    assert published_paper.prompts.count() == 3 + published_paper.sections.count()


def test_publish_paper_without_sections_is_refused(demo_paper):
    demo_paper.sections.all().delete()
    with pytest.raises(services.ServiceError, match="at least one section"):
        services.publish_paper(paper=demo_paper)
    demo_paper.refresh_from_db()
    assert demo_paper.is_draft
    assert not Prompt.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda p: services.rename_paper(paper=p, title="New"),
        lambda p: services.rename_section(section=p.sections.last(), title="New"),
        lambda p: services.set_section_level(section=p.sections.last(), level=1),
        lambda p: services.merge_section_into_previous(section=p.sections.last()),
        lambda p: services.add_question(paper=p, text="New?"),
        lambda p: services.edit_question(question=p.questions.first(), text="New?"),
        lambda p: services.remove_question(question=p.questions.first()),
        lambda p: services.set_framing(question=p.questions.last(), is_framing=True),
        lambda p: services.move_question(question=p.questions.last(), offset=-1),
    ],
)
def test_corrections_of_a_published_paper_are_refused_and_change_nothing(published_paper, change):
    def snapshot():
        return (
            Paper.objects.get(pk=published_paper.pk).title,
            list(Section.objects.values_list("pk", "title", "level", "text")),
            list(Question.objects.values_list("pk", "text", "position", "is_framing", "section")),
        )

    before = snapshot()
    with pytest.raises(services.ServiceError, match="published"):
        change(published_paper)
    assert snapshot() == before


def test_rename_section_trims_and_refuses_an_empty_title(demo_paper):
    section = demo_paper.sections.get(title="Current Challenges")
    services.rename_section(section=section, title="  Today's   challenges ")
    section.refresh_from_db()
    assert section.title == "Today's challenges"
    with pytest.raises(services.ServiceError, match="empty"):
        services.rename_section(section=section, title="   ")
    section.refresh_from_db()
    assert section.title == "Today's challenges"


def test_set_section_level_refuses_to_make_the_first_section_a_subsection(demo_paper):
    first = demo_paper.sections.first()
    with pytest.raises(services.ServiceError):
        services.set_section_level(section=first, level=2)
    with pytest.raises(services.ServiceError):
        services.set_section_level(section=demo_paper.sections.last(), level=3)
    services.set_section_level(section=demo_paper.sections.last(), level=2)
    assert demo_paper.sections.last().level == 2


def test_merge_section_into_previous_moves_text_questions_and_footnotes(demo_paper):
    challenges = demo_paper.sections.get(title="Current Challenges")
    erosion = demo_paper.sections.get(title__startswith="Erosion from Within")
    erosion_footnotes = list(erosion.footnotes)
    survivor = services.merge_section_into_previous(section=erosion)
    assert survivor == challenges
    survivor.refresh_from_db()
    assert "Erosion from Within" in survivor.text
    assert "One driver of doubt in multilateralism" in survivor.text
    assert survivor.footnotes[-len(erosion_footnotes) :] == erosion_footnotes
    assert not Section.objects.filter(pk=erosion.pk).exists()


def test_merge_section_into_previous_refuses_the_first_section(demo_paper):
    count = demo_paper.sections.count()
    with pytest.raises(services.ServiceError, match="first section"):
        services.merge_section_into_previous(section=demo_paper.sections.first())
    assert demo_paper.sections.count() == count


def test_questions_can_be_added_edited_reordered_reframed_and_removed(demo_paper):
    conclusion = demo_paper.sections.get(title="Conclusion")
    added = services.add_question(paper=demo_paper, text="  Who pays?  ", section=conclusion)
    assert added.text == "Who pays?"
    assert not added.is_framing

    services.move_question(question=added, offset=-1)
    texts = list(conclusion.questions.order_by("position").values_list("text", flat=True))
    assert texts[-2] == "Who pays?"

    services.set_framing(question=added, is_framing=True)
    assert [q.text for q in demo_paper.framing_questions()] == [*FRAMING, "Who pays?"]

    framing = list(demo_paper.framing_questions())
    services.move_question(question=framing[-1], offset=-1)
    assert [q.text for q in demo_paper.framing_questions()][2:] == [
        "Who pays?",
        FRAMING[2],
    ]

    services.edit_question(question=added, text="Who pays, and when?")
    services.remove_question(question=demo_paper.framing_questions().first())
    assert [q.text for q in demo_paper.framing_questions()] == [
        FRAMING[1],
        "Who pays, and when?",
        FRAMING[2],
    ]


def test_move_question_at_the_edge_is_refused(demo_paper):
    first = demo_paper.framing_questions().first()
    with pytest.raises(services.ServiceError, match="top"):
        services.move_question(question=first, offset=-1)


def test_add_question_refuses_empty_oversize_and_foreign_section(demo_paper, demo_bytes):
    other = services.import_paper(data=demo_bytes + b"\nx", filename="other.txt").paper
    before = Question.objects.count()
    with pytest.raises(services.ServiceError, match="empty"):
        services.add_question(paper=demo_paper, text=" ")
    with pytest.raises(services.ServiceError, match="limit"):
        services.add_question(paper=demo_paper, text="x" * 1001)
    with pytest.raises(services.ServiceError, match="another paper"):
        services.add_question(paper=demo_paper, text="Ok?", section=other.sections.first())
    assert Question.objects.count() == before


def test_create_session_defaults_to_the_framing_questions_and_numbered_groups(published_paper):
    session = services.create_session(paper=published_paper, name=" Plenary ", group_count=3)
    assert session.name == "Plenary"
    assert [p.heading for p in session.ordered_prompts()] == FRAMING
    assert [g.name for g in session.groups.all()] == ["Group 1", "Group 2", "Group 3"]
    assert len(session.code) == 6
    assert not set(session.code) & set("0O1IL2Z5S8B")


def test_create_session_refuses_a_draft_and_bad_group_counts(demo_paper, published_paper):
    with pytest.raises(services.ServiceError, match="Publish"):
        services.create_session(paper=demo_paper, name="x", group_count=2)
    with pytest.raises(services.ServiceError, match="between"):
        services.create_session(paper=published_paper, name="x", group_count=0)


def test_set_framing_off_refuses_a_question_without_a_section(demo_paper):
    added = services.add_question(paper=demo_paper, text="Our own question?", is_framing=True)
    with pytest.raises(services.ServiceError, match="no section"):
        services.set_framing(question=added, is_framing=False)
    added.refresh_from_db()
    assert added.is_framing
