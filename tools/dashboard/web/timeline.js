'use strict';
// An execution's history drawn on a time axis (docs/dashboard.md, "The page"): each activity,
// timer and sub-orchestration is a bar from its scheduling to its outcome (completed, failed,
// fired, cancelled; still running bars reach "now"), every other event is a labelled mark.
const Timeline = (() => {
  const WIDTH = 1000;
  const LABEL_WIDTH = 210;
  const RIGHT_MARGIN = 24;
  const AXIS_HEIGHT = 30;
  const MARK_LINES = 3;
  const MARK_LINE_HEIGHT = 14;
  const ROW_HEIGHT = 22;
  const BAR_HEIGHT = 14;
  const MAX_BARS = 300;
  const MIN_BAR_WIDTH = 3;

  const BAR_KINDS = {ActivityScheduled: 'activity', TimerCreated: 'timer', SubOrchestrationScheduled: 'sub-orchestration'};
  const OUTCOMES = {
    ActivityCompleted: 'completed',
    ActivityFailed: 'failed',
    TimerFired: 'fired',
    SubOrchestrationCompleted: 'completed',
    SubOrchestrationFailed: 'failed',
  };
  const CANCEL_REQUESTS = new Set(['ActivityCancelRequested', 'SubOrchestrationCancelRequested']);
  const COMMON_FIELDS = new Set(['event_id', 'source_event_id', 'instance_id', 'execution_id', 'timestamp_ms',
                                 'duroxide_version', 'type']);

  function barLabel(event) {
    if (event.type === 'TimerCreated') return 'timer';
    return event.name;
  }

  /// The bars and marks of a history (events in order).
  function layout(events) {
    const bars = [];
    const marks = [];
    const scheduled = new Map();
    for (const event of events) {
      const kind = BAR_KINDS[event.type];
      if (kind) {
        const bar = {kind, event, label: barLabel(event), start: event.timestamp_ms, end: null, outcome: null,
                     planned: event.type === 'TimerCreated' ? event.fire_at_ms : null, cancelledAt: null};
        bars.push(bar);
        scheduled.set(event.event_id, bar);
        continue;
      }
      const bar = event.source_event_id === null || event.source_event_id === undefined
          ? undefined : scheduled.get(event.source_event_id);
      if (bar && OUTCOMES[event.type] && bar.outcome === null) {
        bar.end = event.timestamp_ms;
        bar.outcome = OUTCOMES[event.type];
        continue;
      }
      if (bar && CANCEL_REQUESTS.has(event.type) && bar.cancelledAt === null) bar.cancelledAt = event.timestamp_ms;
      marks.push(event);
    }
    for (const bar of bars) {
      if (bar.outcome !== null) continue;
      if (bar.cancelledAt !== null) {
        bar.end = bar.cancelledAt;
        bar.outcome = 'cancelled';
      } else {
        bar.outcome = bar.kind === 'timer' ? 'waiting' : 'running';
      }
    }
    return {bars, marks};
  }

  /// Tick spacing: 1, 2 or 5 times a power of ten milliseconds, about six ticks over `span`.
  function tickStep(span) {
    const rough = span / 6;
    const power = Math.pow(10, Math.floor(Math.log10(Math.max(rough, 1))));
    for (const factor of [1, 2, 5, 10]) if (factor * power >= rough) return factor * power;
    return 10 * power;
  }

  function describe(event) {
    const fields = {};
    for (const [key, value] of Object.entries(event)) if (!COMMON_FIELDS.has(key)) fields[key] = value;
    return JSON.stringify(fields);
  }

  function shorten(text, length) {
    return text.length > length ? `${text.slice(0, length - 1)}\u2026` : text;
  }

  function markLabel(event) {
    const base = event.type.replace(/^Orchestration(?=Started|Completed|Failed|ContinuedAsNew|CancelRequested|Terminated|Suspended|Resumed)/, '');
    const name = event.name ? ` ${event.name}` : (event.key ? ` ${event.key}` : '');
    return shorten(base + name, 30);
  }

  /// The SVG of `events`; `now` (ms) is where bars still running end.
  function render(events, now) {
    const {bars, marks} = layout(events);
    const shown = bars.slice(0, MAX_BARS);
    let start = Infinity;
    let end = -Infinity;
    for (const event of events) {
      start = Math.min(start, event.timestamp_ms);
      end = Math.max(end, event.timestamp_ms);
    }
    for (const bar of shown) {
      if (bar.end !== null) end = Math.max(end, bar.end);
      if (bar.planned !== null && bar.outcome === 'waiting') end = Math.max(end, bar.planned);
      if ((bar.outcome === 'running' || bar.outcome === 'waiting') && now > start) end = Math.max(end, now);
    }
    if (!Number.isFinite(start)) {
      start = now;
      end = now;
    }
    const span = Math.max(end - start, 1);
    const plotWidth = WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
    const x = (t) => LABEL_WIDTH + ((t - start) / span) * plotWidth;
    const marksTop = AXIS_HEIGHT + 4;
    const barsTop = marksTop + MARK_LINES * MARK_LINE_HEIGHT + 12;
    const height = barsTop + shown.length * ROW_HEIGHT + 8;

    const root = Dom.svg('svg', {class: 'timeline', viewBox: `0 0 ${WIDTH} ${height}`, width: '100%',
                                 role: 'img', 'aria-label': 'history timeline', 'data-testid': 'timeline'});
    // Axis: a tick every step, labelled with the time since the first event.
    const step = tickStep(span);
    for (let t = 0; t <= span; t += step) {
      const at = x(start + t);
      root.appendChild(Dom.svg('line', {class: 'tick', x1: at, x2: at, y1: AXIS_HEIGHT - 6, y2: height - 4}));
      root.appendChild(Dom.svg('text', {class: 'tick-label', x: at, y: AXIS_HEIGHT - 10, 'text-anchor': 'middle'},
                               `+${Dom.duration(t)}`));
    }
    root.appendChild(Dom.svg('text', {class: 'lane-label', x: 4, y: AXIS_HEIGHT - 10}, Dom.time(start)));

    // Marks: every event that is not the start or end of a bar.
    root.appendChild(Dom.svg('text', {class: 'lane-label', x: 4, y: marksTop + MARK_LINE_HEIGHT}, 'events'));
    marks.forEach((event, index) => {
      const at = x(event.timestamp_ms);
      const line = index % MARK_LINES;
      const y = marksTop + line * MARK_LINE_HEIGHT + MARK_LINE_HEIGHT - 4;
      const anchorEnd = at > WIDTH - 170;
      root.appendChild(Dom.svg('g', {class: `mark mark-${event.type}`, 'data-type': event.type},
          Dom.svg('title', {}, `#${event.event_id} ${event.type} at ${Dom.time(event.timestamp_ms)} ${describe(event)}`),
          Dom.svg('line', {class: 'mark-line', x1: at, x2: at, y1: marksTop, y2: height - 4}),
          Dom.svg('circle', {class: 'mark-dot', cx: at, cy: y - 4, r: 3.5}),
          Dom.svg('text', {class: 'mark-label', x: anchorEnd ? at - 6 : at + 6, y,
                           'text-anchor': anchorEnd ? 'end' : 'start'}, markLabel(event))));
    });

    // Bars: one row each, labelled on the left.
    shown.forEach((bar, index) => {
      const top = barsTop + index * ROW_HEIGHT;
      const open = bar.outcome === 'running' || bar.outcome === 'waiting';
      const finish = bar.end !== null ? bar.end : (bar.outcome === 'waiting' && bar.planned ? bar.planned : Math.max(now, bar.start));
      const left = x(bar.start);
      const width = Math.max(x(finish) - left, MIN_BAR_WIDTH);
      const took = bar.end !== null ? `${bar.outcome} after ${Dom.duration(bar.end - bar.start)}` : bar.outcome;
      root.appendChild(Dom.svg('g', {class: 'bar-row'},
          Dom.svg('text', {class: 'bar-label', x: 4, y: top + BAR_HEIGHT - 3},
                  `${shorten(bar.label, 24)} #${bar.event.event_id}`),
          Dom.svg('rect', {class: `bar ${bar.kind} ${bar.outcome}${open ? ' open' : ''}`, x: left, y: top,
                           width, height: BAR_HEIGHT, rx: 3,
                           'data-kind': bar.kind, 'data-name': bar.label, 'data-outcome': bar.outcome,
                           'data-event-id': bar.event.event_id},
                  Dom.svg('title', {}, `${bar.kind} ${bar.label} (#${bar.event.event_id}): scheduled ` +
                                       `${Dom.time(bar.start)}, ${took}`))));
    });
    const note = bars.length > shown.length ? `${bars.length - shown.length} more not drawn` : null;
    return {svg: root, note, bars: bars.length, marks: marks.length};
  }

  /// The raw events as a table: id, time, time since the first, type, source, the other fields.
  function eventTable(events) {
    const first = events.length ? events[0].timestamp_ms : 0;
    const rows = events.map((event) => Dom.el('tr', {'data-testid': 'event-row', data: {type: event.type}},
        Dom.el('td', {class: 'num'}, event.event_id),
        Dom.el('td', {class: 'nowrap'}, Dom.time(event.timestamp_ms)),
        Dom.el('td', {class: 'num nowrap'}, `+${Dom.duration(event.timestamp_ms - first)}`),
        Dom.el('td', {class: 'nowrap'}, event.type),
        Dom.el('td', {class: 'num'}, event.source_event_id === null || event.source_event_id === undefined
                                      ? '' : event.source_event_id),
        Dom.el('td', {}, Dom.el('code', {class: 'event-fields'}, describe(event)))));
    return Dom.el('table', {class: 'events'},
        Dom.el('thead', {}, Dom.el('tr', {}, ['ID', 'Time', 'Since start', 'Event', 'Source', 'Fields']
                                              .map((title) => Dom.el('th', {}, title)))),
        Dom.el('tbody', {}, rows));
  }

  return {layout, render, eventTable};
})();
