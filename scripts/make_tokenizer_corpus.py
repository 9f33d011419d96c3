#!/usr/bin/env python3
"""Writes Tests/Fixtures/tokenizers/corpus.txt: the parity corpus for every tokenizer type.

Deterministic (seeded). Lines mix English prose (from the Debian license texts, which every
Debian machine has), sentences in many scripts, and hard cases: accents in composed and
decomposed form, combining marks, CJK, emoji (with ZWJ sequences and skin tones), tabs,
runs of spaces, no-break and ideographic spaces, leading/trailing spaces, very long words,
digits, URLs, code, and empty lines. One line = one test case; the file is UTF-8 with "\n".

    python3 scripts/make_tokenizer_corpus.py
"""
import glob
import os
import random
import re
import unicodedata

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "tokenizers", "corpus.txt")

MULTILINGUAL = [
    "A criança brincava no jardim enquanto a avó lia o jornal.",
    "Não sei se ele já chegou à estação de comboios.",
    "Ação, coração, informação — três palavras com til e cedilha.",
    "L'élève a été très attentif pendant la leçon d'histoire.",
    "Où est la bibliothèque ? Je voudrais emprunter « Les Misérables ».",
    "Größere Straßen führen über die Brücke nach Köln.",
    "Der Bär aß Äpfel, Öl und Übermut.",
    "¿Dónde está el niño? ¡Qué sorpresa tan grande!",
    "El pingüino comió jalapeños en Cádiz.",
    "Ελληνικά: η γρήγορη καφέ αλεπού πηδάει.",
    "Русский язык: съешь же ещё этих мягких французских булок.",
    "Українська мова має літери ї, є та ґ.",
    "中文：我们今天去公园散步，天气很好。",
    "机器翻译是自然语言处理的一个重要方向。",
    "日本語：今日はとても良い天気ですね。東京タワーに行きましょう。",
    "カタカナとひらがなと漢字が混ざった文章です。",
    "한국어: 오늘 날씨가 정말 좋네요. 함께 산책할까요?",
    "العربية: القطة تجلس على السجادة الحمراء.",
    "עברית: הילד קורא ספר בספרייה.",
    "हिन्दी: मैं आज बाज़ार जा रहा हूँ।",
    "ไทย: ฉันชอบกินข้าวผัดมาก",
    "Tiếng Việt: Tôi đang học lập trình máy tính.",
    "Türkçe: Işık ılık süt içti, şöyle güzel.",
    "Polski: Zażółć gęślą jaźń.",
    "Čeština: Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "Íslenska: Þú ert ótrúlega góður í þessu.",
    "Svenska: Flygande bäckasiner söka hwila på mjuka tuvor.",
    "Română: Înșiră-te mărgărite și țesături.",
]

EMOJI = ["😀", "🎉", "👍🏽", "👩‍💻", "🇵🇹", "❤️", "🧑‍🤝‍🧑", "🐍", "🚀", "✨", "🤖", "👨‍👩‍👧‍👦", "☕", "🌍"]
SPACES = ["\t", "  ", "   ", "\u00a0", "\u3000", "\u2009", " \t "]
WORDS_EXTRA = ["tokenization", "encoder-decoder", "cross-attention", "naïve", "café", "façade", "coöperate",
               "Schifffahrtsgesellschaft", "pneumonoultramicroscopicsilicovolcanoconiosis"]


def prose_sentences():
    text = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text.append(f.read())
    joined = re.sub(r"\s+", " ", " ".join(text))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?;:])\s+", joined)]
    return [s for s in sentences if 3 <= len(s) <= 400]


def decomposed(s):
    return unicodedata.normalize("NFD", s)


def main():
    rng = random.Random(20261125)
    prose = prose_sentences()
    rng.shuffle(prose)
    lines = prose[:1400]
    for s in MULTILINGUAL:
        lines += [s, decomposed(s), s.upper(), s.lower()]
    for _ in range(150):
        s = rng.choice(MULTILINGUAL + prose[:200])
        words = s.split(" ")
        i = rng.randrange(len(words) + 1)
        words.insert(i, rng.choice(EMOJI) * rng.randint(1, 3))
        lines.append(" ".join(words))
    for _ in range(150):
        s = rng.choice(MULTILINGUAL + prose[:200])
        words = s.split(" ")
        lines.append("".join(w + rng.choice(SPACES + [" "] * 4) for w in words))
    for _ in range(80):
        s = rng.choice(MULTILINGUAL + prose[:100])
        lines.append(" " * rng.randint(1, 4) + s + " " * rng.randint(0, 5))
    for _ in range(40):  # combining marks stacked on letters
        base = rng.choice(["a", "e", "o", "n", "Z", "x"])
        marks = "".join(chr(rng.choice([0x300, 0x301, 0x302, 0x303, 0x308, 0x327, 0x331, 0x35C]))
                        for _ in range(rng.randint(1, 4)))
        lines.append(f"Zalgo {base}{marks} test {base}{marks}{base}")
    for _ in range(40):  # very long words
        w = "".join(rng.choice("abcdefghijklmnopqrstuvwxyzéüß") for _ in range(rng.randint(60, 400)))
        lines.append(f"long {w} end")
    for _ in range(60):
        n = rng.randint(0, 10**12)
        lines.append(rng.choice([
            f"Call +351 {n % 10**9:09d} or visit https://example.org/path?id={n}&lang=pt#top",
            f"The total was {n / 100:.2f} EUR on 2026-11-{rng.randint(1, 28):02d} at {rng.randint(0, 23)}:{rng.randint(0, 59):02d}.",
            f"def f(x):\treturn x ** {rng.randint(2, 9)}  # comment {n}",
            f"{{\"key\": [{n}, {n % 97}], \"ok\": true}}",
            f"version {rng.randint(0, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}-rc{rng.randint(1, 5)}",
        ]))
    lines += WORDS_EXTRA
    lines += ["", " ", "  ", "\t", "a", "I", ".", "...", "?!", "—", "▁", "▁▁x", "<unk>", "</s>", "<s>", "<pad>",
              "hello</s>world", "<mask> token", "\u200b", "e\u0301", "\u00e9", "ﬁ ligature ﬀ", "Ⅻ ① ㎏ ｆｕｌｌｗｉｄｔｈ",
              "x\u00a0\u00a0y", "tab\tseparated\tvalues", "trailing tab\t", "emoji only 🎉🎉🎉", "🇵🇹🇧🇷",
              "mixed 中文 and English 和 日本語", "x" * 1000, "ab" * 300 + " " + "cd" * 300]
    lines += [""] * 10
    rng.shuffle(lines)
    lines = [l.replace("\n", " ").replace("\r", " ") for l in lines]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{OUT}: {len(lines)} lines, {sum(len(l.encode()) for l in lines)} bytes")


if __name__ == "__main__":
    main()
