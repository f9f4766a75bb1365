"""The worker's one entry point: handle(request_json) -> reply_json.

Requests and replies are JSON strings, so nothing but plain data crosses into JavaScript.
handle() never raises: any failure becomes {"error": {"message", "traceback", "line"}}.

    {"op": "source_map", "source"}          -> {"source_map"}
    {"op": "highlight", "source"}           -> {"tokens"}
    {"op": "set_values", "source", "values"} -> {"source", "tokens", "source_map"}
    {"op": "new_run", "source"}             -> {"lines", "num_steps"}   (creates and starts a run)
    {"op": "step"}                          -> a Run.step() snapshot with its "breakdown"
                                               (step_report.py), or {"done": true}
    {"op": "finish"}                        -> {"lines"}
    {"op": "stop"}                          -> {"stopped": true}
    {"op": "inspect", "kind", "args"}       -> what inspections.answer() returns for that kind   (drops the run)
    {"op": "inspect", "kind": "export_model", "args": {"data"}} -> a model file (py/model_file.py)
    {"op": "load_model", "source", "model", "data"} -> like new_run, with the file's weights, and {"steps"}

A reply's "lines" are at most the last LINES_KEPT printed; "lines_dropped" counts those left out
(a loop that prints a flood must not make a reply of megabytes).

Numbers that JSON cannot hold (NaN, +-Infinity) are sent as null, and the reply then lists
where they were in "nonfinite" (e.g. ["loss", "phases.2.ms"]).
"""

import json
import math
import traceback

import inspections
import model_file
import runner
import source_map

_run = None
_writer = None
LINES_KEPT = 5000   # the page's Console keeps as many


def set_writer(fn):
    """Also send each printed line to fn(line) as it is printed (None to stop)."""
    global _writer
    _writer = fn


def _write_line(line):
    if _writer is not None:
        _writer(line)


def _tokens(source):
    import highlight   # lazily: pygments loads only when highlighting is asked for
    return highlight.tokens(source)


def _current_run():
    if _run is None:
        raise runner.RunError("there is no run; send new_run first")
    return _run


def _op_source_map(request):
    return {"source_map": source_map.source_map(request["source"])}


def _op_highlight(request):
    return {"tokens": _tokens(request["source"])}


def _op_set_values(request):
    # names the (edited) text no longer sets as a literal are left alone, not an error
    known = source_map.source_map(request["source"])["hyperparams"]
    values = {k: v for k, v in request["values"].items() if k in known or k not in source_map.EDITABLE}
    source = source_map.set_values(request["source"], values)
    return {"source": source, "tokens": _tokens(source), "source_map": source_map.source_map(source)}


def _drop_run():
    global _run
    if _run is not None:
        _run.close()
    _run = None


def _op_new_run(request):
    global _run
    _drop_run()   # a new run replaces the old one, even if the new one fails to start
    run = runner.Run(request["source"], _write_line)
    lines = run.start()
    _run = run
    inspections.watch(run)
    return {"lines": lines, "num_steps": runner._plain_number(run.globals.get("num_steps")),
            **inspections.run_info(run.globals, run.source)}


def _op_inspect(request):
    run = _current_run()
    if request["kind"] == "export_model":   # needs the run itself: how many steps made the model
        steps = getattr(run, "steps_before", 0) + run.step_count
        return model_file.export(run.globals, run.source, steps, **(request.get("args") or {}))
    return inspections.answer(request["kind"], run.globals, run.source, request.get("args"))


def _op_load_model(request):
    """A run of `source` whose weights are a saved model's: the set-up code runs on `data` (the
    data it was trained on, as the page has it) or, if that gives another vocabulary, on an
    input.txt of the file's own characters; then the file's numbers go into the Values."""
    global _run
    _drop_run()   # as new_run does: even a file that fails to load replaces the old run
    model = model_file.parse(request["model"])
    texts = [request["data"]] if isinstance(request.get("data"), str) else []
    texts.append(model_file.vocabulary_text(model["uchars"]))
    for text in texts:
        with open("input.txt", "w", encoding="utf-8") as f:
            f.write(text)
        run = runner.Run(request["source"], _write_line)
        lines = run.start()
        if list(run.globals.get("uchars", [])) == model["uchars"] or text is texts[-1]:
            break
        run.close()
    model_file.load(run.globals, run.source, model)
    run.steps_before = model["steps"]
    _run = run
    inspections.watch(run)
    return {"lines": lines, "steps": model["steps"], "own_data": text is not texts[-1],
            "num_steps": runner._plain_number(run.globals.get("num_steps")),
            **inspections.run_info(run.globals, run.source)}


