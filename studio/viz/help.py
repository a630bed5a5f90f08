"""Plain-words help for the Correspondence page's panels: what is drawn, how to read it, and what a good and a bad
picture look like. The page shows each text beside its panel; ``docs/internals.md`` says the same with screenshots."""

from __future__ import annotations

PANEL_HELP: dict[str, str] = {
    "events": (
        "**Events.** One lane per class, on the same seconds axis as every panel below. Green bars are the ground "
        "truth, blue bars the model's predictions that pass the score threshold (more opaque = higher score), orange "
        "bars events a person corrected or added. Click a bar (or choose it in *Event*) to pick it: its span is "
        "marked on every panel and *Why this event?* explains it. Good: predictions sit on the ground truth. Bad: a "
        "prediction where nothing is annotated, or several classes stacked on one span (the model is unsure of the "
        "name)."
    ),
    "correspondence": (
        "**LCC correspondence S.** Each cell compares the picture at one moment (rows: visual time, downwards) with "
        "the sound at another (columns: audio time). S is a cosine: red means the model finds them alike (up to 1), "
        "blue unlike (down to -1), white unrelated. The diagonal compares picture and sound at the same moment; the "
        "banded view keeps only the cells within the local band, which is all coherence reads. A picked event draws "
        "its block: its own rows and columns. Good: a red diagonal inside events and a paler one elsewhere, so sound "
        "and picture go together exactly when they should. Bad: an equally red diagonal over the whole clip "
        "whatever happens (the moments are matched by their position in the clip, not by what is seen and heard), "
        "or red blocks far from the diagonal."
    ),
    "curves": (
        "**Coherence and gates.** Coherence (solid lines) is the share of a step's affinity to the other stream that "
        "falls inside its local band: near 1, it matches the other stream only around the same moment; low, it "
        "matches moments far away as well. Visual→audio reads a row of S, audio→visual a column. The gates "
        "(dotted) are the coherence through a learnt sigmoid; LCC scales each stream's features by 1 + gate. A "
        "picked event marks its steps on every curve. Good: the curves rise inside events and fall on sounds without "
        "their picture. Bad: flat curves around 0.8-1.0 everywhere, which carry nothing about events (the shipped "
        "model's curves mostly look like that)."
    ),
    "windows": (
        "**CDP windows.** Each horizontal line is one token of the chosen pyramid level, drawn at the height of its "
        "own time (its dot sits on the diagonal). Purple: the window CDP predicted, from δL before the token to δR "
        "after it. Olive, just below: the effective window, the keys that hold 90 % of the attention the token "
        "actually applied. A picked event draws the windows of its tokens in red. Good: olive close to purple, and "
        "windows that widen on long events and narrow at boundaries. Bad: olive far wider than purple (the soft "
        "window let attention leak past its edges), or windows covering the whole clip. Click a token's dot to see "
        "its attention row."
    ),
    "attention": (
        "**Attention row.** How much the chosen token (dotted vertical line) attends to each key of its level. With "
        "*Stream updated* = visual, the sound at the token's moment gathers the picture around it into the visual "
        "stream (queries from the audio, keys from the picture); audio is the reverse. The weights sum to 1; the "
        "shaded span is the token's effective window. Good: one peak around the token, inside its predicted window. "
        "Bad: weight spread over seconds far from the token, or a peak somewhere unrelated."
    ),
    "why": (
        "**Why this event?** The picked event's internals against its own clip: the correspondence of its picture "
        "with the sound of the same moment and with the sound elsewhere; its coherence and gates against their "
        "median over the clip; how far its tokens' attention reaches against the event's duration; and, once the "
        "modality probe has run, whether it is found from the sound alone, the picture alone or needs both; for man "
        "or woman speaking, the voice's pitch and how it weighs the score. An audio-visual event should match its "
        "own moment better than elsewhere and need both streams."
    ),
}
