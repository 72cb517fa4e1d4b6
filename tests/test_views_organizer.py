import re
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from discussions import services
from discussions.models import Paper, Question, Section

pytestmark = pytest.mark.django_db


def upload(client, name: str, data: bytes):
    return client.post(reverse("organizer:upload"), {"file": SimpleUploadedFile(name, data)})


def organizer_urls(paper: Paper) -> list[tuple[str, str]]:
    section = paper.sections.last()
    question = paper.questions.first()
    return [
        ("get", reverse("organizer:home")),
        ("get", reverse("organizer:paper", args=[paper.pk])),
        ("post", reverse("organizer:upload")),
        ("post", reverse("organizer:rename_paper", args=[paper.pk])),
        ("post", reverse("organizer:publish", args=[paper.pk])),
        ("post", reverse("organizer:add_question", args=[paper.pk])),
        ("post", reverse("organizer:question", args=[paper.pk, question.pk])),
        ("post", reverse("organizer:section", args=[paper.pk, section.pk])),
        ("post", reverse("organizer:merge_section", args=[paper.pk, section.pk])),
    ]


def test_organizer_pages_send_anonymous_visitors_to_log_in(client, demo_paper):
    for method, url in organizer_urls(demo_paper):
        response = getattr(client, method)(url, {"title": "x", "text": "x?"})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_organizer_pages_refuse_users_who_are_not_staff_and_change_nothing(
    outsider_client, demo_paper
):
    before = list(Question.objects.values_list("text", flat=True))
    for method, url in organizer_urls(demo_paper):
        response = getattr(outsider_client, method)(url, {"title": "x", "text": "x?"})
        assert response.status_code == 403, url
    demo_paper.refresh_from_db()
    assert demo_paper.is_draft
    assert demo_paper.title != "x"
    assert list(Question.objects.values_list("text", flat=True)) == before


def test_upload_imports_a_draft_and_shows_its_preview(organizer_client, demo_bytes):
    response = upload(organizer_client, "us-multilateralism-discussion-paper.txt", demo_bytes)
    paper = Paper.objects.get()
    assert response.status_code == 302
    assert response["Location"] == paper.get_absolute_url()
    page = organizer_client.get(paper.get_absolute_url()).content.decode()
    assert "Preview: US Multilateralism Discussion Paper" in page
    assert 'value="Targeted from Without: China and Russia"' in page
    assert ">What contributes to current trends?</textarea>" in page
    assert "Publish this version" in page


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "empty"),
        ("paper.odt", b"some text", "Unsupported"),
        ("garbage.txt", bytes(range(256)) * 8, "binary"),
        ("scan.pdf", b"%PDF-1.4 not really", "PDF"),
    ],
)
def test_upload_of_a_bad_file_says_why_in_one_line_and_writes_nothing(
    organizer_client, name, data, message
):
    response = upload(organizer_client, name, data)
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert message.lower() in errors[0].lower()
    assert "\n" not in errors[0]
    assert escape(errors[0]) in response.content.decode()
    assert not Paper.objects.exists()


def test_upload_of_the_same_file_again_leads_to_the_existing_version(
    organizer_client, demo_paper, demo_bytes
):
    response = upload(organizer_client, "again.txt", demo_bytes)
    assert response["Location"] == demo_paper.get_absolute_url()
    assert Paper.objects.count() == 1


def test_preview_escapes_text_from_the_paper(organizer_client):
    paper_text = b"<script>alert(1)</script> is a title\n\nBody with <b>tags</b>. Why <i>not</i>?\n"
    upload(organizer_client, "evil.txt", paper_text)
    page = organizer_client.get(Paper.objects.get().get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page
    assert "<b>tags</b>" not in page
    assert "&lt;b&gt;tags&lt;/b&gt;" in page


def test_correction_with_htmx_answers_with_the_structure_fragment(organizer_client, demo_paper):
    section = demo_paper.sections.get(title="Current Challenges")
    response = organizer_client.post(
        reverse("organizer:section", args=[demo_paper.pk, section.pk]),
        {"title": "Challenges Today", "level": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="paper-structure"')
    assert "<html" not in body
    assert "Section saved." in body
    section.refresh_from_db()
    assert section.title == "Challenges Today"


def test_correction_error_with_htmx_is_a_422_fragment_with_the_message(
    organizer_client, demo_paper
):
    section = demo_paper.sections.first()
    response = organizer_client.post(
        reverse("organizer:merge_section", args=[demo_paper.pk, section.pk]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "no section before it" in response.content.decode()
    assert Section.objects.filter(pk=section.pk).exists()


def test_correction_without_javascript_redirects_back_with_a_message(organizer_client, demo_paper):
    question = demo_paper.framing_questions().last()
    response = organizer_client.post(
        reverse("organizer:question", args=[demo_paper.pk, question.pk]),
        {"action": "up"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == demo_paper.get_absolute_url()
    assert "Question moved up." in response.content.decode()
    assert demo_paper.framing_questions()[1] == question


def test_question_action_refuses_an_unknown_action(organizer_client, demo_paper):
    question = demo_paper.questions.first()
    response = organizer_client.post(
        reverse("organizer:question", args=[demo_paper.pk, question.pk]),
        {"action": "explode"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert Question.objects.filter(pk=question.pk).exists()


def test_urls_of_one_paper_cannot_reach_another_papers_rows(
    organizer_client, demo_paper, demo_bytes
):
    other = services.import_paper(data=demo_bytes + b"\n", filename="other.txt").paper
    foreign = other.sections.last()
    response = organizer_client.post(
        reverse("organizer:section", args=[demo_paper.pk, foreign.pk]), {"title": "Hijack"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.title != "Hijack"


def test_publish_from_the_preview_freezes_the_paper_and_lists_its_prompts(
    organizer_client, demo_paper
):
    response = organizer_client.post(
        reverse("organizer:publish", args=[demo_paper.pk]), follow=True
    )
    demo_paper.refresh_from_db()
    assert not demo_paper.is_draft
    page = response.content.decode()
    assert "Discussion prompts" in page
    assert "Publish this version" not in page
    assert 'name="title"' not in page  # no more correction forms


def test_organizer_home_lists_papers_and_sessions(organizer_client, published_paper):
    session = services.create_session(paper=published_paper, name="Morning round", group_count=2)
    page = organizer_client.get(reverse("organizer:home")).content.decode()
    assert published_paper.title in page
    assert session.code in page
    detail = organizer_client.get(session.get_absolute_url()).content.decode()
    assert "Group 2" in detail
    assert "What contributes to current trends?" in detail


def test_upload_over_ten_megabytes_is_refused_before_parsing(organizer_client):
    response = upload(organizer_client, "huge.txt", b"a" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert "limit is 10 MB" in response.context["form"].errors["file"][0]
    assert not Paper.objects.exists()


def test_a_published_papers_page_says_when_in_one_sentence(organizer_client, published_paper):
    # The date ended "9:13 p.m." in English, then the sentence's own period: "p.m.."
    published_paper.published_at = datetime(2026, 12, 4, 21, 13, tzinfo=UTC)
    published_paper.save(update_fields=["published_at"])
    page = organizer_client.get(reverse("organizer:paper", args=[published_paper.pk]))
    lead = re.search(r'<p class="lead">(.*?)</p>', page.content.decode(), re.S)[1]
    assert "published 12/04/2026." in " ".join(lead.split())
    assert ".." not in lead
