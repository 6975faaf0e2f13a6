'use strict';
// One instance (docs/dashboard.md, "The page"): status, input, output or error, custom status,
// KV, children, the history's timeline and its raw events, and (with --allow-writes) forms to
// raise an event, to cancel, to terminate, to suspend, to resume and to rewind. Refreshed in place: the forms keep what is typed in them.
const InstanceView = (() => {
  const FINISHED = new Set(['Completed', 'Failed', 'Terminated']);

  function field(label, value) {
    return [Dom.el('dt', {}, label), Dom.el('dd', {}, value)];
  }

  function errorBlock(error) {
    if (!error) return Dom.payload(null, 'instance-error');
    return Dom.el('div', {class: 'error-block', 'data-testid': 'instance-error'},
                  Dom.el('span', {class: 'badge status-failed'}, error.category),
                  Dom.el('pre', {class: 'payload'}, error.message));
  }

  function kvTable(kv) {
    const keys = Object.keys(kv);
    if (!keys.length) return Dom.el('p', {class: 'absent'}, 'no values');
    return Dom.el('table', {class: 'kv', 'data-testid': 'kv'},
                  Dom.el('thead', {}, Dom.el('tr', {}, Dom.el('th', {}, 'Key'), Dom.el('th', {}, 'Value'))),
                  Dom.el('tbody', {}, keys.map((key) => Dom.el('tr', {}, Dom.el('td', {}, Dom.el('code', {}, key)),
                                                                 Dom.el('td', {}, Dom.payload(kv[key]))))));
  }

  function childList(children) {
    if (!children.length) return Dom.el('p', {class: 'absent'}, 'no sub-orchestrations');
    return Dom.el('ul', {class: 'children', 'data-testid': 'children'},
                  children.map((child) => Dom.el('li', {}, Dom.instanceLink(child.instance_id), ' ',
                                                 Dom.el('span', {class: 'muted'}, child.orchestration_name), ' ',
                                                 Dom.statusBadge(child.status))));
  }

  /// A form whose submit posts `body()` to `path` and reports in `result`.
  function actionForm(title, testid, inputs, button, path, body, result, after) {
    const submit = Dom.el('button', {type: 'submit', 'data-testid': `${testid}-submit`}, button);
    const form = Dom.el('form', {class: 'action', 'data-testid': testid}, Dom.el('h3', {}, title), inputs, submit);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      submit.disabled = true;
      Dom.replace(result, 'sending\u2026');
      result.className = 'action-result';
      try {
        const reply = await Api.post(path, body());
        Dom.replace(result, after(reply));
        result.classList.add('ok');
      } catch (error) {
        Dom.replace(result, error.message);
        result.classList.add('failed');
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  function create(id, config, requestRefresh) {
    const root = Dom.el('section', {class: 'instance'});
    const title = Dom.el('div', {class: 'title-row'});
    const fields = Dom.el('dl', {class: 'fields'});
    const timeline = Dom.el('div', {class: 'timeline-box'});
    const executionPicker = Dom.el('select', {'data-testid': 'execution-picker', 'aria-label': 'execution'});
    const kv = Dom.el('div');
    const children = Dom.el('div');
    const events = Dom.el('div', {class: 'events-box'});
    const historyNote = Dom.el('p', {class: 'muted'});
    const result = Dom.el('p', {class: 'action-result', 'data-testid': 'action-result', role: 'status'});
    let actions = null;
    let chosenExecution = null;
    let lastHistoryKey = null;
    let instance = null;
    let alive = true;

    if (config.allow_writes) {
      const eventName = Dom.el('input', {name: 'event-name', placeholder: 'event name', required: true,
                                         maxlength: 1024, 'data-testid': 'raise-name'});
      const eventData = Dom.el('textarea', {name: 'event-data', placeholder: 'data (sent as typed)', rows: 2,
                                            'data-testid': 'raise-data'});
      const reason = Dom.el('input', {name: 'reason', placeholder: 'reason', maxlength: 4096,
                                      'data-testid': 'cancel-reason'});
      const terminateReason = Dom.el('input', {name: 'terminate-reason', placeholder: 'reason', maxlength: 4096,
                                               'data-testid': 'terminate-reason'});
      const keepChildren = Dom.el('input', {type: 'checkbox', name: 'keep-children',
                                            'data-testid': 'terminate-keep-children'});
      const keepChildrenLabel = Dom.el('label', {class: 'inline'}, keepChildren, ' keep its sub-orchestrations running');
      const suspendReason = Dom.el('input', {name: 'suspend-reason', placeholder: 'reason', maxlength: 4096,
                                             'data-testid': 'suspend-reason'});
      const rewindReason = Dom.el('input', {name: 'rewind-reason', placeholder: 'reason', maxlength: 4096,
                                            'data-testid': 'rewind-reason'});
      const after = () => { requestRefresh(); };
      actions = Dom.el('div', {class: 'actions'},
          actionForm('Raise an event', 'raise-form', [eventName, eventData], 'Raise', '/api/raise-event',
                     () => ({instance_id: id, name: eventName.value, data: eventData.value}), result,
                     (reply) => { after(); return `event \u201c${reply.event}\u201d raised`; }),
          actionForm('Cancel', 'cancel-form', [reason], 'Cancel instance', '/api/cancel',
                     () => ({instance_id: id, reason: reason.value || null}), result,
                     () => { after(); return 'cancellation requested'; }),
          actionForm('Terminate', 'terminate-form', [terminateReason, keepChildrenLabel], 'Terminate instance',
                     '/api/terminate',
                     () => ({instance_id: id, reason: terminateReason.value || null,
                             terminate_children: !keepChildren.checked}), result,
                     () => { after(); return 'termination requested'; }),
          actionForm('Suspend', 'suspend-form', [suspendReason], 'Suspend instance', '/api/suspend',
                     () => ({instance_id: id, reason: suspendReason.value || null}), result,
                     () => { after(); return 'suspension requested'; }),
          actionForm('Resume', 'resume-form', [], 'Resume instance', '/api/resume',
                     () => ({instance_id: id}), result,
                     () => { after(); return 'resumption requested'; }),
          actionForm('Rewind', 'rewind-form', [rewindReason], 'Rewind instance', '/api/rewind',
                     () => ({instance_id: id, reason: rewindReason.value || null}), result,
                     () => { after(); return 'rewind requested'; }),
          result);
    }
    executionPicker.addEventListener('change', () => {
      chosenExecution = Number(executionPicker.value);
      lastHistoryKey = null;
      requestRefresh();
    });

    root.append(title, Dom.el('div', {class: 'overview'}, fields, actions),
                Dom.el('div', {class: 'section-head'}, Dom.el('h2', {}, 'Timeline'), executionPicker), timeline,
                historyNote,
                Dom.el('h2', {}, 'Key-value store'), kv,
                Dom.el('h2', {}, 'Sub-orchestrations'), children,
                Dom.el('h2', {}, 'Events'), events);

    function drawInstance(data) {
      instance = data;
      Dom.replace(title, Dom.el('h1', {'data-testid': 'instance-id'}, data.instance_id),
                  Dom.statusBadge(data.status, 'instance-status'));
      Dom.replace(fields,
          field('Orchestration', `${data.orchestration_name} (version ${data.orchestration_version})`),
          field('Status', Dom.statusBadge(data.status)),
          field('Execution', `${data.current_execution_id} of ${data.execution_ids.length}`),
          field('Created', Dom.time(data.created_at_ms)),
          field('Updated', Dom.time(data.updated_at_ms)),
          field('Parent', data.parent_instance_id ? Dom.instanceLink(data.parent_instance_id) : '-'),
          field('Trace', Dom.payload(data.trace_parent, 'instance-trace-parent')),
          field('Input', Dom.payload(data.input, 'instance-input')),
          field('Output', Dom.payload(data.output, 'instance-output')),
          field('Error', errorBlock(data.error)),
          field('Termination', Dom.payload(data.termination_reason, 'instance-termination-reason')),
          field('Suspension', Dom.payload(data.suspension_reason, 'instance-suspension-reason')),
          field('Custom status', Dom.payload(data.custom_status, 'instance-custom-status')));
      Dom.replace(kv, kvTable(data.kv));
      Dom.replace(children, childList(data.children));
      if (actions) {
        // Each form is usable when its action can do something: resume only a suspended instance,
        // suspend only one that runs, rewind only a failed one, nothing else on a finished one.
        const finished = FINISHED.has(data.status);
        const suspended = data.status === 'Suspended';
        for (const form of actions.querySelectorAll('form')) {
          const testid = form.getAttribute('data-testid');
          const usable = testid === 'rewind-form' ? data.status === 'Failed'
              : !finished && (testid === 'resume-form' ? suspended : testid !== 'suspend-form' || !suspended);
          for (const control of form.querySelectorAll('input, textarea, button')) control.disabled = !usable;
        }
      }
      const ids = data.execution_ids;
      if (chosenExecution === null || !ids.includes(chosenExecution)) chosenExecution = ids[ids.length - 1];
      const options = ids.map((execution) => Dom.el('option', {value: execution, selected: execution === chosenExecution},
                                                     `execution ${execution}`));
      Dom.replace(executionPicker, options);
      executionPicker.hidden = ids.length < 2;
    }

    function drawHistory(history) {
      const drawn = Timeline.render(history.events, Date.now());
      Dom.replace(timeline, drawn.svg);
      const notes = [`${history.total_events} events: ${drawn.bars} activities, timers and sub-orchestrations, ` +
                     `${drawn.marks} other events`];
      if (drawn.note) notes.push(drawn.note);
      if (history.truncated) notes.push(`only the first ${history.events.length} events are shown`);
      Dom.replace(historyNote, notes.join('; '));
      Dom.replace(events, Timeline.eventTable(history.events));
    }

    async function refresh() {
      const data = await Api.get('/api/instance', {id});
      if (!alive) return;
      drawInstance(data);
      // The history changes only with the instance row; running bars still grow towards "now".
      const key = `${chosenExecution}/${data.updated_at_ms}/${data.status}/${data.current_execution_id}`;
      const running = !FINISHED.has(data.status);
      if (key === lastHistoryKey && !running) return;
      const history = await Api.get('/api/history', {id, execution: chosenExecution});
      if (!alive) return;
      lastHistoryKey = key;
      drawHistory(history);
    }

    return {root, refresh, close: () => { alive = false; }, title: () => (instance ? instance.instance_id : id)};
  }

  return {create};
})();
