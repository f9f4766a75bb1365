"""Runs microgpt.py's own statements, one training step at a time.

The file is cut, by parsing it, into three parts around its training loop (the first top-level
`for` over something mentioning num_steps):

    prefix   everything before the loop     -> start(): runs once, then the loop's iterable
                                                is evaluated once, as a `for` statement does
    phases   the loop body, cut where its     -> step(): binds the loop variable, runs each
             statements change job              phase in order and times it
             (loop_phases.py)
    suffix   everything after the loop       -> finish(): sampling

Each part is compiled from the file's own AST nodes with the filename "microgpt.py", so line
numbers in tracebacks are the file's own, and all parts run in one globals dict, exactly as the
module-level code of `python microgpt.py` would. Printed output is what that command prints,
line for line.
"""

import ast
import contextlib
import gc
import io
import math
import time

import release
import run_error
import source_map
from run_error import RunError  # noqa: F401  (callers catch runner.RunError)

FILENAME = run_error.FILENAME

# How often a step also runs the cyclic garbage collector (see Run.step).
GC_EVERY = 100

# The name a rewritten break/continue stores its intent in (see _LoopExits).
_FLOW = "__mgv_flow__"


class _LineWriter(io.TextIOBase):
    """A stdout that hands each complete line to a callback."""

    def __init__(self, emit):
        super().__init__()
        self._emit = emit
        self._partial = ""

    def writable(self):
        return True

    def write(self, s):
        *complete, self._partial = (self._partial + s).split("\n")
        for line in complete:
            self._emit(line)
        return len(s)

    def end(self):
        # output that did not end with a newline still reaches the page at the end of a call
        if self._partial:
            self._emit(self._partial)
            self._partial = ""


class _LoopExits(ast.NodeTransformer):
    """Rewrites the training loop's own `break` and `continue` so a phase can run on its own.

    A phase is compiled outside any loop, where `break` is a SyntaxError. A phase containing
    one is wrapped in a one-pass `for`, and each `break`/`continue` that belongs to the
    training loop becomes `__mgv_flow__ = 'break'` (or 'continue') followed by a `break` out
    of the wrapper; Run.step() then ends the loop or skips the remaining phases. Phases
    without them (microgpt.py as shipped) are compiled untouched.
    """

    def __init__(self):
        self.found = False

    def _exit(self, node, kind):
        self.found = True
        flag = ast.Assign(targets=[ast.Name(_FLOW, ast.Store())], value=ast.Constant(kind))
        return [ast.copy_location(flag, node), ast.copy_location(ast.Break(), node)]

    def visit_Break(self, node):
        return self._exit(node, "break")

    def visit_Continue(self, node):
        return self._exit(node, "continue")

    def _nested_loop(self, node):
        # a nested loop's body has its own break/continue; its `else` clause does not
        node.orelse = _flatten([self.visit(s) for s in node.orelse])
        return node

    visit_For = visit_AsyncFor = visit_While = _nested_loop

    def _scope(self, node):
        return node   # functions and classes: their break/continue are not the loop's

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _scope


def _flatten(nodes):
    out = []
    for node in nodes:
        out.extend(node if isinstance(node, list) else [node])
    return out


class _Phase:
    def __init__(self, name, code, has_exits, job=None):
        self.name = name
        self.job = job              # tokenize, forward, loss, backward, adam, or None
        self.code = code
        self.has_exits = has_exits