def _op_step(request):
    run = _current_run()
    snapshot = run.step()
    if snapshot is None:
        return {"done": True}
    snapshot["breakdown"] = inspections.step_report_of(run)   # what the step did, phase by phase
    return snapshot


def _op_finish(request):
    return {"lines": _current_run().finish()}


def _op_stop(request):
    _drop_run()
    return {"stopped": True}


_OPS = {
    "source_map": _op_source_map,
    "highlight": _op_highlight,
    "set_values": _op_set_values,
    "new_run": _op_new_run,
    "step": _op_step,
    "finish": _op_finish,
    "stop": _op_stop,
    "inspect": _op_inspect,
    "load_model": _op_load_model,
}


def _error_reply(exc):
    if isinstance(exc, runner.RunError):
        error = {"message": exc.message, "traceback": exc.traceback, "line": exc.line,
                 "numeric": exc.numeric}
        return {"error": error, "lines": exc.lines} if exc.lines else {"error": error}
    if isinstance(exc, SyntaxError):   # from source_map or set_values on a broken source
        text = "".join(traceback.format_exception_only(type(exc), exc))
        return {"error": {"message": f"SyntaxError: {exc.msg}", "traceback": text,
                          "line": exc.lineno}}
    if isinstance(exc, model_file.ModelFileError):   # a file that cannot be loaded: a plain message
        return {"error": {"message": str(exc), "traceback": "", "line": None, "model_file": True}}
    if isinstance(exc, inspections.ViewError):   # what a view cannot show, said for people
        return {"error": {"message": str(exc), "traceback": "", "line": None, "view": True}}
    if isinstance(exc, KeyError):      # an unknown field or hyperparameter name
        return {"error": {"message": f"KeyError: {exc}", "traceback": "", "line": None}}
    # anything else is a bug in the bridge or a malformed request: full traceback
    return {"error": {"message": f"{type(exc).__name__}: {exc}",
                      "traceback": "".join(traceback.format_exception(type(exc), exc,
                                                                      exc.__traceback__)),
                      "line": None}}


def _sanitize(value, path, nonfinite):
    """A copy of value that json.dumps(allow_nan=False) accepts; notes where NaN/inf were."""
    if isinstance(value, float) and not math.isfinite(value):
        nonfinite.append(".".join(path))
        return None
    if isinstance(value, dict):
        return {str(k): _sanitize(v, path + [str(k)], nonfinite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_sanitize(v, path + [str(i)], nonfinite) for i, v in enumerate(value)]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _encode(reply):
    nonfinite = []
    clean = _sanitize(reply, [], nonfinite)
    if nonfinite:
        clean["nonfinite"] = nonfinite
    return json.dumps(clean, allow_nan=False)


def handle(request_json):
    """Answer one request (a JSON string) with a reply (a JSON string). Never raises."""
    try:
        try:
            request = json.loads(request_json)
            op = request["op"]
            if op not in _OPS:
                raise ValueError(f"unknown op {op!r}")
            reply = _OPS[op](request)
        except BaseException as e:   # KeyboardInterrupt from an interrupted step, too
            reply = _error_reply(e)
        lines = reply.get("lines")
        if isinstance(lines, list) and len(lines) > LINES_KEPT:
            reply["lines"], reply["lines_dropped"] = lines[-LINES_KEPT:], len(lines) - LINES_KEPT
        return _encode(reply)
    except BaseException as e:   # even encoding failed: a reply the page can still read
        return json.dumps({"error": {"message": f"{type(e).__name__}: bridge failure",
                                     "traceback": "", "line": None}})
