#!/usr/bin/env python3
"""Derive src/scan/name_chars.txt: how much more often each character appears
in a Chinese given name than in running text.

Source of the counts: the word list of jieba (the `dict.txt` shipped in the
jieba-rs crate, MIT licence; each line `word frequency tag`). Names are its
entries tagged `nr` of two or three Han characters whose first character is a
single-character surname of our person_name lexicon (about 40,000 names);
text frequency is the sum of the frequencies of the words a character occurs
in. Only these counts' ratio is kept, never the word list.

    python3 tests/tools/name_chars.py \
        ~/.cargo/registry/src/*/jieba-rs-0.11.0/src/data/dict.txt \
        policies/detectors/personal.toml > src/scan/name_chars.txt

Weight = ln(P(char | given name) / P(char | text)), add-½ smoothing on the
name side, kept for characters seen in at least two names, clipped to ±4.
"""
import collections
import math
import sys
import tomllib

MIN_NAMES = 2
CLIP = 4.0


def main(dict_path, personal_toml):
    packs = tomllib.load(open(personal_toml, "rb"))["detector"]
    lexicon = next(d for d in packs if d["id"] == "person_name")["lexicon"]
    surnames = {s for s in lexicon["surnames"] if len(s) == 1}
    given, text = collections.Counter(), collections.Counter()
    for line in open(dict_path, encoding="utf-8"):
        word, freq, tag = line.split()
        if not all("\u4e00" <= c <= "\u9fff" for c in word):
            continue
        for c in word:
            text[c] += int(freq)
        if tag == "nr" and len(word) in (2, 3) and word[0] in surnames:
            given.update(word[1:])
    g_total, t_total, kinds = sum(given.values()), sum(text.values()), len(given)
    print("# char weight: ln(P(char | given name) / P(char | text)); derived by")
    print("# tests/tools/name_chars.py from the jieba dictionary (jieba-rs 0.11.0, MIT)")
    for c, n in sorted(given.items()):
        if n < MIN_NAMES:
            continue
        p_name = (n + 0.5) / (g_total + 0.5 * kinds)
        p_text = (text[c] + 1) / t_total
        weight = max(-CLIP, min(CLIP, math.log(p_name / p_text)))
        print(f"{c} {weight:.1f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
