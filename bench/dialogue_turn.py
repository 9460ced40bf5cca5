#!/usr/bin/env python
"""Benchmark: one dialogue turn — `dialogue.advance` reading the callee's reply and giving the
next prompt — over a seven-question questionnaire of every type, in English and Italian.
Target: p50 ≤ 2 ms. A raw baseline is measured in the same run.

    .venv/bin/python bench/dialogue_turn.py [--turns 20000] [--seed 7]

Pure CPU: no database, no Redis, no Django set-up (calls/dialogue.py needs none).

The calls replay typical replies (calls/tests/questionnaires.py's seven questions): keys and
speech, number words, a choice named by a synonym, free text, a re-ask now and then ("what",
"maybe", an out-of-range number), a skip rule taken ("no" to q1 jumps to q5), and some calls
that end early (refused, "call me later", "do not call me"). Calls are drawn at random (with
`--seed`) until `--turns` turns have been timed, each turn on its own (perf_counter_ns).

Measured, each turn interleaved with its baseline so that load on the machine hits both alike:
- turn: `advance(script, state, reply)`, the reply read and the next prompt rendered;
- turn + stored state: as a webhook does it — the state loaded from its JSON, the turn, the
  new state dumped to JSON;
- baseline: the reply's text normalised the way the parser starts (lower case, accents
  stripped, `re.findall` of the words) — the least any reading of the reply costs.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import unicodedata
from pathlib import Path

from _common import p50, p95

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calls import dialogue  # noqa: E402
from calls.dialogue import Reply  # noqa: E402
from calls.tests.questionnaires import script  # noqa: E402

TARGET_P50_MS = 2.0


def keys(digits: str) -> Reply:
    return Reply(digits=digits)


def said(text: str, confidence: float = 0.88) -> Reply:
    return Reply(speech=text, confidence=confidence)


# Whole calls, in the order the prompts come (consent first).
CALLS = {
    "en": [
        [said("yes sure"), said("yes I have"), said("nine"), said("about three times"),
         said("by email please"), keys("1"), said("Faster support and shorter waits"),
         said("four")],
        [keys("1"), keys("1"), keys("10"), keys("2"), keys("3"), keys("1"),
         said("nothing really, it was fine"), keys("5")],
        [said("okay go ahead"), said("no"), said("I would, yes"), said("more staff on the phone"),
         said("three")],
        [said("yes"), said("yeah"), said("what"), said("eight"), said("seventy"),
         said("twelve"), said("maybe"), said("telephone"), said("no"), said("cheaper plans"),
         keys("4")],
        [said("no thanks")],
        [said("yes"), said("yes"), said("I'm driving, call me back in an hour")],
        [keys("1"), said("please do not call me again")],
    ],
    "it": [
        [said("sì certo"), said("sì"), said("nove"), said("circa tre volte"),
         said("per posta elettronica"), keys("1"), said("Un'assistenza più veloce"),
         said("quattro")],
        [keys("1"), keys("1"), keys("10"), keys("2"), keys("3"), keys("1"),
         said("niente, va tutto bene"), keys("5")],
        [said("va bene"), said("no"), said("sì, volentieri"), said("più personale al telefono"),
         said("tre")],
        [said("sì"), said("sì"), said("come"), said("otto"), said("settanta"), said("dodici"),
         said("forse"), said("cellulare"), said("no"), said("prezzi più bassi"), keys("4")],
        [said("no grazie")],
        [said("sì"), said("sì"), said("sono in riunione, mi richiami tra un'ora")],
        [keys("1"), said("non chiamatemi più")],
    ],
}  # fmt: skip


def normalized(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", plain)


def measure(turns: int, seed: int) -> dict[str, list[float]]:
    """Microseconds per turn: the turn, the turn with its stored state, the baseline."""
    scripts = {language: script(language) for language in CALLS}
    calls = [(language, replies) for language, group in CALLS.items() for replies in group]
    rng = random.Random(seed)
    results: dict[str, list[float]] = {"turn": [], "stored": [], "baseline": []}
    clock = time.perf_counter_ns
    while len(results["turn"]) < turns:
        language, replies = rng.choice(calls)
        script_ = scripts[language]
        state, _ = dialogue.start(script_)
        stored = json.dumps(state.to_dict())
        for reply in replies:
            text = reply.speech or reply.digits

            started = clock()
            normalized(text)
            results["baseline"].append((clock() - started) / 1000)

            started = clock()
            loaded = dialogue.State.from_dict(json.loads(stored))
            after, _, _ = dialogue.advance(script_, loaded, reply)
            stored = json.dumps(after.to_dict())
            results["stored"].append((clock() - started) / 1000)

            started = clock()
            state, turn, _ = dialogue.advance(script_, state, reply)
            results["turn"].append((clock() - started) / 1000)

            assert after == state, "the stored state must go on as the live one"
        assert state.ended, f"a {language} call did not end: {replies}"
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=20_000, help="turns timed (≥ 20,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    measure(2_000, args.seed + 1)  # warm-up: caches (phrase tables), the interpreter's
    results = measure(args.turns, args.seed)
    baseline = results["baseline"]
    print(f"dialogue turns over 7 questions, EN + IT: {len(results['turn']):,} turns timed")
    labels = {
        "turn": "turn (advance: read the reply, next prompt)",
        "stored": "turn + state from/to JSON (as a webhook)",
        "baseline": "baseline: normalise the reply's words (re.findall)",
    }
    for name, label in labels.items():
        values = results[name]
        line = f"  {label:<52} p50 {p50(values):8.1f} µs   p95 {p95(values):8.1f} µs"
        if name != "baseline":
            line += f"   ({p50(values) / p50(baseline):.1f}x baseline)"
        print(line)
    turn_p50_ms = p50(results["turn"]) / 1000
    verdict = "met" if turn_p50_ms <= TARGET_P50_MS else "MISSED"
    print(f"target: turn p50 ≤ {TARGET_P50_MS:g} ms — {verdict} ({turn_p50_ms:.3f} ms)")


if __name__ == "__main__":
    main()
