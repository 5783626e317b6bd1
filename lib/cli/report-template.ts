/**
 * The page `cvdiag report` writes: plain HTML, CSS and JavaScript, no network,
 * no library. The data (see ReportData in report.ts) replaces the marker as
 * JSON; the script builds the page from it with DOM calls and `textContent`
 * only, so nothing in a log can become markup.
 */
export const REPORT_TEMPLATE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>CVDIAG report</title>
<style>
  :root { --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #656d76; --line: #d0d7de; --bg: #f6f8fa; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; }
  header, main { padding: 16px 24px; }
  header { border-bottom: 1px solid var(--line); background: var(--bg); }
  h1 { font-size: 20px; margin: 0 0 4px; }
  h2 { font-size: 16px; margin: 24px 0 8px; }
  .muted { color: var(--muted); }
  .verdicts { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
  .verdict-count { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; background: #fff; cursor: pointer; }
  .verdict-count[aria-pressed="true"] { outline: 2px solid #0969da; }
  .verdict-count b { font-size: 18px; margin-right: 6px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.request { cursor: pointer; }
  tr.request:hover { background: var(--bg); }
  tr.request.selected { background: #ddf4ff; }
  .v-ok { color: var(--ok); } .v-bad { color: var(--bad); } .v-warn { color: var(--warn); }
  .filters { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
  .filters input, .filters select { font: inherit; padding: 4px 6px; }
  #detail { margin-top: 16px; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; }
  #detail[hidden] { display: none; }
  .waterfall { position: relative; margin-top: 8px; }
  .wf-row { display: grid; grid-template-columns: 90px 220px 1fr; align-items: center; height: 22px; font-size: 12px; }
  .wf-track { position: relative; height: 14px; background: var(--bg); }
  .wf-span { position: absolute; top: 2px; height: 10px; background: #54aeff; border-radius: 2px; }
  .wf-mark { position: absolute; top: 0; width: 3px; height: 14px; background: #0969da; }
  .wf-mark.err, .wf-span.err { background: var(--bad); }
  .wf-mark.ok { background: var(--ok); }
  code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
</style>
</head>
<body>
<header>
  <h1>CVDIAG report</h1>
  <div class="muted" id="summary"></div>
  <div class="verdicts" id="verdicts"></div>
</header>
<main>
  <h2>Routes</h2>
  <table id="routes"><thead><tr><th>route</th><th class="num">requests</th><th class="num">failed</th><th class="num">p50 ms</th><th class="num">p90 ms</th><th class="num">p99 ms</th><th class="num">first byte p50</th><th class="num">p90</th><th class="num">p99</th></tr></thead><tbody></tbody></table>
  <h2>Requests</h2>
  <div class="filters">
    <input id="search" type="search" placeholder="test id, trace id or route" aria-label="search">
    <select id="verdict-filter" aria-label="verdict"><option value="">all verdicts</option></select>
    <label><input id="failed-only" type="checkbox"> failed only</label>
    <span class="muted" id="shown"></span>
  </div>
  <table id="requests"><thead><tr><th>start</th><th>test id</th><th>request</th><th>end</th><th class="num">total ms</th><th class="num">first byte ms</th><th class="num">events</th><th>verdict</th></tr></thead><tbody></tbody></table>
  <p class="muted" id="not-kept"></p>
  <section id="detail" hidden></section>
</main>
<script type="application/json" id="cvdiag-data">/*CVDIAG_DATA*/</script>
<script>
(function () {
  const data = JSON.parse(document.getElementById('cvdiag-data').textContent);
  const el = (tag, props, children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'text') node.textContent = value;
      else if (key === 'class') node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children || []) node.append(child);
    return node;
  };
  const tone = (verdict) => verdict === 'ok' ? 'v-ok' : verdict === 'slow-first-byte' || verdict === 'edge-interference' ? 'v-warn' : 'v-bad';
  const num = (value) => value === null || value === undefined ? '–' : String(value);

  document.getElementById('summary').textContent =
    data.total + ' requests from ' + data.sources.join(', ') + ' · generated ' + data.generatedAt +
    (data.badLines.count ? ' · ' + data.badLines.count + ' unreadable lines' : '');

  let verdictFilter = '';
  const verdicts = document.getElementById('verdicts');
  const select = document.getElementById('verdict-filter');
  for (const [verdict, count] of Object.entries(data.byVerdict)) {
    const button = el('button', { class: 'verdict-count', 'aria-pressed': 'false', 'data-verdict': verdict }, [el('b', { text: String(count) }), el('span', { class: tone(verdict), text: verdict })]);
    button.addEventListener('click', () => { select.value = verdictFilter === verdict ? '' : verdict; select.dispatchEvent(new Event('change')); });
    verdicts.append(button);
    select.append(el('option', { value: verdict, text: verdict }));
  }

  const routes = document.querySelector('#routes tbody');
  for (const route of data.routes) {
    routes.append(el('tr', {}, [
      el('td', { class: 'mono', text: route.route }), el('td', { class: 'num', text: String(route.count) }), el('td', { class: 'num', text: String(route.failed) }),
      el('td', { class: 'num', text: num(route.durationMs.p50) }), el('td', { class: 'num', text: num(route.durationMs.p90) }), el('td', { class: 'num', text: num(route.durationMs.p99) }),
      el('td', { class: 'num', text: num(route.firstByteMs.p50) }), el('td', { class: 'num', text: num(route.firstByteMs.p90) }), el('td', { class: 'num', text: num(route.firstByteMs.p99) }),
    ]));
  }

  const body = document.querySelector('#requests tbody');
  const rows = data.requests.map((request) => {
    const row = el('tr', { class: 'request', tabindex: '0', 'data-verdict': request.verdict }, [
      el('td', { class: 'mono', text: request.startedAt.slice(11, 23) }),
      el('td', { class: 'mono', text: '…' + request.testId.slice(-12) }),
      el('td', { class: 'mono', text: (request.method || '?') + ' ' + (request.route || '(no route)') }),
      el('td', { text: request.end }),
      el('td', { class: 'num', text: num(request.totalMs) }),
      el('td', { class: 'num', text: num(request.firstByteMs) }),
      el('td', { class: 'num', text: num(request.events) }),
      el('td', { class: tone(request.verdict), text: request.verdict }),
    ]);
    const open = () => showDetail(request, row);
    row.addEventListener('click', open);
    row.addEventListener('keydown', (event) => { if (event.key === 'Enter') open(); });
    body.append(row);
    return { request, row, text: (request.testId + ' ' + request.traceId + ' ' + (request.route || '')).toLowerCase() };
  });

  const search = document.getElementById('search');
  const failedOnly = document.getElementById('failed-only');
  const shown = document.getElementById('shown');
  const applyFilters = () => {
    verdictFilter = select.value;
    const query = search.value.trim().toLowerCase();
    let count = 0;
    for (const { request, row, text } of rows) {
      const visible = (!verdictFilter || request.verdict === verdictFilter) && (!failedOnly.checked || request.verdict !== 'ok') && (!query || text.includes(query));
      row.hidden = !visible;
      if (visible) count++;
    }
    for (const button of verdicts.children) button.setAttribute('aria-pressed', String(button.getAttribute('data-verdict') === verdictFilter));
    shown.textContent = count + ' of ' + rows.length + ' shown';
  };
  search.addEventListener('input', applyFilters);
  select.addEventListener('change', applyFilters);
  failedOnly.addEventListener('change', applyFilters);
  applyFilters();

  const notKept = data.notKept.ok + data.notKept.failed;
  if (notKept > 0) document.getElementById('not-kept').textContent =
    notKept + ' more requests counted above but not listed (' + data.notKept.ok + ' successful beyond the sample, ' + data.notKept.failed + ' failed beyond the bound).';

  const detail = document.getElementById('detail');
  function showDetail(request, row) {
    for (const other of body.querySelectorAll('tr.selected')) other.classList.remove('selected');
    row.classList.add('selected');
    detail.hidden = false;
    detail.replaceChildren();
    detail.append(
      el('h2', { text: (request.method || '?') + ' ' + (request.route || '(no route)') + ' · ' + request.verdict }),
      el('p', { text: request.reason }),
      ...request.findings.map((finding) => el('p', { class: 'muted', text: 'also ' + finding })),
      ...(request.unseen.length ? [el('p', { class: 'muted', text: 'not seen at this tier: ' + request.unseen.join('; ') })] : []),
      el('p', { class: 'muted mono', text: 'test ' + request.testId + ' · trace ' + request.traceId }),
      waterfall(request),
    );
    detail.scrollIntoView({ block: 'nearest' });
  }

  /** One line per row at its time since ingress; spans from agent/LLM start to their end. */
  function waterfall(request) {
    const total = Math.max(1, ...request.rows.map((r) => r.ms));
    const pct = (ms) => (100 * ms / total).toFixed(2) + '%';
    const box = el('div', { class: 'waterfall', role: 'list' });
    const ends = { 'agent.enter': 'agent.exit', 'llm.call.start': 'llm.call.response' };
    request.rows.forEach((r, index) => {
      const track = el('div', { class: 'wf-track' });
      const closing = ends[r.boundary] && request.rows.slice(index + 1).find((other) => other.boundary === ends[r.boundary]);
      if (closing) {
        track.append(el('div', { class: 'wf-span' + (closing.outcome === 'err' ? ' err' : ''), style: 'left:' + pct(r.ms) + ';width:' + pct(Math.max(closing.ms - r.ms, total / 200)) }));
      } else {
        const kind = r.outcome === 'err' || r.outcome === 'timeout' ? ' err' : r.outcome === 'ok' ? ' ok' : '';
        track.append(el('div', { class: 'wf-mark' + kind, style: 'left:' + pct(r.ms) }));
      }
      box.append(el('div', { class: 'wf-row', role: 'listitem', title: JSON.stringify(r.metadata) }, [
        el('span', { class: 'mono muted', text: r.ms.toFixed(1) + ' ms' }),
        el('span', { class: 'mono', text: r.boundary + (r.outcome === 'info' ? '' : ' ' + r.outcome) }),
        track,
      ]));
    });
    return box;
  }
})();
</script>
</body>
</html>
`;