class Run:
    """One run of a microgpt.py source. Raises RunError if the source does not compile."""

    def __init__(self, source, write_line):
        self.source = source
        self._write_line = write_line
        self._source_lines = source_map._normalize(source).split("\n")
        # what `python microgpt.py` gives its module, plus __file__ for code that looks for it
        self.globals = {"__name__": "__main__", "__file__": FILENAME}
        self.step_count = 0
        # a phase's job ('backward', ...; see loop_phases.py) -> fn(globals) run right after it,
        # e.g. to read the grads before Adam zeroes them
        self.after_phase = {}
        self._iterator = None
        self._done = False          # no more steps (exhausted, or a `break`)
        self._broke = False         # ended by a `break`: the loop's `else` does not run
        self._finished = False
        try:
            self._compile(source)
        except SyntaxError as e:
            raise self._error(e, fallback_line=e.lineno) from None

    # --- compiling ------------------------------------------------------------------------

    @staticmethod
    def _code(statements):
        module = ast.Module(body=statements, type_ignores=[])
        return compile(module, FILENAME, "exec", dont_inherit=True)

    def _compile(self, source):
        tree, lines, _ = source_map.parse(source)
        loop = source_map.training_loop(tree)
        self.loop_line = loop.lineno if loop is not None else None
        if loop is None:   # nothing to step through: the whole file is the prefix
            self._prefix, self._phases, self._suffix = self._code(tree.body), [], self._code([])
            self._else = None
            return
        at = tree.body.index(loop)
        self._prefix = self._code(tree.body[:at])
        self._suffix = self._code(tree.body[at + 1:])
        self._else = self._code(loop.orelse) if loop.orelse else None
        self._iter = compile(ast.Expression(body=loop.iter), FILENAME, "eval", dont_inherit=True)

        # `for step in ...` binds a name directly; any other target is compiled as an assignment
        if isinstance(loop.target, ast.Name):
            self._target_name, self._target_code = loop.target.id, None
        else:
            assign = ast.Assign(targets=[loop.target], value=ast.Name("__mgv_item__", ast.Load()))
            ast.fix_missing_locations(ast.copy_location(assign, loop))
            self._target_name, self._target_code = None, self._code([assign])

        # the body's statements, phase by phase (recognised by what they do, see loop_phases.py)
        self._phases = [self._compile_phase(p["name"], p["statements"], p["job"])
                        for p in source_map.loop_phases(tree, loop, lines)]

    def _compile_phase(self, name, statements, job=None):
        exits = _LoopExits()
        body = _flatten([exits.visit(s) for s in statements])
        if exits.found:
            once = ast.For(target=ast.Name("__mgv_once__", ast.Store()),
                           iter=ast.Tuple([ast.Constant(0)], ast.Load()), body=body, orelse=[])
            ast.copy_location(once, statements[0])
            body = [once]
        ast.fix_missing_locations(ast.Module(body=body, type_ignores=[]))
        return _Phase(name, self._code(body), exits.found, job)

    # --- running --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _output(self):
        """Redirect stdout to write_line for the duration; yields the list of printed lines."""
        printed = []

        def emit(line):
            printed.append(line)
            self._write_line(line)

        writer = _LineWriter(emit)
        try:
            with contextlib.redirect_stdout(writer):
                yield printed
        except RunError as e:
            writer.end()
            e.lines = list(printed)
            raise
        writer.end()

    def _exec(self, code, fallback_line=None):
        try:
            exec(code, self.globals)
        except BaseException as e:   # SystemExit and KeyboardInterrupt too: the page reports them
            raise self._error(e, fallback_line) from None

    @contextlib.contextmanager
    def _no_cyclic_gc(self):
        # The Value graph has no cycles (backward() is iterative, nothing refers to itself), so
        # reference counting frees each step's graph; the cyclic collector would only walk the
        # whole graph over and over. Its state is restored afterwards -- but first the objects
        # the step left alive (the last graph, held by `loss` for inspection) are frozen:
        # otherwise the collector, re-enabled with a huge allocation count, would walk them all
        # at the next allocation, between steps (measured: ~2x slower runs). Frozen objects are
        # still freed by reference counting; cycles among them wait for _collect_cycles().
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield
        finally:
            gc.freeze()
            if was_enabled:
                gc.enable()

    @staticmethod
    def _collect_cycles():
        # for cycles a user's edit might create; no effect on any number
        gc.unfreeze()
        gc.collect()

    def start(self):
        """Run the prefix, then evaluate the loop's iterable once. Returns the printed lines."""
        with self._output() as printed:
            self._exec(self._prefix)
            if self.loop_line is not None:
                try:
                    self._iterator = iter(eval(self._iter, self.globals))
                except BaseException as e:
                    raise self._error(e, self.loop_line) from None
        return printed

    def step(self):
        """Run one pass of the loop body; a snapshot dict, or None when the loop is over."""
        if self.loop_line is None or self._done:
            return None   # no training loop to step through, or it is over
        if self._iterator is None:
            raise RunError("the run has not been started")
        with self._no_cyclic_gc(), self._output() as printed:
            began = time.perf_counter()
            try:
                item = next(self._iterator)
            except StopIteration:
                self._done = True
                return None
            except BaseException as e:
                raise self._error(e, self.loop_line) from None
            if self._target_name is not None:
                self.globals[self._target_name] = item
            else:
                self.globals["__mgv_item__"] = item
                self._exec(self._target_code, self.loop_line)
                del self.globals["__mgv_item__"]

            timings = []
            for phase in self._phases:
                t0 = time.perf_counter()
                self._exec(phase.code)
                timings.append({"name": phase.name, "job": phase.job, "ms": (time.perf_counter() - t0) * 1000})
                if phase.job in self.after_phase:
                    self.after_phase[phase.job](self.globals)
                flow = None
                if phase.has_exits:
                    flow = self.globals.pop(_FLOW, None)
                    self.globals.pop("__mgv_once__", None)
                if flow == "break":
                    self._done = self._broke = True
                if flow is not None:
                    break
            if release.is_deep(self.globals) and hasattr(self.globals.get("loss"), "_children"):
                release.take_apart(self.globals["loss"])   # see release.py: deep frees crash Pyodide
            total_ms = (time.perf_counter() - began) * 1000
            self.step_count += 1
            if self.step_count % GC_EVERY == 0:
                self._collect_cycles()

        loss = _number(self.globals.get("loss"))
        return {
            "step": self.step_count,
            "num_steps": _plain_number(self.globals.get("num_steps")),
            "loss": loss,
            "finite": loss is None or math.isfinite(loss),
            "lr_t": _number(self.globals.get("lr_t")),
            "ms": total_ms,
            "phases": timings,
            "lines": printed,
        }

    def finish(self):
        """Run what follows the loop (sampling). Returns the printed lines.

        The loop's `else` clause runs first if the loop ran to its end, as in Python; stopping
        early and finishing is allowed (the samples then come from a partly trained model).
        """
        if self._finished:
            raise RunError("the run has already finished")
        self._finished = True
        with self._no_cyclic_gc(), self._output() as printed:
            if self._else is not None and self._done and not self._broke:
                self._exec(self._else)
            self._exec(self._suffix)
        self._done = True
        return printed

    def close(self):
        """Let go of the run: its objects are freed, and frozen ones go back to the collector."""
        self.globals.clear()
        self._iterator = None
        self._done = True
        gc.unfreeze()

    def run_to_end(self):
        """start(), every step, finish(): all printed lines, as `python microgpt.py` prints them."""
        printed = self.start()
        while True:
            snapshot = self.step()
            if snapshot is None:
                break
            printed += snapshot["lines"]
        return printed + self.finish()

    def _error(self, exc, fallback_line=None):
        return run_error.from_exception(exc, self._source_lines, fallback_line)


def _plain_number(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _number(value):
    """A float from a number or from anything with a numeric .data (a Value), else None."""
    try:
        if not isinstance(value, (int, float)):
            value = getattr(value, "data", None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    except Exception:   # an exotic object, or an int too large for a float
        pass
    return None
