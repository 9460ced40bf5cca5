"""What the dialogue says and understands, per language (calls/dialogue.py is the state
machine that uses them): the phrases that carry an intent (yes, no, stop, do not call,
repeat), the number words, the filler words a short request may carry, and the prompts the
system speaks besides the campaign's own script. The prompt keys are the dialogue's: a question
type (free_text, numeric, scale) or how a call ends (completed, refused, failed).
"""

from __future__ import annotations

PHRASES = {
    "en": {
        "do_not_call": (
            "do not call",
            "don t call",
            "dont call",
            "stop calling",
            "never call",
            "remove me",
            "remove my number",
            "take me off",
            "unsubscribe",
            "put me on your do not call list",
        ),
        "yes": (
            "yes",
            "yeah",
            "yep",
            "sure",
            "ok",
            "okay",
            "of course",
            "certainly",
            "fine",
            "alright",
            "all right",
            "go ahead",
            "i agree",
            "agree",
            "why not",
            "absolutely",
            "no problem",
            "not a problem",
            "i don t mind",
            "don t mind",
        ),
        # A negation makes a refusal whatever it negates ("not sure", "of course not", "I'd
        # rather not"): consent must be a plain yes. A yes and a no together are unclear, and
        # the question is asked again.
        "no": (
            "no",
            "nope",
            "not",
            "not sure",
            "not really",
            "not okay",
            "not ok",
            "not fine",
            "absolutely not",
            "of course not",
            "certainly not",
            "definitely not",
            "sure not",
            "rather not",
            "i d rather not",
            "i would rather not",
            "i don t think so",
            "don t think so",
            "no way",
            "not interested",
            "no thanks",
            "no thank you",
            "not now",
            "i don t want to",
            "i do not want to",
            "i disagree",
            "never",
        ),
        "stop": ("stop", "quit", "enough", "hang up", "opt out", "i want to stop"),
        "repeat": (
            "repeat",
            "again",
            "say that again",
            "come again",
            "pardon",
            "sorry",
            "what",
            "i didn t understand",
            "i did not understand",
            "i didn t catch that",
            "one more time",
        ),
    },
    "it": {
        "do_not_call": (
            "non chiamatemi",
            "non chiamatemi piu",
            "non mi chiami",
            "non mi chiami piu",
            "non mi chiamate",
            "non chiamare",
            "non richiamatemi",
            "non mi richiami",
            "cancellatemi",
            "cancella il mio numero",
            "cancellate il mio numero",
            "toglietemi dalla lista",
            "rimuovetemi",
            "rimuovete il mio numero",
        ),
        "yes": (
            "si",
            "certo",
            "certamente",
            "va bene",
            "ok",
            "okay",
            "d accordo",
            "volentieri",
            "sicuro",
            "perche no",
            "accetto",
            "senz altro",
            "nessun problema",
            "non c e problema",
            "va benissimo",
        ),
        "no": (
            "no",
            "non",
            "non sono sicuro",
            "non sono sicura",
            "non credo",
            "non saprei",
            "preferirei di no",
            "direi di no",
            "assolutamente no",
            "certo che no",
            "proprio no",
            "no grazie",
            "non mi interessa",
            "non ho tempo",
            "non voglio",
            "non accetto",
            "mai",
        ),
        "stop": ("stop", "basta", "smettila", "voglio smettere", "chiudiamo"),
        "repeat": (
            "ripeti",
            "ripeta",
            "puo ripetere",
            "puoi ripetere",
            "come",
            "scusi",
            "scusa",
            "cosa",
            "non ho capito",
            "non ho sentito",
        ),
    },
}

NUMBER_WORDS = {
    "en": {
        "zero": 0,
        "oh": 0,
        "none": 0,
        "never": 0,
        "nothing": 0,
        "once": 1,
        "twice": 2,
        "a": 1,
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "eight": 8,
        "nine": 9,
        "ten": 10,
        "eleven": 11,
        "twelve": 12,
        "thirteen": 13,
        "fourteen": 14,
        "fifteen": 15,
        "sixteen": 16,
        "seventeen": 17,
        "eighteen": 18,
        "nineteen": 19,
    },
    "it": {
        "zero": 0,
        "nessuno": 0,
        "nessuna": 0,
        "mai": 0,
        "un": 1,
        "uno": 1,
        "una": 1,
        "due": 2,
        "tre": 3,
        "quattro": 4,
        "cinque": 5,
        "sei": 6,
        "sette": 7,
        "otto": 8,
        "nove": 9,
        "dieci": 10,
        "undici": 11,
        "dodici": 12,
        "tredici": 13,
        "quattordici": 14,
        "quindici": 15,
        "sedici": 16,
        "diciassette": 17,
        "diciotto": 18,
        "diciannove": 19,
    },
}
TENS = {
    "en": {
        "twenty": 20,
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
    },
    "it": {
        "venti": 20,
        "trenta": 30,
        "quaranta": 40,
        "cinquanta": 50,
        "sessanta": 60,
        "settanta": 70,
        "ottanta": 80,
        "novanta": 90,
    },
}
HUNDRED = {"en": "hundred", "it": "cento"}
# Italian writes 21–99 as one word, dropping the tens' last vowel before uno and otto:
# ventuno, ventidue, ventotto, trentatré.
IT_UNITS = {
    w: NUMBER_WORDS["it"][w]
    for w in ["uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove"]
}

TEXT = {
    "en": {
        "consent_again": (
            "Sorry, I did not catch that. Would you like to take part in our short survey? "
            "Press 1 or say yes; press 2 or say no."
        ),
        "sorry": "Sorry, I did not catch that.",
        "free_text": "Please answer in a few words.",
        "numeric": "Please say or key in a number.",
        "scale": "Please say or key in a number from 1 to 10.",
        "completed": "That was the last question. Thank you very much for your answers. Goodbye!",
        "refused": "No problem, thank you for your time. Goodbye.",
        "do_not_call": "Understood: we will not call you again. Goodbye.",
        "failed": "Sorry, we could not understand you. We may call again another time. Goodbye.",
        "voicemail": (
            "Hello, this is an automated call inviting you to a short survey. We will try to "
            "reach you again another time. Thank you, goodbye."
        ),
    },
    "it": {
        "consent_again": (
            "Mi scusi, non ho capito. Accetta di partecipare al nostro breve sondaggio? "
            "Prema 1 o dica sì; prema 2 o dica no."
        ),
        "sorry": "Mi scusi, non ho capito.",
        "free_text": "Risponda con poche parole, per favore.",
        "numeric": "Dica o digiti un numero, per favore.",
        "scale": "Dica o digiti un numero da 1 a 10, per favore.",
        "completed": "Era l'ultima domanda. Grazie mille per le sue risposte. Arrivederci!",
        "refused": "Nessun problema, grazie per il suo tempo. Arrivederci.",
        "do_not_call": "Va bene: non la chiameremo più. Arrivederci.",
        "failed": "Mi scusi, non riusciamo a capirla. Potremmo richiamarla un'altra volta. "
        "Arrivederci.",
        "voicemail": (
            "Buongiorno, questa è una chiamata automatica per invitarla a un breve sondaggio. "
            "Proveremo a richiamarla un'altra volta. Grazie, arrivederci."
        ),
    },
}

# Words that do not change what a short request means ("could you repeat that please").
FILLER = {
    "en": frozenset({"please", "can", "could", "would", "you", "me", "the", "that", "it", "say"}),
    "it": frozenset({"per", "favore", "la", "mi", "me", "lo", "puo", "puoi", "di", "nuovo"}),
}
