"""The TwiML of each prompt (TwilioProvider.render_turn), by question type, in English and
Italian: a <Gather> shaped for the answer expected, with only attributes Twilio's schema knows,
and one language — the call's — on every <Say> and <Gather> from the first prompt to the last."""

import xml.etree.ElementTree as ET

import pytest

from calls import dialogue
from calls.dialogue import Reply, State
from calls.telephony.twilio import TwilioProvider
from calls.tests.questionnaires import script, three_question_script
from calls.tests.twilio_support import PUBLIC_BASE_URL, configure

CALL_ID = "5f0c6a52-3d1e-4c8b-9a57-1f2e3d4c5b6a"
# What Twilio's TwiML schema allows on the verbs we use (of all it allows).
GATHER_ATTRIBUTES = {
    "input",
    "numDigits",
    "finishOnKey",
    "hints",
    "language",
    "action",
    "method",
    "timeout",
    "speechTimeout",
    "actionOnEmptyResult",
}
SAY_ATTRIBUTES = {"language", "voice"}
LOCALES = {"en": "en-US", "it": "it-IT"}
VOICES = {"en": "Polly.Joanna", "it": "Polly.Bianca"}


@pytest.fixture
def twilio(settings):
    configure(settings, TWILIO_VOICE_EN=VOICES["en"], TWILIO_VOICE_IT=VOICES["it"])
    return TwilioProvider()


def render(provider, turn):
    response = provider.render_turn(turn, call_id=CALL_ID)
    assert (response.status, response.content_type) == (200, "text/xml; charset=utf-8")
    root = ET.fromstring(response.body)
    assert root.tag == "Response"
    return root


def question_turn(language, position, questions_script=None):
    script_ = questions_script or script(language)
    return dialogue.prompt(script_, State(position=position, step=f"q{position + 1}", turn=3))


# Per question of the seven: how its <Gather> takes the reply (None: attribute absent).
KEYS = {
    "q1": {"input": "speech dtmf", "numDigits": "1", "finishOnKey": None},  # yes/no
    "q2": {"input": "speech dtmf", "numDigits": None, "finishOnKey": "#"},  # scale 0–10
    "q3": {"input": "speech dtmf", "numDigits": None, "finishOnKey": "#"},  # number 0–50
    "q4": {"input": "speech dtmf", "numDigits": "1", "finishOnKey": None},  # one of three
    "q5": {"input": "speech dtmf", "numDigits": "1", "finishOnKey": None},  # yes/no
    "q6": {"input": "speech", "numDigits": None, "finishOnKey": None},  # free text
    "q7": {"input": "speech dtmf", "numDigits": "1", "finishOnKey": None},  # scale 1–5
}
HINTS = {
    "en": "Phone,telephone,mobile,Email,e-mail,mail,Letter,post,mail by post",
    "it": "Telefono,telefonata,cellulare,Posta elettronica,email,mail,Lettera,posta,per posta",
}


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("key", list(KEYS))
def test_each_question_type_gets_its_gather(twilio, language, key):
    position = int(key[1:]) - 1
    turn = question_turn(language, position)
    root = render(twilio, turn)

    gather, redirect = list(root)
    assert (gather.tag, redirect.tag) == ("Gather", "Redirect")
    assert set(gather.attrib) <= GATHER_ATTRIBUTES
    action = f"{PUBLIC_BASE_URL}/webhooks/telephony/twilio/{CALL_ID}/dialogue?turn=3"
    expected = {
        "language": LOCALES[language],
        "action": action,
        "method": "POST",
        "timeout": "5",
        "speechTimeout": "auto",
        "actionOnEmptyResult": "true",
        **{name: value for name, value in KEYS[key].items() if value is not None},
    }
    if key == "q4":
        expected["hints"] = HINTS[language]
    assert gather.attrib == expected
    assert redirect.text == action

    (say,) = list(gather)
    assert say.tag == "Say"
    assert say.attrib == {"language": LOCALES[language], "voice": VOICES[language]}
    assert say.text == turn.say


@pytest.mark.parametrize("language", ["en", "it"])
def test_consent_is_one_key(twilio, language):
    _, turn = dialogue.start(script(language))
    gather = render(twilio, turn).find("Gather")
    assert (gather.get("input"), gather.get("numDigits"), gather.get("finishOnKey")) == (
        "speech dtmf",
        "1",
        None,
    )
    assert gather.get("hints") is None


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_number_without_bounds_and_a_scale_to_ten_end_with_the_hash_key(twilio, language):
    questions = three_question_script(language)
    for position in (0, 1):  # a 1–10 scale, a number without bounds
        gather = render(twilio, question_turn(language, position, questions)).find("Gather")
        assert (gather.get("finishOnKey"), gather.get("numDigits")) == ("#", None)


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_goodbye_is_said_then_the_call_hangs_up(twilio, language):
    state, turn, _ = dialogue.advance(script(language), State(), Reply(digits="2"))
    assert turn.hangup
    say, hangup = list(render(twilio, turn))
    assert (say.tag, hangup.tag) == ("Say", "Hangup")
    assert say.attrib == {"language": LOCALES[language], "voice": VOICES[language]}
    assert say.text == turn.say


def test_a_silent_hangup_says_nothing(twilio):
    turn = dialogue.machine_turn(script("it"), leave_message=False)
    assert [element.tag for element in render(twilio, turn)] == ["Hangup"]


def test_without_a_voice_setting_twilio_chooses_one(twilio, settings):
    settings.TWILIO_VOICE_IT = ""
    say = render(twilio, question_turn("it", 0)).find("Gather/Say")
    assert say.attrib == {"language": "it-IT"}


# A whole call in each language: consent asked again, every type, a re-ask, the goodbye.
CALL = [
    Reply(),
    Reply(digits="1"),
    Reply(digits="1"),
    Reply(digits="9"),
    Reply(digits="99"),
    Reply(digits="12"),
    Reply(digits="3"),
    Reply(digits="1"),
    Reply(speech="More staff", confidence=0.9),
    Reply(digits="4"),
]


@pytest.mark.parametrize("language", ["en", "it"])
def test_every_say_and_gather_of_a_call_carries_its_language(twilio, language):
    script_ = script(language)
    state, turn = dialogue.start(script_)
    languages, voices, expects = set(), set(), []
    for reply in [*CALL, None]:
        expects.append(turn.expect)
        for element in render(twilio, turn).iter():
            if element.tag in ("Say", "Gather"):
                languages.add(element.get("language"))
            if element.tag == "Say":
                voices.add(element.get("voice"))
        if reply is not None:
            state, turn, _ = dialogue.advance(script_, state, reply)
    assert state.outcome == "completed"
    assert expects == [
        "consent",
        "consent",
        "yes_no",
        "scale",
        "number",
        "number",
        "single_choice",
        "yes_no",
        "free_text",
        "scale",
        "",
    ]
    assert languages == {LOCALES[language]}
    assert voices == {VOICES[language]}
