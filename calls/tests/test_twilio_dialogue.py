"""The survey over Twilio: each call is dialled by a scheduler tick (Twilio's REST API at the
HTTP layer), then Twilio is played by `TwilioCloud`, which fetches our TwiML, follows each
<Gather>'s action with recorded-shape, signed posts, and reports the call's progress."""

import datetime as dt

import pytest

from calls.models import CallAttempt, SurveyEvent, SurveyResponse
from calls.scheduler import scheduler_tick
from calls.telephony.twilio import TwilioProvider
from calls.tests.conftest import ALL_DAYS
from calls.tests.twilio_support import PUBLIC_BASE_URL, FakeTwilioHttp, TwilioCloud, configure
from campaigns.tests.factories import INTROS, CampaignFactory, three_questions
from contacts.models import ContactState, ExclusionEntry
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

MONDAY_15_UTC = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
OPEN_ALWAYS = {
    "status": "running",
    "call_window_start": dt.time(0, 0),
    "call_window_end": dt.time(23, 59, 59),
    "call_days": ALL_DAYS,
}
# The intro is followed by the consent question's keypad hint, in the call's language.
INTRO_SAID = {
    "en": f"{INTROS['en']} Press 1 or say yes to take part; press 2 or say no.",
    "it": f"{INTROS['it']} Prema 1 o dica sì per partecipare; prema 2 o dica no.",
}


def bilingual_campaign():
    """An English campaign whose survey is written in Italian too."""
    return CampaignFactory(
        languages=["en", "it"],
        texts={language: {"intro": INTROS[language]} for language in ("en", "it")},
        questions=three_questions(("en", "it")),
        **OPEN_ALWAYS,
    )


def answers_of(contact):
    response = SurveyResponse.objects.get(contact=contact)
    return list(response.answers.values_list("key", "value", "mode", "confidence"))


@pytest.fixture
def dial(settings, provider_config, client):
    """Place one Twilio call to a new contact; give Twilio's side of it."""
    configure(settings)
    provider_config.provider = "twilio"
    provider_config.save()

    def place(*, campaign=None, **contact_fields):
        campaign = campaign or CampaignFactory(**OPEN_ALWAYS)
        contact = ContactFactory(campaign=campaign, **contact_fields)
        http = FakeTwilioHttp()
        scheduler_tick(now=MONDAY_15_UTC, provider=TwilioProvider(http_client=http))
        (created,) = http.requests
        return TwilioCloud.from_create_request(client, created), contact

    return place


def attempt_of(contact):
    attempt = CallAttempt.objects.get(contact=contact)
    attempt.contact.refresh_from_db()
    return attempt


def test_a_complete_survey_in_english(dial):
    call, contact = dial()
    call.status("initiated")
    call.status("ringing")
    call.status("in-progress")

    intro = call.answer()
    assert (intro.status_code, intro.content_type) == (200, "text/xml; charset=utf-8")
    attempt = attempt_of(contact)
    # Each turn's URL carries the call's trace id back (voicesurvey/tracing.py).
    trace = f"trace={attempt.trace_id}"
    action = f"{PUBLIC_BASE_URL}/webhooks/telephony/twilio/{attempt.pk}/dialogue?turn=1&{trace}"
    assert intro.gather.attrib == {
        "input": "speech dtmf",
        "language": "en-US",
        "action": action,
        "method": "POST",
        "timeout": "5",
        "speechTimeout": "auto",
        "actionOnEmptyResult": "true",
        "numDigits": "1",  # consent is one key
    }
    assert intro.say.attrib == {"language": "en-US", "voice": "Polly.Joanna"}
    assert intro.said == INTRO_SAID["en"]
    assert intro.redirect == action
    assert not intro.hangs_up

    q1 = call.reply(speech="Yes, sure.", confidence=0.91)
    assert (
        q1.said
        == "How satisfied are you, from 1 to 10? Please say or key in a number from 1 to 10."
    )
    assert q1.gather.get("action").endswith(f"/dialogue?turn=2&{trace}")
    assert "numDigits" not in q1.gather.attrib  # "10" is two keys
    q2 = call.reply(digits="9")
    assert q2.said.startswith("How many times did you call us last month?")
    q3 = call.reply(speech="three times", confidence=0.8)
    assert q3.said.startswith("What should we improve?")
    goodbye = call.reply(speech="Faster support, please.", confidence=0.72)
    assert goodbye.gather is None
    assert goodbye.hangs_up
    assert goodbye.said == (
        "That was the last question. Thank you very much for your answers. Goodbye!"
    )

    attempt = attempt_of(contact)
    assert (attempt.outcome, attempt.dialogue_step) == ("completed", "ended")
    assert attempt.contact.state == ContactState.COMPLETED
    response = SurveyResponse.objects.get(contact=contact)
    assert (response.language, response.answer_values) == (
        "en",
        {"q1": "9", "q2": "3", "q3": "Faster support, please."},
    )
    assert answers_of(contact) == [
        ("q1", "9", "dtmf", 1.0),
        ("q2", "3", "speech", 0.8),
        ("q3", "Faster support, please.", "speech", 0.72),
    ]
    assert SurveyEvent.objects.get().type == "survey.completed"
    assert "callee: said “Yes, sure.” (0.91) → yes" in attempt.transcript
    # Twilio then reports the end of the call: stored, and it changes nothing.
    call.status("completed", CallDuration="58")
    assert attempt_of(contact).outcome == "completed"


