#!/usr/bin/env python3
"""Training tasks that no test tunes for, for the "Training with its defaults" table of
BENCHMARKS.md: each is a folder of train.tsv / valid.tsv / test.tsv (source<TAB>target), the
same bytes on every machine for the same seed (Python's `random.Random`, no other input).

- normalization: dates written many ways (month names, abbreviations, ordinals, case, slashes,
  dots, ISO) → one canonical form YYYY-MM-DD; 30,000 train / 1,000 valid / 1,000 test, no
  input in two splits.
- normalization-shifted: the same kind of inputs → DD.MM.YYYY; 3,000 / 500 / 500 — the
  shifted task a normalization model is fine-tuned on (`--init-from`).
- reversal: "copy" or "reverse" then 20–80 symbols from an alphabet of 26 letters and 10
  digits, space-separated → the symbols as they are or reversed; 20,000 / 500 / 500.
- freedict: the FreeDict German→English sentence pairs of scripts/fetch_freedict.sh
  (data/freedict), copied when present (the real translation task).

Usage: scripts/make_training_tasks.py [--out data/tasks] [--seed 1]
"""
import argparse
import calendar
import os
import random
import shutil

MONTHS = list(calendar.month_name)[1:]
ABBREVIATIONS = [m[:3] for m in MONTHS]


def ordinal(n):
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def written_date(rng, year, month, day):
    """One of many ways people write the date."""
    name, short = MONTHS[month - 1], ABBREVIATIONS[month - 1]
    forms = [
        f"{name} {day}, {year}",
        f"{name} {ordinal(day)}, {year}",
        f"{short} {day} {year}",
        f"{short}. {day}, {year}",
        f"{day} {name} {year}",
        f"{ordinal(day)} of {name} {year}",
        f"the {ordinal(day)} of {name}, {year}",
        f"{day} {short} {year}",
        f"{month:02d}/{day:02d}/{year}",
        f"{month}/{day}/{year}",
        f"{day}.{month}.{year}",
        f"{day:02d}.{month:02d}.{year}",
        f"{year}/{month:02d}/{day:02d}",
        f"{year}.{month}.{day}",
        f"{year} {name} {day}",
    ]
    text = rng.choice(forms)
    case = rng.random()
    if case < 0.15:
        text = text.upper()
    elif case < 0.3:
        text = text.lower()
    return text


def normalization(rng, sizes, canonical="{year:04d}-{month:02d}-{day:02d}"):
    seen, rows = set(), []
    total = sum(sizes)
    while len(rows) < total:
        year = rng.randint(1900, 2099)
        month = rng.randint(1, 12)
        day = rng.randint(1, calendar.monthrange(year, month)[1])
        source = written_date(rng, year, month, day)
        if source in seen:
            continue
        seen.add(source)
        rows.append((source, canonical.format(year=year, month=month, day=day)))
    return rows


def reversal(rng, sizes):
    alphabet = [chr(c) for c in range(ord("a"), ord("z") + 1)] + [str(d) for d in range(10)]
    seen, rows = set(), []
    while len(rows) < sum(sizes):
        symbols = [rng.choice(alphabet) for _ in range(rng.randint(20, 80))]
        command = rng.choice(["copy", "reverse"])
        source = command + " " + " ".join(symbols)
        if source in seen:
            continue
        seen.add(source)
        target = symbols if command == "copy" else symbols[::-1]
        rows.append((source, " ".join(target)))
    return rows


def write(folder, rows, sizes):
    os.makedirs(folder, exist_ok=True)
    start = 0
    for name, size in zip(["train", "valid", "test"], sizes):
        with open(os.path.join(folder, f"{name}.tsv"), "w", encoding="utf-8", newline="\n") as f:
            for source, target in rows[start:start + size]:
                f.write(f"{source}\t{target}\n")
        start += size
    print(f"{folder}: " + " / ".join(f"{n} {name}" for n, name in zip(sizes, ["train", "valid", "test"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="data/tasks")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sizes = (30000, 1000, 1000)
    write(os.path.join(args.out, "normalization"), normalization(random.Random(args.seed), sizes), sizes)
    # The shifted task for fine-tuning: the same kind of inputs, another canonical form
    # (DD.MM.YYYY), and far fewer pairs.
    sizes = (3000, 500, 500)
    write(os.path.join(args.out, "normalization-shifted"),
          normalization(random.Random(args.seed + 2), sizes, canonical="{day:02d}.{month:02d}.{year:04d}"), sizes)
    sizes = (20000, 500, 500)
    write(os.path.join(args.out, "reversal"), reversal(random.Random(args.seed + 1), sizes), sizes)
    freedict = "data/freedict"
    if os.path.exists(os.path.join(freedict, "train.tsv")):
        os.makedirs(os.path.join(args.out, "freedict"), exist_ok=True)
        for name in ["train", "valid", "test"]:
            shutil.copyfile(os.path.join(freedict, f"{name}.tsv"), os.path.join(args.out, "freedict", f"{name}.tsv"))
        print(f"{args.out}/freedict: copied from {freedict}")
    else:
        print("data/freedict missing: run scripts/fetch_freedict.sh for the translation task")


if __name__ == "__main__":
    main()
