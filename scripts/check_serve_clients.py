#!/usr/bin/env python3
"""Real clients against a running `seq2seq serve`: the `openai` package's own client for the
audio API, and LibreTranslate's request shapes (JSON and form bodies, as its web page and the
libretranslate clients send them) through `requests`. Results are compared with the
`seq2seq` command line on the same inputs. Exits non-zero at the first difference.

    python3 scripts/check_serve_clients.py --base-url http://127.0.0.1:8080 --speech-model speech \
        --audio clip.wav --binary .build/release/seq2seq --speech-folder F --text-folder G
"""
import argparse
import json
import subprocess
import sys

import requests
from openai import OpenAI


def cli(binary, *args):
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True)
    return out.stdout


def check(condition, message):
    if not condition:
        print("FAILED:", message)
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base-url", required=True)
    p.add_argument("--speech-model", required=True)
    p.add_argument("--audio", required=True)
    p.add_argument("--binary", required=True)
    p.add_argument("--speech-folder", required=True)
    p.add_argument("--text-folder", required=True)
    p.add_argument("--api-key", default="not-needed")
    a = p.parse_args()

    # OpenAI's client, unchanged, pointed at the server.
    client = OpenAI(base_url=a.base_url + "/v1", api_key=a.api_key)
    expected = json.loads(cli(a.binary, "transcribe", "--model", a.speech_folder, "--format", "json", a.audio))
    text = expected["text"].strip()
    with open(a.audio, "rb") as f:
        r = client.audio.transcriptions.create(model=a.speech_model, file=f)
    check(r.text == text, f"json: {r.text!r} != {text!r}")
    with open(a.audio, "rb") as f:
        r = client.audio.transcriptions.create(model=a.speech_model, file=f, response_format="verbose_json",
                                               timestamp_granularities=["word", "segment"])
    check(r.text == text, f"verbose_json text: {r.text!r}")
    check([s.tokens for s in r.segments] == [s["tokens"] for s in expected["segments"]], "verbose_json segments differ")
    check(r.words is not None and all(w.end >= w.start for w in r.words), "verbose_json words missing")
    check(isinstance(r.duration, float) and r.duration > 0, "verbose_json duration")
    with open(a.audio, "rb") as f:
        r = client.audio.transcriptions.create(model=a.speech_model, file=f, response_format="text")
    check(isinstance(r, str) and r.strip() == text, f"text: {r!r}")
    with open(a.audio, "rb") as f:
        r = client.audio.transcriptions.create(model=a.speech_model, file=f, response_format="srt")
    check(isinstance(r, str) and r.startswith("1\n00:00:00,000 --> "), f"srt: {r!r}")
    with open(a.audio, "rb") as f:
        r = client.audio.transcriptions.create(model="whisper-1", file=f, language="en", temperature=0)
    check(r.text == text, "model whisper-1 (the server's only speech model) with language and temperature")
    models = [m.id for m in client.models.list()]
    check(a.speech_model in models, f"models: {models}")
    try:
        with open(a.audio, "rb") as f:
            client.audio.transcriptions.create(model="no-such-model", file=f)
        check(False, "an unknown model was accepted")
    except Exception as e:  # openai.NotFoundError
        check(getattr(e, "status_code", None) == 404, f"unknown model: {e!r}")
    print("openai client: transcriptions (json, verbose_json with words and segments, text, srt), models, 404: ok")

    # LibreTranslate's request shapes.
    sentences = ["The green house.", "Good morning!", "Where is the station?"]
    wanted = cli(a.binary, "translate", "--model", a.text_folder, *sentences).splitlines()
    langs = requests.get(a.base_url + "/languages").json()
    check(isinstance(langs, list) and all({"code", "name", "targets"} <= set(l) for l in langs), f"languages: {langs}")
    source = langs[0]["code"]
    target = langs[0]["targets"][0]
    r = requests.post(a.base_url + "/translate", json={"q": sentences[0], "source": source, "target": target, "format": "text",
                                                        "api_key": ""})
    check(r.status_code == 200 and r.json()["translatedText"] == wanted[0], f"json: {r.status_code} {r.text}")
    r = requests.post(a.base_url + "/translate", json={"q": sentences, "source": source, "target": target})
    check(r.json()["translatedText"] == wanted, f"array: {r.text}")
    r = requests.post(a.base_url + "/translate", data={"q": sentences[1], "source": "auto", "target": target})
    check(r.json()["translatedText"] == wanted[1] and r.json()["detectedLanguage"]["language"] == source, f"form: {r.text}")
    r = requests.post(a.base_url + "/translate", json={"q": "x", "source": source, "target": "zz"})
    check(r.status_code == 400 and "error" in r.json(), f"unknown target: {r.status_code} {r.text}")
    print("LibreTranslate shapes: /languages, JSON text and array, form with auto, unknown pair: ok")
    print("all client checks passed")


if __name__ == "__main__":
    main()