def test_a_complete_survey_in_italian(dial):
    campaign = CampaignFactory(language="it", **OPEN_ALWAYS)
    call, contact = dial(campaign=campaign)
    intro = call.answer()
    assert intro.gather.get("language") == "it-IT"
    assert intro.say.attrib == {"language": "it-IT", "voice": "Polly.Bianca"}
    assert intro.said == INTRO_SAID["it"]

    q1 = call.reply(speech="Sì, certo.", confidence=0.88)
    assert (
        q1.said == "Quanto è soddisfatto, da 1 a 10? Dica o digiti un numero da 1 a 10, per favore."
    )
    call.reply(speech="otto", confidence=0.83)
    call.reply(speech="due volte", confidence=0.79)
    goodbye = call.reply(speech="prezzi più bassi", confidence=0.7)
    assert goodbye.hangs_up
    assert goodbye.said.endswith("Arrivederci!")
    assert goodbye.say.get("language") == "it-IT"

    response = SurveyResponse.objects.get(contact=contact)
    assert (response.language, response.answer_values) == (
        "it",
        {"q1": "8", "q2": "2", "q3": "prezzi più bassi"},
    )
    assert attempt_of(contact).contact.state == ContactState.COMPLETED


def test_the_contacts_language_wins_over_the_campaigns(dial):
    # An English campaign written in Italian too.
    call, _ = dial(campaign=bilingual_campaign(), preferred_language="it")
    intro = call.answer()
    q1 = call.reply(digits="1")
    assert intro.gather.get("language") == "it-IT"
    assert intro.said == INTRO_SAID["it"]
    assert q1.said == (
        "Quanto è soddisfatto, da 1 a 10? Dica o digiti un numero da 1 a 10, per favore."
    )


def test_a_language_the_survey_is_not_written_in_is_not_spoken(dial):
    call, _ = dial(preferred_language="it")  # an English-only campaign
    intro = call.answer()
    assert intro.gather.get("language") == "en-US"
    assert intro.said == INTRO_SAID["en"]


@pytest.mark.parametrize(
    ("reply", "goodbye"),
    [
        ({"digits": "2"}, "No problem, thank you for your time. Goodbye."),
        ({"speech": "No thanks, not interested."}, "No problem, thank you for your time. Goodbye."),
    ],
)
def test_a_refusal_ends_the_call(dial, reply, goodbye):
    call, contact = dial()
    call.answer()
    twiml = call.reply(**reply)
    assert twiml.hangs_up
    assert twiml.gather is None
    assert twiml.said == goodbye
    attempt = attempt_of(contact)
    assert (attempt.outcome, attempt.contact.state) == ("refused", ContactState.REFUSED)
    assert SurveyEvent.objects.get().type == "survey.refused"
    assert not SurveyResponse.objects.exists()


def test_do_not_call_me_in_italian_refuses_and_excludes_the_number(dial):
    call, contact = dial(campaign=bilingual_campaign(), preferred_language="it")
    call.answer()
    twiml = call.reply(speech="Non chiamatemi più, per favore.", confidence=0.9)
    assert twiml.said == "Va bene: non la chiameremo più. Arrivederci."
    assert ExclusionEntry.objects.filter(phone_number=contact.phone_number).exists()


def test_repeat_asks_the_same_question_again(dial):
    call, contact = dial()
    call.answer()
    call.reply(digits="1")
    again = call.reply(speech="Sorry, can you repeat that?", confidence=0.9)
    assert again.said == (
        "Sorry, I did not catch that. How satisfied are you, from 1 to 10? "
        "Please say or key in a number from 1 to 10."
    )
    assert again.gather.get("action").endswith(
        f"/dialogue?turn=3&trace={attempt_of(contact).trace_id}"
    )
    q2 = call.reply(speech="seven", confidence=0.86)
    assert q2.said.startswith("How many times did you call us last month?")
    [answer] = attempt_of(contact).metadata["dialogue"]["answers"]
    assert (answer["key"], answer["value"], answer["confidence"], answer["asked"]) == (
        "q1",
        "7",
        0.86,
        2,
    )


