"""A trained model as a file: its settings, vocabulary and weights as JSON, and back.

export() copies `.data` out of the run's own state_dict; load() copies a file's numbers back
into the `.data` of a fresh run's Values (made by microgpt.py's own set-up code, on data whose
characters give the same uchars). Nothing here computes anything of the model. Messages of
ModelFileError are for people: they say what is wrong with the file and what to do.

    {"format": "microgpt-viz model", "version": 1, "steps": 200,
     "config": {"n_embd": 16, ..., "seed": 42},      # the literals of the source that ran
     "vocab_size": 27, "uchars": ["a", "b", ...],   # microgpt.py's own tokenizer, saved
     "data": {"id": "names", "name": "Baby names"},  # what the page says it trained on, or null
     "weights": {"wte": [[...], ...], ...}}          # state_dict, matrix by matrix
"""
import json
import math

import source_map

FORMAT = "microgpt-viz model"
VERSION = 1
SHAPE_NAMES = ("n_embd", "n_head", "n_layer", "block_size")
MAX_VOCABULARY = 1000   # characters; the page allows data of at most 200 different ones


class ModelFileError(ValueError):
    pass


def config_of(source):
    """The hyperparameter literals of a source: {name: value}."""
    hp = source_map.source_map(source)["hyperparams"]
    return {name: hp[name]["value"] for name in source_map.EDITABLE if name in hp}


def export(g, source, steps, data=None):
    """The run's model as a plain dict (see the module docstring)."""
    weights = {name: [[p.data for p in row] for row in matrix]
               for name, matrix in g["state_dict"].items()}
    for matrix in weights.values():
        for row in matrix:
            if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in row):
                raise ModelFileError("The weights are not all finite numbers (the run diverged), "
                                     "so there is no model worth saving. Train again with a smaller learning_rate.")
    if not (isinstance(data, dict) and isinstance(data.get("id"), str) and isinstance(data.get("name"), str)):
        data = None
    return {"format": FORMAT, "version": VERSION, "steps": steps, "config": config_of(source),
            "vocab_size": g["vocab_size"], "uchars": list(g["uchars"]),
            "data": {"id": data["id"], "name": data["name"]} if data else None,
            "weights": {name: [[float(x) for x in row] for row in matrix] for name, matrix in weights.items()}}


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def parse(text):
    """A validated model dict from a file's text, or ModelFileError saying what is wrong."""
    damaged = "The file is damaged: "
    try:
        model = json.loads(text)
    except (ValueError, TypeError) as e:
        raise ModelFileError(f"This is not a saved model: it is not JSON ({e}).") from None
    except RecursionError:   # the page refuses deep nesting first; this is the second line
        raise ModelFileError(damaged + "it is nested deeper than a model file is.") from None
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise ModelFileError("This is not a microgpt-viz model file (Save model makes one).")
    if model.get("version") != VERSION:
        raise ModelFileError(f"This model file is version {model.get('version')!r}; this page reads version {VERSION}.")
    steps = model.get("steps")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ModelFileError(damaged + "its step count is not a whole number.")
    config = model.get("config")
    if not isinstance(config, dict) or not all(isinstance(config.get(n), int) and config[n] > 0 for n in SHAPE_NAMES):
        raise ModelFileError(damaged + f"its config lacks {', '.join(SHAPE_NAMES)}.")
    uchars = model.get("uchars")
    if (not isinstance(uchars, list) or not uchars or len(uchars) > MAX_VOCABULARY or not all(isinstance(c, str) and len(c) == 1 for c in uchars)
            or uchars != sorted(set(uchars))):
        raise ModelFileError(damaged + "its vocabulary is not a sorted list of distinct characters.")
    if model.get("vocab_size") != len(uchars) + 1:
        raise ModelFileError(damaged + f"vocab_size is {model.get('vocab_size')!r}, but the vocabulary has "
                             f"{len(uchars)} characters (+1 for BOS).")
    weights = model.get("weights")
    if not isinstance(weights, dict) or not weights:
        raise ModelFileError(damaged + "it has no weights.")
    for name, matrix in weights.items():
        if (not isinstance(matrix, list) or not matrix or not all(isinstance(row, list) for row in matrix)
                or len({len(row) for row in matrix}) != 1 or not all(_number(x) for row in matrix for x in row)):
            raise ModelFileError(damaged + f"the weights of {name} are not a table of numbers.")
    return model


def vocabulary_text(uchars):
    """An input.txt whose documents use exactly these characters: one per line; a whitespace
    character (which strip() would drop at a line's ends) sits between two others."""
    plain = [c for c in uchars if not c.isspace()]
    inner = [c for c in uchars if c.isspace()]
    if not plain:
        raise ModelFileError("The file is damaged: its vocabulary has only whitespace.")
    return "".join(c + "\n" for c in plain) + "".join(plain[0] + c + plain[0] + "\n" for c in inner)


def _shape(matrix):
    return f"{len(matrix)}×{len(matrix[0]) if matrix else 0}"


def check_fits(g, source, model):
    """ModelFileError unless the run made by `source` has the file's vocabulary and shapes."""
    here, there = g["state_dict"], model["weights"]
    ours = config_of(source)
    differ = [f"{n} is {model['config'][n]} in the file, {ours[n]} here" for n in SHAPE_NAMES
              if n in ours and model["config"][n] != ours[n]]
    lead = "This model does not fit microgpt.py as it is now: "
    if differ:
        raise ModelFileError(lead + "; ".join(differ) + ".")
    if set(here) != set(there):
        missing = sorted(set(here) - set(there))
        extra = sorted(set(there) - set(here))
        parts = ([f"the file lacks {', '.join(missing)}"] if missing else []) + \
                ([f"the file has {', '.join(extra)}, which this code does not make"] if extra else [])
        raise ModelFileError(lead + "; ".join(parts) + " (the file may come from edited code).")
    for name, matrix in here.items():
        if _shape(matrix) != _shape(there[name]) or any(len(r) != len(matrix[0]) for r in there[name]):
            raise ModelFileError(lead + f"{name} is {_shape(there[name])} in the file, {_shape(matrix)} here "
                                 "(its config does not match its weights: the file is damaged).")
    if list(g["uchars"]) != model["uchars"]:
        raise ModelFileError(lead + "its vocabulary differs from the one made from input.txt.")


def load(g, source, model):
    """Copy the file's weights into the run's own Values (their .data; grads zeroed)."""
    check_fits(g, source, model)
    for name, matrix in g["state_dict"].items():
        for row, saved in zip(matrix, model["weights"][name]):
            for p, x in zip(row, saved):
                p.data = float(x)
                p.grad = 0.0
