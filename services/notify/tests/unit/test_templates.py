import pytest
from notify.domain.default_templates import DEFAULT_TEMPLATES
from notify.domain.templates import (
    PLACEHOLDERS_BY_KIND,
    MissingPersonalisation,
    TemplateContent,
    TemplateRefused,
    sms_length,
)

pytestmark = pytest.mark.unit


def test_every_shipped_template_passes_its_own_checks_on_every_channel() -> None:
    names = {t.name for t in DEFAULT_TEMPLATES}
    for content in DEFAULT_TEMPLATES:
        content.check()
    for name in names:
        assert {t.channel for t in DEFAULT_TEMPLATES if t.name == name} == {"email", "sms", "push"}
    assert {name.split(".")[0] for name in names} == set(PLACEHOLDERS_BY_KIND)


def test_every_case_template_carries_the_reference_and_the_status_link() -> None:
    for content in DEFAULT_TEMPLATES:
        if content.name.startswith(("service_disruption", "planning_nearby", "contact_")):
            continue
        text = f"{content.subject or ''} {content.body} {content.link or ''}"
        assert "((reference))" in text, content
        if content.channel == "email":
            assert "((status_page_url))" in content.body or content.name == "payment_link", content


def test_a_placeholder_the_event_cannot_fill_is_refused_at_save() -> None:
    content = TemplateContent(
        name="case_opened.missed_bin",
        channel="email",
        subject="Hi ((reference))",
        body="Pay ((amount)) to ((payment_url))",
    )
    with pytest.raises(TemplateRefused) as refused:
        content.check()
    assert "['amount', 'payment_url']" in str(refused.value)


def test_unknown_kinds_unclosed_placeholders_and_missing_subjects_are_refused_together() -> None:
    content = TemplateContent(name="gossip", channel="email", body="Hello ((first_name")
    with pytest.raises(TemplateRefused) as refused:
        content.check()
    assert len(refused.value.problems) == 3


def test_an_sms_above_918_characters_is_refused() -> None:
    TemplateContent(name="case_opened", channel="sms", body="a" * 918).check()
    with pytest.raises(TemplateRefused, match="919 characters"):
        TemplateContent(name="case_opened", channel="sms", body="a" * 919).check()
    # A placeholder is measured at its typical filled length, not as its name.
    with pytest.raises(TemplateRefused, match="SMS is"):
        TemplateContent(
            name="case_opened", channel="sms", body="a" * 900 + "((status_page_url))"
        ).check()


@pytest.mark.parametrize(
    ("text", "encoding", "characters", "fragments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # the extension table counts two
        ("ŵ" * 70, "UCS-2", 70, 1),  # Welsh w-circumflex is not GSM-7
        ("ŵ" * 71, "UCS-2", 71, 2),
        ("a" * 134 + "ŵ", "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # outside the BMP: two UTF-16 units each
    ],
)
def test_sms_fragments_are_counted_as_gsm7_or_ucs2(
    text: str, encoding: str, characters: int, fragments: int
) -> None:
    length = sms_length(text)
    assert (length.encoding, length.characters, length.fragments) == (
        encoding,
        characters,
        fragments,
    )


def test_rendering_fills_placeholders_and_refuses_a_missing_value() -> None:
    content = TemplateContent(
        name="case_opened",
        channel="email",
        subject="Ref ((reference))",
        body="Hello (( first_name )), see ((status_page_url))",
    )
    rendered = content.render({"reference": "R-1", "first_name": "Sam", "status_page_url": "u"})
    assert (rendered.subject, rendered.body) == ("Ref R-1", "Hello Sam, see u")
    with pytest.raises(MissingPersonalisation):
        content.render({"reference": "R-1"})


def test_a_neighbours_alert_names_the_application_and_its_end_date_but_links_to_no_case() -> None:
    # A neighbour is not the applicant: no signed link to the applicant's status page.
    for content in (t for t in DEFAULT_TEMPLATES if t.name == "planning_nearby"):
        text = f"{content.subject or ''} {content.body} {content.link or ''}"
        assert "((application_reference))" in text
        assert "((consultation_ends_on))" in text
        assert "status_page_url" not in text and content.link is None


def test_the_payment_reminder_says_the_booking_is_not_confirmed_and_how_to_pay_again() -> None:
    for content in (t for t in DEFAULT_TEMPLATES if t.name == "payment_failed"):
        text = f"{content.subject or ''} {content.body}"
        assert "not confirmed" in text and "pay again" in text
        assert "((failure_reason))" in content.body and "((status_page_url))" in content.body
