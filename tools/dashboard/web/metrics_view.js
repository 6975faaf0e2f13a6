'use strict';
// The store's figures (docs/dashboard.md, "The page"): instance, execution and event counts and
// the depths of its queues, refreshed live.
const MetricsView = (() => {
  const METRICS = [
    ['total_instances', 'Instances'],
    ['running_instances', 'Running'],
    ['completed_instances', 'Completed'],
    ['failed_instances', 'Failed'],
    ['terminated_instances', 'Terminated'],
    ['suspended_instances', 'Suspended'],
    ['total_executions', 'Executions'],
    ['total_events', 'History events'],
  ];
  const QUEUES = [
    ['orchestrator_queue', 'Orchestrator queue'],
    ['worker_queue', 'Worker queue'],
    ['timer_queue', 'Timer queue'],
  ];

  function cards(values, labels, group) {
    return Dom.el('div', {class: 'cards'}, labels.map(([key, label]) => Dom.el('div', {class: 'card', 'data-testid': `${group}-${key}`},
        Dom.el('div', {class: 'card-value'}, values[key]),
        Dom.el('div', {class: 'card-label'}, label))));
  }

  function create() {
    const body = Dom.el('div');
    const root = Dom.el('section', {class: 'metrics'}, Dom.el('h1', {}, 'Metrics'), body);
    let alive = true;

    async function refresh() {
      const data = await Api.get('/api/metrics');
      if (!alive) return;
      Dom.replace(body, Dom.el('h2', {}, 'Store'), cards(data.metrics, METRICS, 'metric'),
                  Dom.el('h2', {}, 'Queues'), cards(data.queues, QUEUES, 'queue'));
    }

    return {root, refresh, close: () => { alive = false; }, title: () => 'Metrics'};
  }

  return {create};
})();
