'use strict';
// The dashboard in a real browser (docs/dashboard.md, "Tested in a browser"): Debian's Chromium,
// headless, driven by playwright-core. The store is written and kept running by
// dashboard_fixture; the server is the built `duroxide serve --allow-writes` on a free port.
// Every wait is for a condition on the page (Playwright's waits); the timeouts only stop a hang.
// Child processes and the browser are stopped on every path out, failures included.
//
// Environment (set by tests/browser/CMakeLists.txt):
//   DUROXIDE_CLI        the built `duroxide`
//   DASHBOARD_FIXTURE   the built dashboard_fixture
//   PLAYWRIGHT_CORE     playwright-core, as `npm ci` installed it in the build tree
//   OUTPUT_DIR          where the screenshots and the run's scratch files go
//   CHROMIUM            the browser (default /usr/bin/chromium)
const {spawn} = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const HANG_GUARD_MS = 60000;
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run this test through ctest)`);
  return value;
};

const children = [];
const results = {passed: 0, failed: 0};

/// Starts `command`; resolves with the child and the first stdout line matching `pattern`.
function startChild(command, args, pattern, options = {}) {
  const child = spawn(command, args, {stdio: ['pipe', 'pipe', 'inherit'], ...options});
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(command)} did not print ${pattern} in time`)),
                             HANG_GUARD_MS * 2);
    const lines = readline.createInterface({input: child.stdout});
    lines.on('line', (line) => {
      console.log(`[${path.basename(command)}] ${line}`);
      const match = line.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve({child, match});
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(command)} ended (code ${code}, signal ${signal}) before printing ${pattern}`));
    });
    child.on('error', reject);
  });
}

/// Resolves with the exit code once `child` has ended.
function exited(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

async function check(name, body) {
  try {
    await body();
    results.passed += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    results.failed += 1;
    console.log(`not ok - ${name}\n  ${String(error.stack || error).split('\n').join('\n  ')}`);
    throw error;  // later checks build on this one
  }
}

function expectEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

async function textOf(page, testid) {
  return page.getByTestId(testid).first().textContent({timeout: HANG_GUARD_MS});
}

/// Waits until the element `testid` has exactly `text`.
async function waitForText(page, testid, text) {
  await page.waitForFunction(([id, expected]) => {
    const node = document.querySelector(`[data-testid="${id}"]`);
    return node !== null && node.textContent === expected;
  }, [testid, text], {timeout: HANG_GUARD_MS});
}

async function openInstance(page, url, id) {
  await page.goto(`${url}#/instance/${encodeURIComponent(id)}`);
  await waitForText(page, 'instance-id', id);
}

