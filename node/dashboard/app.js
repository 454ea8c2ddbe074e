// The stepd dashboard (docs/dashboard.md): a read-only single page over the node's JSON-RPC
// methods that need no cookie, routed by the URL's hash (#/task/<id>, ...), redrawn when the
// node's event stream (/events) announces a new block.
//
// Safety: every string from the chain, from peers or from the URL reaches the page through
// text nodes (el() below, textContent); nothing here writes markup from data (no innerHTML).
'use strict';

(function () {
  const main = document.getElementById('main');
  const live = document.getElementById('live');
  const kBlocksShown = 20;   // blocks on the overview and the blocks page
  const kMaxUnitsRead = 256; // units a task page reads (listunits' kMaxListUnits) for their audits
  const kCoin = 1000000000n; // base units per STEP
  const kUPlotScript = '/static/vendor/uplot-1.6.32.min.js';
  // uPlot (51 KB) is loaded on the first page with a chart, not by index.html: compiling it
  // would hold the first render back by as long as the page takes to draw
  // (docs/benchmarks.md "Dashboard").
  let uPlotLoaded = null;
  function loadUPlot() {
    if (!uPlotLoaded) {
      uPlotLoaded = new Promise((resolve, reject) => {
        const script = document.createElement('script');
        script.src = kUPlotScript;
        script.onload = resolve;
        script.onerror = () => reject(new Error('the chart library did not load'));
        document.head.appendChild(script);
      });
    }
    return uPlotLoaded;
  }

  // ---- building the page from text only ----

  // el('td', {class: 'hash'}, 'text', childNode, ...): strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value !== undefined && value !== null) node.setAttribute(name, String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  // A link inside the dashboard: the route's parts are URI-encoded, so the href is always "#/...".
  function link(route, parts, text) {
    const href = '#/' + [route, ...parts.map((p) => encodeURIComponent(String(p)))].join('/');
    return el('a', {href: href}, text === undefined ? parts.join('/') : text);
  }
  const blockLink = (hash, text) => link('block', [hash], text);
  const txLink = (txid) => link('tx', [txid], short(txid));
  const accountLink = (address) => (address ? link('account', [address], address) : '—');
  const taskLink = (id) => link('task', [id], short(id));
  function short(hex) {
    const s = String(hex || '');
    return s.length > 20 ? s.slice(0, 10) + '…' + s.slice(-6) : s;
  }
  function coins(amount) {
    if (amount === undefined || amount === null) return '—';
    let v;
    try { v = BigInt(amount); } catch (e) { return String(amount); }
    const neg = v < 0n;
    if (neg) v = -v;
    const frac = (v % kCoin).toString().padStart(9, '0').replace(/0+$/, '');
    return (neg ? '-' : '') + (v / kCoin).toString() + (frac ? '.' + frac : '') + ' STEP';
  }
  function ago(seconds) {
    if (seconds < 0) seconds = 0;
    if (seconds < 120) return seconds + ' s ago';
    if (seconds < 7200) return Math.round(seconds / 60) + ' min ago';
    return Math.round(seconds / 3600) + ' h ago';
  }
  function card(label, value, id) {
    return el('div', {class: 'card'}, el('div', {class: 'label'}, label),
              el('div', {class: 'value', id: id}, value));
  }
  function kv(pairs) {
    return el('dl', {class: 'kv'}, pairs.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }
  function table(headers, rows, attrs) {
    return el('table', attrs || {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', {}, h)))),
              el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c) => el('td', {}, c))))));
  }
  function status(text, kind) {
    return el('span', {class: 'status ' + kind + '-' + String(text).replace(/[^a-z-]/g, '')}, text);
  }
  const empty = (what) => el('p', {class: 'note'}, 'No ' + what + '.');
  const errorBox = (text) => el('p', {class: 'error', role: 'alert'}, text);

  // ---- JSON-RPC (POST / with application/json, same origin, no cookie) ----

  class RpcError extends Error {
    constructor(error) {
      super(error.message || 'error');
      this.code = error.code;
      this.reason = error.data && error.data.code;
    }
  }
  async function post(body) {
    const res = await fetch('/', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                  body: JSON.stringify(body)});
    return res.json();
  }
  async function rpc(method, params) {
    const answer = await post({jsonrpc: '2.0', id: 1, method: method, params: params || {}});
    if (answer.error) throw new RpcError(answer.error);
    return answer.result;
  }
  // Several calls in one batch; each entry is the result or an RpcError.
  async function batch(calls) {
    if (calls.length === 0) return [];
    const answers = await post(calls.map(([method, params], i) =>
      ({jsonrpc: '2.0', id: i, method: method, params: params || {}})));
    const out = new Array(calls.length);
    for (const a of answers) out[a.id] = a.error ? new RpcError(a.error) : a.result;
    return out;
  }
  const ok = (r) => r !== undefined && !(r instanceof Error);

  // ---- pages ----

  async function overview() {
    const [chain, mempool, tasks] = await batch([['getchaininfo'], ['getmempoolinfo'],
                                                 ['listtasks', {status: 'open'}]]);
    if (!ok(chain)) throw chain;
    const blocks = await recentBlocks(chain.height, 10);
    const tip = blocks[0];
    const age = tip ? Math.floor(Date.now() / 1000) - tip.header.timestamp : 0;
    const page = el('div', {},
      el('h1', {}, 'Overview'),
      el('div', {class: 'cards'},
        card('Height', chain.height, 'tip-height'),
        card('Tip age', tip ? ago(age) : '—', 'tip-age'),
        card('Difficulty', difficulty(chain.target), 'difficulty'),
        card('Mempool', ok(mempool) ? mempool.size + ' txs, ' + mempool.bytes + ' B' : '—', 'mempool'),
        card('Useful-work pool', coins(chain.pool), 'pool'),
        card('Open tasks', ok(tasks) ? tasks.tasks.length + (tasks.more ? '+' : '') : '—', 'open-tasks'),
        card('Network', chain.network + (chain.initial_sync ? ' (syncing)' : ''), 'network')),
      el('h2', {}, 'Open tasks'),
      ok(tasks) ? taskTable(tasks.tasks) : errorBox(tasks.message),
      el('h2', {}, 'Latest blocks'),
      blockTable(blocks));
    return page;
  }

  // Expected hashes per block: 2^256 / (target + 1).
  function difficulty(targetHex) {
    try {
      const work = (1n << 256n) / (BigInt('0x' + targetHex) + 1n);
      return work.toString();
    } catch (e) {
      return '—';
    }
  }

  async function recentBlocks(height, count) {
    const calls = [];
    for (let h = height; h >= 0 && calls.length < count; --h) calls.push(['getblock', {height: h}]);
    return (await batch(calls)).filter(ok);
  }

  function blockTable(blocks) {
    if (blocks.length === 0) return empty('blocks');
    return table(['Height', 'Hash', 'Time', 'Txs', 'Size', 'Miner'], blocks.map((b) => [
      blockLink(b.height, String(b.height)), blockLink(b.hash, short(b.hash)),
      new Date(b.header.timestamp * 1000).toISOString().replace('T', ' ').slice(0, 19),
      b.txs.length, b.size + ' B', accountLink(b.header.miner)]), {id: 'blocks'});
  }

  function taskTable(tasks) {
    if (tasks.length === 0) return empty('tasks');
    return table(['Task', 'Model', 'Rounds final', 'Units/round', 'Escrow', 'State', 'Owner'],
      tasks.map((t) => [taskLink(t.task_id), t.model, t.finalised_rounds + ' / ' + t.rounds,
                        t.units_per_round, coins(t.escrow), taskState(t), accountLink(t.owner)]),
      {id: 'tasks'});
  }
  const taskState = (t) => (t.cancelled ? 'cancelled' : t.done ? 'done' : 'open');

  async function blocksPage() {
    const chain = await rpc('getchaininfo');
    return el('div', {}, el('h1', {}, 'Blocks'), blockTable(await recentBlocks(chain.height, kBlocksShown)));
  }

  async function tasksPage() {
    const tasks = await rpc('listtasks', {status: 'all', limit: 500});
    return el('div', {}, el('h1', {}, 'Tasks'), taskTable(tasks.tasks),
              tasks.more ? el('p', {class: 'note'}, 'More tasks exist than are listed.') : null);
  }

  async function blockPage(id) {
    const b = await rpc('getblock', /^\d+$/.test(id) ? {height: Number(id)} : {hash: id});
    const h = b.header;
    return el('div', {},
      el('h1', {}, 'Block ' + b.height),
      kv([['Hash', el('span', {class: 'mono'}, b.hash)],
          ['Previous', b.height > 0 ? blockLink(h.prev_hash, h.prev_hash) : '—'],
          ['Time', new Date(h.timestamp * 1000).toISOString()],
          ['Miner', accountLink(h.miner)], ['Target', el('span', {class: 'mono'}, h.target)],
          ['State root', el('span', {class: 'mono'}, h.state_root)],
          ['Size', b.size + ' B'], ['In best chain', String(b.in_best_chain)]]),
      el('h2', {}, 'Transactions'),
      b.txs.length === 0 ? empty('transactions') :
        table(['Txid', 'Type', 'Sender', 'Nonce', 'Fee'], b.txs.map((t) => [
          txLink(t.txid), t.payload ? t.payload.type : '', accountLink(t.sender), t.nonce, coins(t.fee)])));
  }

  async function txPage(txid) {
    const t = await rpc('gettransaction', {txid: txid});
    const payload = Object.entries(t.tx.payload || {}).map(([k, v]) =>
      [k, k === 'to' ? accountLink(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)]);
    return el('div', {},
      el('h1', {}, 'Transaction'),
      kv([['Txid', el('span', {class: 'mono'}, t.txid)], ['Status', t.status],
          ['Block', t.block_hash ? blockLink(t.block_hash, t.height + ' (' + short(t.block_hash) + ')') : '—'],
          ['Sender', accountLink(t.tx.sender)], ['Nonce', t.tx.nonce], ['Fee', coins(t.tx.fee)],
          ['Size', t.tx.size + ' B']]),
      el('h2', {}, 'Payload'), kv(payload));
  }

  function ledgerTable(entries, withAccount) {
    if (entries.length === 0) return empty('ledger entries');
    return table(['Height', withAccount ? 'Account' : 'Task', 'Round', 'Unit', 'Kind', 'Amount',
                  'Code', 'Reason'],
      entries.map((e) => [e.height, withAccount ? accountLink(e.account) : (e.task_id ? taskLink(e.task_id) : '—'),
                          e.round, e.unit, e.kind, coins(e.amount), e.code, e.reason]),
      {class: 'ledger'});
  }

  async function accountPage(address) {
    const [a, ledger] = await batch([['getaccount', {address: address}], ['getledger', {address: address}]]);
    if (!ok(a)) throw a;
    return el('div', {},
      el('h1', {}, 'Account ', el('span', {class: 'mono'}, a.address)),
      el('div', {class: 'cards'}, card('Balance', coins(a.balance), 'balance'),
         card('Solver bond', coins(a.solver_bond)), card('Verifier bond', coins(a.verifier_bond)),
         card('Nonce', a.nonce)),
      el('h2', {}, 'Unbonding'),
      a.unbonding.length === 0 ? empty('unbonding amounts') :
        table(['Role', 'Amount', 'Released at height'], a.unbonding.map((u) => [u.role, coins(u.amount), u.release_height])),
      a.immature.length === 0 ? null : [el('h2', {}, 'Immature rewards'),
        table(['Amount', 'Mature at'], a.immature.map((u) => [coins(u.amount), u.release_height]))],
      el('h2', {}, 'Payout ledger'),
      ok(ledger) ? ledgerTable(ledger.entries, false) : errorBox(ledger.message));
  }

  // ---- the task page ----

  async function taskPage(id) {
    // One round trip: the first render waits on nothing else (docs/benchmarks.md "Dashboard").
    const [task, progress, ledger, page] = await batch([
      ['gettask', {task_id: id}], ['gettaskprogress', {task_id: id}], ['gettaskledger', {task_id: id}],
      ['listunits', {task_id: id, limit: kMaxUnitsRead}]]);
    if (!ok(task)) throw task;
    const total = task.rounds * task.units_per_round;
    const units = ok(page) ? page.units : [];
    // The escrow's runway as `step-wallet task show` gives it: each unit's pay holds its audit fees.
    const closed = task.done || task.cancelled;
    const unitsLeft = closed ? 0 : ok(progress) ? total - progress.units_final : total;
    const paid = BigInt(task.unit_pay) > 0n ? BigInt(task.escrow) / BigInt(task.unit_pay) : null;
    const runway = paid === null ? '—' : paid.toString() + ' more units, ' + unitsLeft + ' not final' +
      (paid < BigInt(unitsLeft) ? ' (short)' : '');
    return el('div', {},
      el('h1', {}, 'Task ', el('span', {class: 'mono', id: 'task-id'}, task.task_id)),
      el('div', {class: 'cards'},
        card('State', taskState(task), 'task-state'),
        card('Rounds final', task.finalised_rounds + ' / ' + task.rounds),
        card('Units final', ok(progress) ? progress.units_final + ' / ' + total : '—', 'units-final'),
        card('Escrow left', coins(task.escrow), 'escrow'),
        card('Escrow pays', runway, 'runway'),
        card('Model', task.spec.model_arch + '{' + task.spec.model_dims.join(',') + '}')),
      kv([['Owner', accountLink(task.owner)], ['Budget', coins(task.budget)], ['Unit bond', coins(task.unit_bond)],
          ['Unit pay', coins(task.unit_pay) + ' (audit fees included)'], ['Audit fee', coins(task.audit_fee)], ['Steps', task.spec.steps + ' (' + task.spec.steps_per_unit + ' per unit)'],
          ['Submitted at', blockLink(task.submit_height, String(task.submit_height))],
          ['Dataset', el('span', {class: 'mono'}, task.spec.dataset_root)]]),
      el('h2', {}, 'Units by round'), unitGrid(task, units),
      el('h2', {}, 'Reported loss'), lossChart(task, ok(progress) ? progress.committed_units : []),
      el('h2', {}, 'Units'), unitTable(units),
      el('h2', {}, 'Audits'), auditTable(units),
      el('h2', {}, 'Fraud proofs'), fraudTable(units, ok(ledger) ? ledger.entries : []),
      el('h2', {}, 'Data challenges'), challengeTable(task, units),
      el('h2', {}, 'Settlements'),
      ok(ledger) ? ledgerTable(ledger.entries, true) : errorBox(ledger.message),
      units.length < total ? el('p', {class: 'note'}, 'Only the first ' + units.length + ' units are shown.') : null);
  }

  function unitGrid(task, units) {
    const header = ['Round'];
    for (let u = 0; u < task.units_per_round; ++u) header.push('Unit ' + u);
    const rows = [];
    for (let r = 0; r < task.rounds; ++r) {
      const row = [String(r)];
      for (let u = 0; u < task.units_per_round; ++u) {
        const unit = units.find((x) => x.round === r && x.unit === u);
        row.push(unit ? status(unit.status, 'status') : '');
      }
      rows.push(row);
    }
    return table(header, rows, {class: 'grid', id: 'unit-grid'});
  }

  // One point per committed unit: x the training step its unit ends at ((round + 1) x steps per
  // unit: a round's units train side by side from the same state), one series per unit slot.
  function lossChart(task, committed) {
    const perUnit = task.spec.steps_per_unit;
    const xs = [];
    for (let r = 0; r < task.rounds; ++r) xs.push((r + 1) * perUnit);
    const series = [];
    for (let u = 0; u < task.units_per_round; ++u) series.push(xs.map(() => null));
    let points = 0;
    for (const c of committed) {
      if (c.reported_loss === null || c.reported_loss === undefined) continue;
      if (c.round >= task.rounds || c.unit >= task.units_per_round) continue;
      series[c.unit][c.round] = c.reported_loss;
      ++points;
    }
    const box = el('div', {class: 'chart', id: 'loss-chart', 'data-points': points});
    box.appendChild(el('p', {class: 'note'},
      'Loss each solver reported in its unit\'s commit (self-reported; audits check the trace, not this number), ' +
      points + ' point' + (points === 1 ? '' : 's') + '.'));
    if (points === 0) return box;
    const colors = ['#2457a6', '#c0392b', '#1b7f3b', '#8e44ad', '#d68910', '#17a589'];
    const opts = {
      width: Math.min(900, Math.max(320, main.clientWidth - 40)), height: 260,
      // Half a unit's steps of room on each side, so the first and last rounds' points show whole.
      scales: {x: {time: false, range: (u, min, max) => [min - perUnit / 2, max + perUnit / 2]}},
      axes: [{label: 'training step'}, {label: 'reported loss (self-reported)'}],
      series: [{label: 'step'}].concat(series.map((_, u) => ({
        label: 'unit ' + u, stroke: colors[u % colors.length], width: 0,
        points: {show: true, size: 8, fill: colors[u % colors.length]}}))),
    };
    // uPlot lays itself out once in the document; build it after this box is placed.
    const draw = () => {
      new uPlot(opts, [xs].concat(series), box);
      const body = document.body.dataset;
      if (!body.firstChartMs) body.firstChartMs = String(Math.round(performance.now()));
    };
    if (typeof uPlot !== 'undefined') queueMicrotask(draw);
    else loadUPlot().then(draw, (e) => box.appendChild(errorBox(e.message)));
    return box;
  }

  function unitTable(units) {
    if (units.length === 0) return empty('units');
    return table(['Round', 'Unit', 'Status', 'Solver', 'Commit height', 'Reported loss (self-reported)', 'Settlements'],
      units.map((u) => [u.round, u.unit, status(u.status, 'status'), accountLink(u.solver),
                        u.commit_height || '—',
                        u.reported_loss === undefined || u.reported_loss === null ? '—' : Number(u.reported_loss).toPrecision(5),
                        (u.settlements || []).map((s) => s.code).join(', ')]),
      {id: 'units'});
  }

  function auditTable(units) {
    const rows = [];
    for (const u of units) {
      for (const a of u.audits || []) {
        rows.push([u.round + '/' + u.unit, accountLink(a.verifier), (a.leaves || []).join(', '),
                   String(!!a.committed), String(!!a.revealed), status(a.verdict, 'verdict'), String(!!a.settled)]);
      }
    }
    return rows.length === 0 ? empty('audits yet') :
      table(['Round/unit', 'Verifier', 'Leaves', 'Committed', 'Revealed', 'Verdict', 'Settled'], rows, {id: 'audits'});
  }

  function fraudTable(units, entries) {
    const rows = [];
    for (const u of units) {
      if (u.whistle_award) {
        rows.push([u.round + '/' + u.unit, accountLink(u.whistle_award.prover), 'award waiting until height ' +
                   u.whistle_award.pay_height, coins(u.whistle_award.amount)]);
      }
    }
    for (const e of entries) {
      if (/fraud|proof/.test(e.code)) rows.push([e.round + '/' + e.unit, accountLink(e.account), e.code + ': ' + e.reason, coins(e.amount)]);
    }
    return rows.length === 0 ? empty('fraud proofs') : table(['Round/unit', 'Account', 'Outcome', 'Amount'], rows);
  }

  function challengeTable(task, units) {
    const rows = (task.data_challenges || []).map((c) => ['dataset', c.kind, accountLink(c.challenger), c.height, c.deadline, coins(c.bond)]);
    for (const u of units) {
      for (const c of u.data_challenges || [])
        rows.push([u.round + '/' + u.unit, c.kind, accountLink(c.challenger), c.height, c.deadline, coins(c.bond)]);
    }
    return rows.length === 0 ? empty('pending data challenges') :
      table(['Of', 'Kind', 'Challenger', 'Height', 'Deadline', 'Bond'], rows);
  }

  // ---- peers and blobs ----

  async function peersPage() {
    const [peers, info] = await batch([['getpeerinfo'], ['getnetworkinfo']]);
    if (!ok(peers)) throw peers;
    return el('div', {},
      el('h1', {}, 'Peers'),
      ok(info) ? kv([['Listening', info.listening || 'no'], ['Connections', info.connections + ' (' + info.inbound +
                      ' in, ' + info.outbound + ' out)'], ['Best header', info.best_header_height],
                     ['Known addresses', info.known_addresses]]) : null,
      peers.length === 0 ? empty('peers connected') :
        table(['Id', 'Address', 'Direction', 'User agent', 'Best height', 'Ping', 'Connected'],
          peers.map((p) => [p.id, p.address, p.inbound ? 'in' : 'out', p.user_agent, p.best_known_height,
                            p.ping_ms === null || p.ping_ms === undefined ? '—' : p.ping_ms + ' ms',
                            p.connected_s + ' s']), {id: 'peers'}));
  }

  async function blobsPage() {
    const b = await rpc('listblobs', {});
    return el('div', {},
      el('h1', {}, 'Blobs'),
      el('p', {class: 'note'}, 'Stored: ' + b.reserved_bytes + ' of ' + b.max_bytes + ' bytes.'),
      b.blobs.length === 0 ? empty('blobs') :
        table(['Root', 'Size', 'Chunks', 'Complete'], b.blobs.map((x) => [
          el('span', {class: 'mono'}, x.blob_root), x.blob_size + ' B', x.have + ' / ' + x.chunks, String(x.complete)]),
          {id: 'blobs'}));
  }

  // ---- search ----

  async function searchPage(query) {
    const q = query.trim();
    if (/^\d+$/.test(q)) return go('block', [q]);
    if (/^step1[0-9a-z]+$/.test(q)) return go('account', [q]);
    if (/^[0-9a-fA-F]{64}$/.test(q)) {
      const id = q.toLowerCase();
      const [block, tx, task] = await batch([['getblock', {hash: id}], ['gettransaction', {txid: id}],
                                             ['gettask', {task_id: id}]]);
      if (ok(block)) return go('block', [id]);
      if (ok(tx)) return go('tx', [id]);
      if (ok(task)) return go('task', [id]);
    }
    return el('div', {}, el('h1', {}, 'Search'),
              el('p', {id: 'search-result'}, 'Nothing on this chain matches “', q, '”.'));
  }
  function go(route, parts) {
    location.replace('#/' + [route, ...parts.map(encodeURIComponent)].join('/'));
    return null;
  }

  // ---- routing and live updates ----

  const routes = {
    '': overview, 'blocks': blocksPage, 'block': blockPage, 'tx': txPage, 'account': accountPage,
    'tasks': tasksPage, 'task': taskPage, 'peers': peersPage, 'blobs': blobsPage, 'search': searchPage,
  };
  let rendering = null;  // the render in progress; a block during it asks for one more
  let again = false;

  function route() {
    const parts = location.hash.replace(/^#\/?/, '').split('/');
    let args;
    try {
      args = parts.slice(1).map(decodeURIComponent);
    } catch (e) {
      args = parts.slice(1);
    }
    return {page: routes[parts[0]] ? parts[0] : null, arg: args.join('/')};
  }

  async function renderOnce() {
    const r = route();
    let content;
    try {
      content = r.page === null ? el('div', {}, el('h1', {}, 'Not found'), errorBox('No page “' + location.hash + '”.'))
                                : await routes[r.page](r.arg);
    } catch (e) {
      content = el('div', {}, el('h1', {}, 'Error'), errorBox(e.message + (e.reason ? ' (' + e.reason + ')' : '')),
                   r.arg ? el('p', {class: 'note'}, 'Asked for: ', r.arg) : null);
    }
    if (content === null) return;  // redirected (search)
    main.replaceChildren(content);
    const body = document.body.dataset;
    body.rendered = String(Number(body.rendered || 0) + 1);
    // For docs/benchmarks.md: milliseconds from navigation start to the first page drawn.
    if (!body.firstRenderMs) body.firstRenderMs = String(Math.round(performance.now()));
  }

  function render() {
    if (rendering) {
      again = true;
      return rendering;
    }
    rendering = renderOnce().finally(() => {
      rendering = null;
      if (again) {
        again = false;
        render();
      }
    });
    return rendering;
  }

  let events = null;
  function listen() {
    events = new EventSource('/events');
    let opened = false;
    events.addEventListener('open', () => {
      live.textContent = 'live';
      live.className = 'on';
      // Back after a drop (stepd restarted, or closed a stream that fell behind): blocks may
      // have come meanwhile.
      if (opened) render();
      opened = true;
    });
    events.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.className = ''; });
    events.addEventListener('block', (e) => {
      let tip;
      try { tip = JSON.parse(e.data); } catch (err) { return; }
      live.textContent = 'live · block ' + tip.height;
      live.className = 'on';
      document.body.dataset.tip = String(tip.height);
      render();
    });
  }

  document.getElementById('search').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = document.getElementById('search-input').value;
    if (q.trim()) location.hash = '#/search/' + encodeURIComponent(q.trim());
  });
  window.addEventListener('hashchange', render);
  listen();
  // A page left for another keeps no stream open (the browser may hold it in its back-forward
  // cache): each open stream takes one of the few connections a browser allows per host, so
  // streams of pages left behind would soon starve the next page's calls.
  window.addEventListener('pagehide', () => events.close());
  window.addEventListener('pageshow', (e) => {
    if (!e.persisted) return;
    listen();
    render();
  });
  render();
})();
