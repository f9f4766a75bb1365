// Every message between the page and the worker, in one table. Nothing else knows the format.
window.MGV = window.MGV || {};
MGV.protocol = (() => {
  // Page -> worker.
  const toWorker = {
    boot:    'Start Python: {files: {path: text}, wheels, runtime, port}; port is the private channel every later message takes.',
    train:   'Start a fresh run of {source} on {data} (the text written as input.txt): clear everything, run up to the training loop, then step until done.',
    loadModel: 'Make a run of {source} on {data} whose weights are those of the saved {model} (JSON text); no steps. Answers "run" with {loaded}.',
    pause:   'Hold the run after the current step.',
    resume:  'Continue a paused run.',
    step:    'Run one training step of a paused run.',
    stop:    'End the run; the model so far stays for inspection.',
    reset:   'Forget the run.',
    setValues: 'Rewrite hyperparameter literals in {source} with {values}; answers "source".',
    inspect: 'Answer an inspection {id, kind, args} about the current model; answers "inspection".',
    check:   'Parse and highlight an edited {source}; answers "checked".',
  };
  // Worker -> page.
  const toPage = {
    heard:    'The worker got message {seq} (it answers at once, unless Python is busy in a long call).',
    progress: 'Boot progress: {stage}.',
    ready:    'Python is ready; {python} is its version.',
    source:   'The text that runs now: {source, tokens, source_map}.',
    run:      'A run started: {lr_schedule: [[step, lr_t]], num_params, vocab_size}; a loaded model adds {loaded: {steps, own_data}}.',
    lines:    'Lines microgpt.py printed: {lines}, after {dropped} more that were left out (a flood keeps its last lines).',
    snapshot: 'After a training step: {step, num_steps, loss, lr_t, ms, phases: [{name, job, ms}], breakdown} (breakdown: what the step did, py/step_report.py).',
    state:    'The run changed state: {state} is one of ready, starting (code before the loop runs), training, paused, error.',
    finished: 'The run ended: {reason} is "done" or "stopped".',
    error:    'Python raised: {message, traceback, line}, or boot failed: {message, file}, or Python broke for good: {message, fatal}.',
    inspection: 'The answer to inspect {id}: {result} or {error}.',
    checked:  'The answer to check: {source, tokens, source_map}, or {source, tokens, error: {message, line}}.',
  };

  // Send a message by name; unknown names are a programming error, caught here. Boot goes on
  // the worker's public channel and hands over the private port; the rest go through that port,
  // each with a number the worker acknowledges ("heard"). Returns that number.
  let lastSeq = 0;
  function send(worker, type, payload = {}) {
    if (!(type in toWorker)) throw new Error(`unknown message to worker: ${type}`);
    if (type === 'boot') return worker.postMessage({type, ...payload}, [payload.port]);
    const seq = ++lastSeq;
    worker.port.postMessage({type, seq, ...payload});
    return seq;
  }

  // Route the worker's messages, from its private port only, to handlers named like the messages.
  function listen(worker, handlers) {
    worker.port.addEventListener('message', (event) => {
      const {type} = event.data || {};
      if (!(type in toPage)) { console.warn('unknown message from worker', type); return; }
      if (handlers[type]) handlers[type](event.data);
    });
  }

  return {toWorker, toPage, send, listen};
})();