async function run() {
  const cli = env('DUROXIDE_CLI');
  const outputDir = env('OUTPUT_DIR');
  const {chromium} = require(env('PLAYWRIGHT_CORE'));
  fs.mkdirSync(outputDir, {recursive: true});
  const scratch = fs.mkdtempSync(path.join(outputDir, 'run-'));
  const store = `sqlite:${path.join(scratch, 'store.db')}`;
  let context = null;
  try {
    const fixture = await startChild(env('DASHBOARD_FIXTURE'), [store], /^ready$/);
    const serve = await startChild(cli, ['--store', store, 'serve', '--allow-writes', '--listen', '127.0.0.1:0'],
                                   /(http:\/\/127\.0\.0\.1:\d+\/)/);
    const url = serve.match[1];

    // A fresh profile every run; the flags keep Chromium from reaching out (the network is closed)
    // and let it run as root (CI).
    context = await chromium.launchPersistentContext(path.join(scratch, 'profile'), {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: {width: 1280, height: 900},
    });
    const page = context.pages()[0] || await context.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // The one refused page load (a check below) is expected.
      if (message.type() === 'error' && !message.text().includes('401 (Unauthorized)')) {
        problems.push(`console: ${message.text()}`);
      }
    });
    page.on('dialog', (dialog) => { problems.push(`a dialog opened: ${dialog.message()}`); dialog.dismiss(); });
    page.on('request', (request) => {
      if (!request.url().startsWith('http://127.0.0.1:')) problems.push(`a request left the machine: ${request.url()}`);
    });

    await check('the list shows every instance with its status', async () => {
      await page.goto(url);
      await page.locator('[data-testid="instance-row"][data-instance-id="parent-1-child"]').waitFor({timeout: HANG_GUARD_MS});
      const rows = await page.$$eval('[data-testid="instance-row"]', (nodes) => nodes.map((row) => [
        row.dataset.instanceId, row.querySelector('.badge').textContent]));
      // Sorted: the runtime creates the instances in the order it takes their starts.
      expectEqual(rows.sort(), [['approval-1', 'Running'], ['fanout-1', 'Completed'], ['parent-1', 'Completed'],
                                ['parent-1-child', 'Completed'], ['xss-1', 'Completed']], 'rows');
      expectEqual(await page.getByTestId('live-state').getAttribute('data-state'), 'ok', 'live state');
    });

    await check('the status filter narrows the list', async () => {
      await page.getByTestId('filter-status').selectOption('Running');
      await page.waitForFunction(() => {
        const rows = [...document.querySelectorAll('[data-testid="instance-row"]')];
        return rows.length === 1 && rows[0].dataset.instanceId === 'approval-1';
      }, null, {timeout: HANG_GUARD_MS});
      expectEqual(page.url(), `${url}#/?status=Running`, 'address with the filter');
    });

    await check('an instance opens from the list, its timeline has a bar per activity and the timer', async () => {
      await page.getByTestId('filter-status').selectOption('Completed');
      await page.locator('[data-instance-id="fanout-1"] a').first().click();
      await waitForText(page, 'instance-id', 'fanout-1');
      await page.locator('svg[data-testid="timeline"] rect.bar').first().waitFor({timeout: HANG_GUARD_MS});
      const bars = await page.$$eval('svg[data-testid="timeline"] rect.bar', (nodes) => nodes.map((bar) => [
        bar.dataset.kind, bar.dataset.name, bar.dataset.outcome]));
      expectEqual(bars, [['activity', 'Square', 'completed'], ['activity', 'Square', 'completed'],
                         ['activity', 'Square', 'completed'], ['timer', 'timer', 'fired']], 'bars');
      const marks = await page.$$eval('svg[data-testid="timeline"] g.mark', (nodes) => nodes.map((g) => g.dataset.type));
      for (const type of ['OrchestrationStarted', 'OrchestrationCompleted']) {
        if (!marks.includes(type)) throw new Error(`no ${type} mark among ${marks}`);
      }
      expectEqual(await textOf(page, 'instance-status'), 'Completed', 'status');
      expectEqual(await textOf(page, 'instance-output'), 'sum of squares: 29', 'output');
      expectEqual(await page.$$eval('[data-testid="event-row"]', (rows) => rows.map((row) => row.dataset.type)),
                  ['OrchestrationStarted', 'ActivityScheduled', 'ActivityScheduled', 'ActivityScheduled',
                   'ActivityCompleted', 'ActivityCompleted', 'ActivityCompleted', 'TimerCreated', 'TimerFired',
                   'OrchestrationCompleted'], 'raw events');
      await page.screenshot({path: path.join(outputDir, 'dashboard-instance.png'), fullPage: true});
    });

    await check('a sub-orchestration is linked from its parent', async () => {
      await openInstance(page, url, 'parent-1');
      await page.locator('[data-testid="children"] a').first().click();
      await waitForText(page, 'instance-id', 'parent-1-child');
      expectEqual(await textOf(page, 'instance-output'), 'child saw p', 'child output');
    });

    await check('values holding HTML show as text', async () => {
      await openInstance(page, url, 'xss-1');
      await waitForText(page, 'instance-output', '<script>alert(1)</script>');
      expectEqual(await textOf(page, 'instance-custom-status'), '<img src=x onerror=alert(2)>', 'custom status');
      expectEqual(await textOf(page, 'instance-input'), '<i>input</i>', 'input');
      expectEqual(await page.$$eval('main script, main img, main i, main b', (nodes) => nodes.length), 0,
                  'elements made from stored values');
    });

    await check('an event raised through the page completes the waiting instance', async () => {
      await openInstance(page, url, 'approval-1');
      expectEqual(await textOf(page, 'instance-status'), 'Running', 'status before');
      await page.getByTestId('raise-name').fill('Approve');
      await page.getByTestId('raise-data').fill('yes');
      await page.getByTestId('raise-form-submit').click();
      await waitForText(page, 'action-result', 'event \u201cApprove\u201d raised');
      await waitForText(page, 'instance-status', 'Completed');
      await waitForText(page, 'instance-output', 'approved: yes');
    });

    await check('the list follows the store without a reload', async () => {
      await page.goto(url);
      await page.getByTestId('instance-row').first().waitFor({timeout: HANG_GUARD_MS});
      await page.evaluate(() => { window.sameDocument = true; });
      const started = spawn(cli, ['--store', store, 'start', 'Approval', 'approval-2', 'later'], {stdio: 'inherit'});
      expectEqual(await exited(started), 0, 'duroxide start exit code');
      await page.locator('[data-testid="instance-row"][data-instance-id="approval-2"]').waitFor({timeout: HANG_GUARD_MS});
      expectEqual(await page.evaluate(() => window.sameDocument), true, 'the page was not reloaded');
    });

    await check('the metrics page counts the instances', async () => {
      await page.goto(`${url}#/metrics`);
      await waitForText(page, 'metric-total_instances', '6Instances');
      await waitForText(page, 'metric-running_instances', '1Running');
      await page.goto(url);
      await page.getByTestId('instance-row').first().waitFor({timeout: HANG_GUARD_MS});
      await page.screenshot({path: path.join(outputDir, 'dashboard-list.png'), fullPage: true});
    });

    await check('an instance suspended through the page shows Suspended, and runs again when resumed', async () => {
      await openInstance(page, url, 'approval-2');
      await page.getByTestId('suspend-reason').fill('audit');
      await page.getByTestId('suspend-form-submit').click();
      await waitForText(page, 'action-result', 'suspension requested');
      await waitForText(page, 'instance-status', 'Suspended');
      await waitForText(page, 'instance-suspension-reason', 'audit');
      expectEqual(await page.getByTestId('suspend-form-submit').isDisabled(), true, 'suspend of a suspended instance');
      expectEqual(await page.getByTestId('resume-form-submit').isDisabled(), false, 'resume of a suspended instance');
      await page.getByTestId('resume-form-submit').click();
      await waitForText(page, 'action-result', 'resumption requested');
      await waitForText(page, 'instance-status', 'Running');
      expectEqual(await page.getByTestId('resume-form-submit').isDisabled(), true, 'resume of a running instance');
    });

    await check('an instance terminated through the page shows Terminated with its reason', async () => {
      await openInstance(page, url, 'approval-2');
      expectEqual(await textOf(page, 'instance-status'), 'Running', 'status before');
      await page.getByTestId('terminate-reason').fill('retired by ops');
      await page.getByTestId('terminate-form-submit').click();
      await waitForText(page, 'action-result', 'termination requested');
      await waitForText(page, 'instance-status', 'Terminated');
      await waitForText(page, 'instance-termination-reason', 'retired by ops');
      expectEqual(await page.getByTestId('terminate-form-submit').isDisabled(), true, 'actions of a finished instance');
    });

    await check('a failed instance rewound through the page runs its failed activity again and completes', async () => {
      const started = spawn(cli, ['--store', store, 'start', 'Flaky', 'flaky-1', 'x'], {stdio: 'inherit'});
      expectEqual(await exited(started), 0, 'duroxide start exit code');
      // Opened once the list shows it: before its first turn it has no status, and its page would 404.
      await page.goto(url);
      await page.locator('[data-testid="instance-row"][data-instance-id="flaky-1"]').waitFor({timeout: HANG_GUARD_MS});
      await openInstance(page, url, 'flaky-1');
      await waitForText(page, 'instance-status', 'Failed');
      expectEqual(await page.getByTestId('rewind-form-submit').isDisabled(), false, 'rewind of a failed instance');
      expectEqual(await page.getByTestId('cancel-form-submit').isDisabled(), true, 'cancel of a failed instance');
      await page.getByTestId('rewind-reason').fill('bug fixed');
      await page.getByTestId('rewind-form-submit').click();
      await waitForText(page, 'action-result', 'rewind requested');
      await waitForText(page, 'instance-status', 'Completed');
      await waitForText(page, 'instance-output', 'recovered: x');
      expectEqual(await page.getByTestId('rewind-form-submit').isDisabled(), true, 'rewind of a completed instance');
    });

    await check('a schedule created through the page fires, and is paused, resumed and deleted there', async () => {
      await page.goto(`${url}#/schedules`);
      await page.getByTestId('no-schedules').waitFor({timeout: HANG_GUARD_MS});
      await page.getByTestId('schedule-id').fill('greeter');
      await page.getByTestId('schedule-spec').fill('@every 1s');
      await page.getByTestId('schedule-orchestration').fill('Child');
      await page.getByTestId('schedule-input').fill('the clock');
      await page.getByTestId('schedule-overlap').selectOption('allow_all');
      await page.getByTestId('schedule-create').click();
      await waitForText(page, 'schedule-result', 'schedule \u201cgreeter\u201d created');
      // Listed once a runtime has run its first turn; it has fired once a run is counted.
      await page.locator('[data-testid="schedule-row"][data-schedule-id="greeter"]').waitFor({timeout: HANG_GUARD_MS});
      await page.waitForFunction(() => {
        const runs = document.querySelector('[data-testid="schedule-runs"]');
        return runs !== null && Number(runs.textContent) >= 1;
      }, null, {timeout: HANG_GUARD_MS});
      await waitForText(page, 'schedule-status', 'Active');
      await page.getByTestId('schedule-pause').click();
      await waitForText(page, 'schedule-result', 'pause requested');
      await waitForText(page, 'schedule-status', 'Paused');
      await waitForText(page, 'schedule-next', '-');
      await page.getByTestId('schedule-resume').click();
      await waitForText(page, 'schedule-result', 'resumption requested');
      await waitForText(page, 'schedule-status', 'Active');
      await page.getByTestId('schedule-delete').click();
      await waitForText(page, 'schedule-result', 'deletion requested');
      await page.getByTestId('no-schedules').waitFor({timeout: HANG_GUARD_MS});
    });

    await check('with a token, the page needs it in its address and sends it; read-only shows no actions', async () => {
      const guarded = await startChild(cli, ['--store', store, 'serve', '--listen', '127.0.0.1:0'],
                                       /(http:\/\/127\.0\.0\.1:\d+\/)/,
                                       {env: {...process.env, DUROXIDE_DASHBOARD_TOKEN: 'browser-token'}});
      const guardedUrl = guarded.match[1];
      const refused = await page.goto(guardedUrl);
      expectEqual(refused.status(), 401, 'the page without its token');
      await page.goto(`${guardedUrl}?token=browser-token#/instance/approval-1`);
      await waitForText(page, 'instance-status', 'Completed');  // the API calls carried the token
      expectEqual(await page.getByTestId('raise-form').count(), 0, 'raise form on a read-only dashboard');
      expectEqual(await page.getByTestId('cancel-form').count(), 0, 'cancel form on a read-only dashboard');
      expectEqual(await page.getByTestId('terminate-form').count(), 0, 'terminate form on a read-only dashboard');
      await page.goto(`${guardedUrl}?token=browser-token#/schedules`);
      await page.getByTestId('no-schedules').waitFor({timeout: HANG_GUARD_MS});
      expectEqual(await page.getByTestId('schedule-form').count(), 0, 'schedule form on a read-only dashboard');
      guarded.child.kill('SIGTERM');
      expectEqual(await exited(guarded.child), 0, 'exit code');
    });

    await check('nothing went wrong on the page', async () => {
      expectEqual(problems, [], 'page problems');
    });

    await context.close();
    context = null;
    await check('the server and the fixture stop cleanly', async () => {
      serve.child.kill('SIGTERM');
      expectEqual(await exited(serve.child), 0, 'duroxide serve exit code');
      fixture.child.stdin.end();
      expectEqual(await exited(fixture.child), 0, 'fixture exit code');
    });
  } finally {
    if (context) await context.close().catch(() => {});
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(scratch, {recursive: true, force: true});
  }
}

process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
const guard = setTimeout(() => {
  console.log('not ok - the test did not finish in time');
  process.exit(1);
}, HANG_GUARD_MS * 4);

run().then(() => {
  clearTimeout(guard);
  console.log(`${results.passed} passed, ${results.failed} failed`);
  process.exitCode = results.failed === 0 ? 0 : 1;
}, (error) => {
  clearTimeout(guard);
  if (results.failed === 0) console.log(`not ok - set-up: ${error.stack || error}`);
  console.log(`${results.passed} passed, ${results.failed || 1} failed`);
  process.exitCode = 1;
});
