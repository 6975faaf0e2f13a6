'use strict';
// The instance list (docs/dashboard.md, "The page"): newest first, filtered by status and
// orchestration name, a page at a time. The filters live in the address (#/?status=...&name=...),
// so a filtered list can be bookmarked; the page position does not outlive the view.
const ListView = (() => {
  const STATUSES = ['Running', 'Completed', 'Failed', 'ContinuedAsNew', 'Terminated', 'Suspended'];
  const PAGE_SIZE = 25;

  function create(filters, navigate, requestRefresh) {
    const root = Dom.el('section', {class: 'list'});
    const status = Dom.el('select', {name: 'status', 'data-testid': 'filter-status', 'aria-label': 'status'},
                          Dom.el('option', {value: ''}, 'any status'),
                          STATUSES.map((word) => Dom.el('option', {value: word, selected: filters.status === word},
                                                        word)));
    const name = Dom.el('input', {name: 'name', placeholder: 'orchestration name', value: filters.name || '',
                                  'data-testid': 'filter-name', 'aria-label': 'orchestration name'});
    const form = Dom.el('form', {class: 'filters', 'data-testid': 'filters'}, status, name,
                        Dom.el('button', {type: 'submit'}, 'Filter'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      navigate({status: status.value, name: name.value.trim()});
    });
    status.addEventListener('change', () => navigate({status: status.value, name: name.value.trim()}));

    const table = Dom.el('div', {class: 'table-box'});
    const newer = Dom.el('button', {type: 'button', 'data-testid': 'page-newer'}, '\u2190 Newer');
    const older = Dom.el('button', {type: 'button', 'data-testid': 'page-older'}, 'Older \u2192');
    const position = Dom.el('span', {class: 'muted'});
    root.append(Dom.el('div', {class: 'section-head'}, Dom.el('h1', {}, 'Instances'), form), table,
                Dom.el('div', {class: 'pager'}, newer, position, older));

    // cursors[i] is the cursor of page i (null: the first page).
    const cursors = [null];
    let nextCursor = null;
    let alive = true;

    newer.addEventListener('click', () => {
      if (cursors.length > 1) cursors.pop();
      requestRefresh();
    });
    older.addEventListener('click', () => {
      if (nextCursor) cursors.push(nextCursor);
      requestRefresh();
    });

    function row(instance) {
      return Dom.el('tr', {'data-testid': 'instance-row', data: {instanceId: instance.instance_id}},
                    Dom.el('td', {}, Dom.instanceLink(instance.instance_id)),
                    Dom.el('td', {}, instance.orchestration_name),
                    Dom.el('td', {}, instance.orchestration_version),
                    Dom.el('td', {}, Dom.statusBadge(instance.status)),
                    Dom.el('td', {class: 'num'}, instance.current_execution_id),
                    Dom.el('td', {class: 'nowrap'}, Dom.time(instance.created_at_ms)),
                    Dom.el('td', {class: 'nowrap'}, Dom.time(instance.updated_at_ms)),
                    Dom.el('td', {}, instance.parent_instance_id ? Dom.instanceLink(instance.parent_instance_id) : ''));
    }

    function draw(page) {
      nextCursor = page.next_cursor;
      if (!page.instances.length) {
        Dom.replace(table, Dom.el('p', {class: 'absent', 'data-testid': 'no-instances'}, 'no instances'));
      } else {
        Dom.replace(table, Dom.el('table', {class: 'instances', 'data-testid': 'instances'},
            Dom.el('thead', {}, Dom.el('tr', {}, ['Instance', 'Orchestration', 'Version', 'Status', 'Execution',
                                                  'Created', 'Updated', 'Parent']
                                                  .map((title) => Dom.el('th', {}, title)))),
            Dom.el('tbody', {}, page.instances.map(row))));
      }
      newer.disabled = cursors.length === 1;
      older.disabled = !nextCursor;
      Dom.replace(position, `page ${cursors.length}`);
    }

    async function refresh() {
      let page;
      try {
        page = await Api.get('/api/instances', {status: filters.status, name: filters.name, limit: PAGE_SIZE,
                                                cursor: cursors[cursors.length - 1]});
      } catch (error) {
        // The instance a cursor named has gone (deleted, or it left the status filtered on): the
        // list starts again from its first page.
        if (error.status !== 400 || cursors.length === 1) throw error;
        cursors.length = 1;
        page = await Api.get('/api/instances', {status: filters.status, name: filters.name, limit: PAGE_SIZE});
      }
      if (alive) draw(page);
    }

    return {
      root,
      refresh,
      close: () => { alive = false; },
      title: () => 'Instances',
    };
  }

  return {create};
})();
