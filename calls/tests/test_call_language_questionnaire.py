"""One language per call (docs/architecture.md §6.3): the contact's preferred language only
when the campaign is written in it, else the campaign's default — for every word from the
introduction to the goodbye, and for Twilio's <Say>/<Gather> language and voice."""

import xml.etree.ElementTree as ET

import pytest

from calls import dialogue
from calls.dialogue import Reply
from calls.services import call_language, campaign_script
from calls.telephony.twilio import TwilioProvider
from calls.tests.twilio_support import configure
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

CALL_ID = "5f0c6a52-3d1e-4c8b-9a57-1f2e3d4c5b6a"


@pytest.fixture
def english_only():
    return CampaignFactory(
        language="en",
        languages=["en"],
        texts={"en": TEXTS["en"]},
        questions=[{**q, "text": {"en": q["text"]["en"]}} for q in _english(seven_questions())],
    )


def _english(questions):
    for question in questions:
        for option in question.get("options", []):
            option["label"] = {"en": option["label"]["en"]}
            option["synonyms"] = {"en": option.get("synonyms", {}).get("en", [])}
    return questions


@pytest.fixture
def bilingual():
    return CampaignFactory(
        language="en", languages=["en", "it"], texts=TEXTS, questions=seven_questions()
    )


@pytest.mark.parametrize(("preferred", "expected"), [("it", "en"), ("en", "en"), ("auto", "en")])
def test_a_language_the_campaign_lacks_falls_back_to_its_default(english_only, preferred, expected):
    contact = ContactFactory(campaign=english_only, preferred_language=preferred)
    assert call_language(contact=contact, campaign=english_only) == expected


@pytest.mark.parametrize(("preferred", "expected"), [("it", "it"), ("en", "en"), ("auto", "en")])
def test_a_language_the_campaign_has_is_used(bilingual, preferred, expected):
    contact = ContactFactory(campaign=bilingual, preferred_language=preferred)
    assert call_language(contact=contact, campaign=bilingual) == expected


def _whole_call(campaign, language) -> list[dialogue.Turn]:
    """Every turn of a call answered "yes" to everything the keypad can answer."""
    script = campaign_script(campaign=campaign, language=language)
    state, turn = dialogue.start(script)
    turns = [turn]
    replies = iter(
        [
            Reply(digits="1"),  # consent
            Reply(digits="1"),  # q1 yes
            Reply(digits="9#"),
            Reply(digits="3#"),
            Reply(digits="2"),
            Reply(digits="1"),
            Reply(speech="more staff" if language == "en" else "più personale", confidence=0.8),
            Reply(digits="4"),
        ]
    )
    while not turn.hangup:
        state, turn, _reading = dialogue.advance(script, state, next(replies))
        turns.append(turn)
    assert state.outcome == dialogue.COMPLETED
    return turns


def test_an_italian_contact_of_an_english_only_campaign_hears_english_from_first_to_last(
    english_only, settings
):
    contact = ContactFactory(campaign=english_only, preferred_language="it")
    language = call_language(contact=contact, campaign=english_only)
    turns = _whole_call(english_only, language)
    spoken = " ".join(turn.say for turn in turns).lower()
    assert TEXTS["en"]["intro"].lower() in spoken
    for italian in ("grazie", "prema", "arrivederci", "dica"):
        assert italian not in spoken

    configure(settings, TWILIO_VOICE_EN="Polly.Joanna", TWILIO_VOICE_IT="Polly.Bianca")
    provider = TwilioProvider()
    for turn in turns:
        root = ET.fromstring(provider.render_turn(turn, call_id=CALL_ID).body)
        for element in root.iter():
            if element.tag in ("Say", "Gather"):
                assert element.get("language") == "en-US", ET.tostring(root)
            if element.tag == "Say":
                assert element.get("voice") == "Polly.Joanna"


def test_an_italian_contact_of_a_bilingual_campaign_hears_italian_from_first_to_last(bilingual):
    contact = ContactFactory(campaign=bilingual, preferred_language="it")
    turns = _whole_call(bilingual, call_language(contact=contact, campaign=bilingual))
    spoken = " ".join(turn.say for turn in turns).lower()
    assert TEXTS["it"]["intro"].lower() in spoken
    assert {turn.language for turn in turns} == {"it"}
    for english in ("press", "thank you", "goodbye", "please"):
        assert english not in spoken
