'use strict';
// The schedules (docs/dashboard.md, "Schedules"; docs/schedules.md): every schedule that is not
// deleted, with its next firing, its runs and its last run; with --allow-writes, a form to create
// one and buttons to pause, resume and delete each. Refreshed in place: the form keeps what is typed.
const SchedulesView = (() => {
  function create(config, requestRefresh) {
    const root = Dom.el('section', {class: 'schedules'});
    const table = Dom.el('div', {class: 'table-box'});
    const result = Dom.el('p', {class: 'action-result', 'data-testid': 'schedule-result', role: 'status'});
    let alive = true;

    async function act(path, body, done) {
      Dom.replace(result, 'sending\u2026');
      result.className = 'action-result';
      try {
        await Api.post(path, body);
        Dom.replace(result, done);
        result.classList.add('ok');
        requestRefresh();
      } catch (error) {
        Dom.replace(result, error.message);
        result.classList.add('failed');
      }
    }

    let form = null;
    if (config.allow_writes) {
      const id = Dom.el('input', {name: 'schedule-id', placeholder: 'schedule id', required: true, maxlength: 1024,
                                  'data-testid': 'schedule-id'});
      const spec = Dom.el('input', {name: 'schedule-spec', placeholder: 'when: */15 * * * *, @daily, @every 90s',
                                    required: true, maxlength: 1024, 'data-testid': 'schedule-spec'});
      const orchestration = Dom.el('input', {name: 'schedule-orchestration', placeholder: 'orchestration',
                                             required: true, maxlength: 1024,
                                             'data-testid': 'schedule-orchestration'});
      const input = Dom.el('textarea', {name: 'schedule-input', placeholder: 'input (sent as typed)', rows: 1,
                                        'data-testid': 'schedule-input'});
      const overlap = Dom.el('select', {name: 'schedule-overlap', 'aria-label': 'overlap',
                                        'data-testid': 'schedule-overlap'},
                             ['skip', 'buffer_one', 'allow_all'].map((word) => Dom.el('option', {value: word}, word)));
      const submit = Dom.el('button', {type: 'submit', 'data-testid': 'schedule-create'}, 'Create schedule');
      form = Dom.el('form', {class: 'action schedule-form', 'data-testid': 'schedule-form'},
                    Dom.el('h3', {}, 'New schedule (times in UTC)'), id, spec, orchestration, input,
                    Dom.el('label', {class: 'inline'}, 'while the last run goes on: ', overlap), submit);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        submit.disabled = true;
        await act('/api/schedule/create', {id: id.value, spec: spec.value, orchestration: orchestration.value,
                                           input: input.value, overlap: overlap.value},
                  `schedule \u201c${id.value}\u201d created`);
        submit.disabled = false;
      });
    }
    root.append(Dom.el('div', {class: 'section-head'}, Dom.el('h1', {}, 'Schedules')), table, form, result);

    function buttons(schedule) {
      if (!config.allow_writes) return '';
      const button = (label, testid, path, body, done) =>
        Dom.el('button', {type: 'button', 'data-testid': testid, on: {click: () => act(path, body, done)}}, label);
      const ended = schedule.status === 'Ended';
      return [
        schedule.status === 'Paused'
          ? button('Resume', 'schedule-resume', '/api/schedule/resume', {id: schedule.id}, 'resumption requested')
          : button('Pause', 'schedule-pause', '/api/schedule/pause', {id: schedule.id}, 'pause requested'),
        ' ',
        ended ? '' : button('Delete', 'schedule-delete', '/api/schedule/delete', {id: schedule.id},
                            'deletion requested'),
      ];
    }

    function row(schedule) {
      return Dom.el('tr', {'data-testid': 'schedule-row', data: {scheduleId: schedule.id}},
                    Dom.el('td', {}, Dom.instanceLink(schedule.instance_id)),
                    Dom.el('td', {}, Dom.statusBadge(schedule.status, 'schedule-status')),
                    Dom.el('td', {}, Dom.el('code', {}, schedule.spec)),
                    Dom.el('td', {}, schedule.orchestration),
                    Dom.el('td', {}, schedule.overlap),
                    Dom.el('td', {class: 'nowrap', 'data-testid': 'schedule-next'}, Dom.time(schedule.next_fire_ms)),
                    Dom.el('td', {class: 'num', 'data-testid': 'schedule-runs'}, schedule.runs_started),
                    Dom.el('td', {class: 'num'}, schedule.skipped),
                    Dom.el('td', {}, schedule.last_run_instance ? Dom.instanceLink(schedule.last_run_instance) : '-'),
                    Dom.el('td', {class: 'nowrap'}, buttons(schedule)));
    }

    function draw(schedules) {
      if (!schedules.length) {
        Dom.replace(table, Dom.el('p', {class: 'absent', 'data-testid': 'no-schedules'}, 'no schedules'));
        return;
      }
      Dom.replace(table, Dom.el('table', {class: 'schedule-list', 'data-testid': 'schedules'},
          Dom.el('thead', {}, Dom.el('tr', {}, ['Schedule', 'Status', 'When', 'Orchestration', 'Overlap',
                                                'Next firing', 'Runs', 'Skipped', 'Last run', '']
                                                .map((title) => Dom.el('th', {}, title)))),
          Dom.el('tbody', {}, schedules.map(row))));
    }

    async function refresh() {
      const data = await Api.get('/api/schedules');
      if (alive) draw(data.schedules);
    }

    return {root, refresh, close: () => { alive = false; }, title: () => 'Schedules'};
  }

  return {create};
})();
