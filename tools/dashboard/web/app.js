'use strict';
// The page's frame (docs/dashboard.md, "The page"): routes (#/ the list, #/instance/ID one
// instance, #/schedules, #/metrics), and the live loop that refreshes the view shown every two seconds (or at
// once after an action) without reloading the page.
(() => {
  const POLL_MS = 2000;
  const viewBox = document.getElementById('view');
  const live = document.getElementById('live-state');
  const banner = document.getElementById('banner');
  let config = null;
  let current = null;
  let generation = 0;
  let wake = null;

  function route() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const question = hash.indexOf('?');
    const path = question < 0 ? hash : hash.slice(0, question);
    const query = new URLSearchParams(question < 0 ? '' : hash.slice(question + 1));
    if (path.startsWith('/instance/')) return {name: 'instance', id: decodeURIComponent(path.slice('/instance/'.length))};
    if (path === '/metrics') return {name: 'metrics'};
    if (path === '/schedules') return {name: 'schedules'};
    return {name: 'instances', filters: {status: query.get('status') || '', name: query.get('name') || ''}};
  }

  function navigateList(filters) {
    const query = new URLSearchParams();
    if (filters.status) query.set('status', filters.status);
    if (filters.name) query.set('name', filters.name);
    const text = query.toString();
    location.hash = text ? `#/?${text}` : '#/';
  }

  function requestRefresh() {
    if (wake) wake();
  }

  function showLive(ok, message) {
    live.dataset.state = ok ? 'ok' : 'error';
    live.textContent = ok ? `live \u00b7 ${new Date().toISOString().slice(11, 19)}Z` : 'not updating';
    banner.hidden = ok;
    banner.textContent = ok ? '' : message;
  }

  async function pollLoop(mine) {
    while (mine === generation) {
      try {
        await current.refresh();
        if (mine !== generation) return;
        showLive(true);
      } catch (error) {
        if (mine !== generation) return;
        showLive(false, error.message);
      }
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  function show() {
    generation += 1;
    if (current) current.close();
    requestRefresh();  // ends the previous view's wait; its loop sees the new generation and stops
    const target = route();
    if (target.name === 'instance') current = InstanceView.create(target.id, config, requestRefresh);
    else if (target.name === 'metrics') current = MetricsView.create(requestRefresh);
    else if (target.name === 'schedules') current = SchedulesView.create(config, requestRefresh);
    else current = ListView.create(target.filters, navigateList, requestRefresh);
    Dom.replace(viewBox, current.root);
    for (const link of document.querySelectorAll('[data-nav]')) {
      const section = target.name === 'instance' ? 'instances' : target.name;
      link.classList.toggle('active', link.dataset.nav === section);
    }
    document.title = `${current.title()} \u00b7 duroxide`;
    pollLoop(generation);
  }

  async function start() {
    while (config === null) {
      try {
        config = await Api.get('/api/config');
      } catch (error) {
        showLive(false, error.message);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
    document.getElementById('store-label').textContent = config.store;
    const mode = document.getElementById('write-mode');
    mode.textContent = config.allow_writes ? 'writes allowed' : 'read-only';
    mode.classList.add(config.allow_writes ? 'writes' : 'read-only');
    window.addEventListener('hashchange', show);
    show();
  }

  start();
})();