def test_silence_is_asked_again_once_then_the_call_fails_for_a_retry(dial):
    call, contact = dial()
    call.answer()
    again = call.silence()  # the gather timed out: Twilio posts no SpeechResult, no Digits
    # The "sorry" line and the consent question's hint, not the whole intro again.
    assert again.said == (
        "Sorry, I did not catch that. Press 1 or say yes to take part; press 2 or say no."
    )
    assert not again.hangs_up
    goodbye = call.silence()
    assert goodbye.hangs_up
    assert goodbye.said.startswith("Sorry, we could not understand you.")
    attempt = attempt_of(contact)
    assert (attempt.outcome, attempt.error_code) == ("failed", "no_input")
    assert attempt.contact.state == ContactState.PENDING
    assert "callee: (silence)" in attempt.transcript


def test_a_hang_up_mid_survey_fails_the_attempt(dial):
    call, contact = dial()
    call.status("in-progress")
    call.answer()
    call.reply(digits="1")
    call.status("completed", CallDuration="19")
    attempt = attempt_of(contact)
    assert (attempt.outcome, attempt.error_code) == ("failed", "hung_up")
    # A late gather post for the finished call just hangs up.
    late = call.reply(digits="8")
    assert late.hangs_up
    assert late.say is None


def test_a_turn_costs_a_handful_of_queries(dial, django_assert_num_queries):
    call, _ = dial()
    call.answer()
    # 1 SAVEPOINT, 2 the attempt FOR UPDATE with its campaign and contact, 3 insert the event
    # unless seen, 4 update the attempt (dialogue state, transcript), 5 RELEASE SAVEPOINT.
    with django_assert_num_queries(5):
        call.reply(digits="1")


def test_a_repeated_twilio_request_gets_the_same_twiml_and_advances_once(dial):
    call, contact = dial()
    call.answer()
    action = call.action
    first = call.reply(digits="1")
    call.action = action  # Twilio retries the same gather post
    again = call.reply(digits="1")
    assert again.said == first.said
    assert again.gather.get("action") == first.gather.get("action")
    assert attempt_of(contact).metadata["dialogue"]["turn"] == 2


# --- Answering machines --------------------------------------------------------------------------


def test_a_machine_is_hung_up_on_as_no_answer(dial, settings):
    settings.TWILIO_MACHINE_DETECTION = "Enable"
    call, contact = dial()
    twiml = call.answer(AnsweredBy="machine_start", MachineDetectionDuration="2413")
    assert twiml.hangs_up
    assert twiml.say is None
    assert twiml.gather is None
    attempt = attempt_of(contact)
    assert (attempt.outcome, attempt.error_code) == ("no_answer", "answering_machine")
    assert attempt.contact.state == ContactState.PENDING
    assert attempt.contact.next_attempt_at is not None  # retried, as nobody answered
    assert attempt.dialogue_step == ""
    assert "answering machine: (hung up)" in attempt.transcript
    assert not SurveyEvent.objects.exists()
    call.status("completed", CallDuration="4", AnsweredBy="machine_start")
    assert attempt_of(contact).error_code == "answering_machine"


def test_a_message_is_left_after_the_beep_when_configured(dial, settings):
    settings.TWILIO_MACHINE_DETECTION = "DetectMessageEnd"
    settings.TWILIO_MACHINE_OUTCOME = "left_message"
    call, contact = dial(campaign=bilingual_campaign(), preferred_language="it")
    twiml = call.answer(AnsweredBy="machine_end_beep")
    assert twiml.hangs_up
    assert twiml.gather is None
    assert twiml.said.startswith("Buongiorno, questa è una chiamata automatica")
    assert twiml.say.get("language") == "it-IT"
    attempt = attempt_of(contact)
    assert (attempt.outcome, attempt.error_code) == ("no_answer", "left_message")
    assert attempt.contact.state == ContactState.PENDING


def test_no_message_is_spoken_over_a_machines_greeting(dial, settings):
    settings.TWILIO_MACHINE_OUTCOME = "left_message"  # with Enable: the greeting is still on
    settings.TWILIO_MACHINE_DETECTION = "Enable"
    call, contact = dial()
    assert call.answer(AnsweredBy="machine_start").say is None
    assert attempt_of(contact).error_code == "answering_machine"


def test_a_fax_is_hung_up_on(dial, settings):
    settings.TWILIO_MACHINE_DETECTION = "Enable"
    call, contact = dial()
    assert call.answer(AnsweredBy="fax").hangs_up
    assert attempt_of(contact).error_code == "fax"


@pytest.mark.parametrize("answered_by", ["human", "unknown"])
def test_a_person_gets_the_survey(dial, settings, answered_by):
    settings.TWILIO_MACHINE_DETECTION = "Enable"
    call, contact = dial()
    intro = call.answer(AnsweredBy=answered_by)
    assert intro.said == INTRO_SAID["en"]
    assert intro.gather is not None
    assert attempt_of(contact).outcome is None
