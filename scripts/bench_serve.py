#!/usr/bin/env python3
"""Load on `seq2seq serve`: concurrent clients against the Firefox en->pt model and Whisper
tiny.en, next to the command line's offline throughput on the same inputs, in one run.

For each model and client count (default 1, 32, 128): a fresh server, one warm-up request,
then the clients share a bounded list of requests (the 330 sentences of
Tests/Fixtures/firefox/sentences.en.txt, one per request through LibreTranslate's
`POST /translate`; the 37 short speech clips of scripts/fetch_speech_data.sh through OpenAI's
`POST /v1/audio/transcriptions`), each client sending its next request when the last is
answered (one kept-alive connection per client). Reported: errors, p50/p99 latency, throughput, the server's peak RSS (VmHWM) and
its mean batch size (from /metrics). Offline: `seq2seq translate --batch-size 32` over the same
sentences and `seq2seq transcribe --batch-size 8` over the same clips, the model's load time subtracted (a run
on one input is timed and taken off).

    scripts/fetch_firefox_models.sh && scripts/fetch_whisper_models.sh && scripts/fetch_speech_data.sh
    swift build -c release
    python3 scripts/bench_serve.py [--clients 1,32,128] [--threads 2] [--models firefox,tiny.en]

Only the standard library. Prints a Markdown table and the CPU model.
"""
import argparse
import glob
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
PS = "/usr/share/pocketsphinx/test/data"


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def clips():
    files = sorted(glob.glob(PS + "/librivox/*.wav") + glob.glob(PS + "/cards/*.wav"))
    files += sorted(glob.glob(os.path.join(ROOT, ".cache/speech/audioeval/*/*.wav")))
    if not files:
        sys.exit("no speech clips: run scripts/fetch_speech_data.sh")
    return files


class Server:
    def __init__(self, binary, name, folder, threads):
        self.process = subprocess.Popen([binary, "serve", "--port", "0", "--threads", str(threads),
                                         "--max-queue", "4096", "--request-timeout", "3600",
                                         "--model", f"{name}={folder}"],
                                        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        for line in self.process.stderr:
            m = re.search(r"on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            sys.exit(f"server did not start: {self.process.wait()}")
        threading.Thread(target=lambda: [None for _ in self.process.stderr], daemon=True).start()

    def peak_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def metric(self, name):
        total = 0.0
        for line in request(self.port, "GET", "/metrics")[1].decode().splitlines():
            if line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        self.process.terminate()
        return self.process.wait()


def request(port, method, path, body=None, headers=None, connection=None):
    """One request; on `connection` (kept open, as clients with a session do) when given."""
    own = connection is None
    if own:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


def translate_body(text):
    return json.dumps({"q": text, "source": "en", "target": "pt"}).encode(), {"Content-Type": "application/json"}


def transcribe_body(path):
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        audio = f.read()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nspeech\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{os.path.basename(path)}\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + audio + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def load(port, path, bodies, clients):
    """The clients share `bodies`; returns (latencies, errors, wall seconds)."""
    latencies, errors, lock = [], [], threading.Lock()
    queue = list(enumerate(bodies))

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        while True:
            with lock:
                if not queue:
                    connection.close()
                    return
                _, (body, headers) = queue.pop()
            start = time.perf_counter()
            try:
                status, answer = request(port, "POST", path, body, headers, connection)
            except Exception as e:  # noqa: BLE001 - counted, reported
                status, answer = 0, str(e).encode()
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(f"{status}: {answer[:200]!r}")

    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - start


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def offline_seconds(command_for, inputs):
    """Wall time of the command on all inputs minus its time on one (start-up and load)."""
    def timed(xs):
        start = time.perf_counter()
        r = subprocess.run(command_for(xs), capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(r.stderr[-2000:])
        return time.perf_counter() - start
    timed(inputs[:1])
    return min(timed(inputs) for _ in range(2)) - min(timed(inputs[:1]) for _ in range(2))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", default=os.path.join(ROOT, ".build/release/seq2seq"))
    p.add_argument("--clients", default="1,32,128")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--models", default="firefox,tiny.en")
    args = p.parse_args()
    clients = [int(c) for c in args.clients.split(",")]

    sentences = open(os.path.join(ROOT, "Tests/Fixtures/firefox/sentences.en.txt")).read().splitlines()
    rows = []
    for model in args.models.split(","):
        if model == "firefox":
            folder, name, path, unit = os.path.join(ROOT, "models/firefox/enpt"), "en-pt", "/translate", "sentences"
            bodies = [translate_body(s) for s in sentences]
            inputs = sentences

            def command_for(xs, folder=folder):
                return [args.binary, "translate", "--model", folder, "--batch-size", "32", "--threads", str(args.threads)] + xs
        else:
            folder, name, path, unit = os.path.join(ROOT, f"models/whisper-{model}"), "speech", "/v1/audio/transcriptions", "clips"
            inputs = clips()
            bodies = [transcribe_body(c) for c in inputs]

            def command_for(xs, folder=folder):
                return [args.binary, "transcribe", "--model", folder, "--beam-size", "5", "--batch-size", "8", "--threads", str(args.threads), "--quiet"] + xs
        if not os.path.isdir(folder):
            sys.exit(f"{folder}: not fetched (scripts/fetch_firefox_models.sh, scripts/fetch_whisper_models.sh)")
        offline = offline_seconds(command_for, inputs)
        for n in clients:
            server = Server(args.binary, name, folder, args.threads)
            request(server.port, "POST", path, *bodies[0])
            latencies, errors, wall = load(server.port, path, bodies, n)
            batches = server.metric("seq2seq_batch_size_count")
            mean_batch = server.metric("seq2seq_batch_size_sum") / batches if batches else float("nan")
            peak = server.peak_mb()
            code = server.stop()
            rows.append((model, n, len(bodies), len(errors), statistics.median(latencies), percentile(latencies, 99),
                         len(bodies) / wall, unit, len(inputs) / offline, mean_batch, peak, code))
            if errors:
                print(f"{model} x{n}: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)

    print(f"CPU: {cpu_model()}, {args.threads} threads, seq2seq {args.binary}\n")
    print("| model | clients | requests | errors | p50 latency | p99 latency | throughput | CLI offline | ratio | mean batch | peak RSS | exit |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model, n, count, errs, p50, p99, rate, unit, cli, batch, peak, code in rows:
        batch_text = "one file at a time" if batch != batch else f"{batch:.1f}"
        print(f"| {model} | {n} | {count} | {errs} | {p50 * 1000:.0f} ms | {p99 * 1000:.0f} ms | {rate:.1f} {unit}/s "
              f"| {cli:.1f} {unit}/s | {rate / cli:.2f}× | {batch_text} | {peak:.0f} MB | {code} |")


if __name__ == "__main__":
    main()
