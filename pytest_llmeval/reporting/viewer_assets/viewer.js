/* pytest-llmeval results viewer. Self-contained: no network, no library.
 * Every piece of data reaches the page through textContent / createTextNode / setAttribute,
 * never through innerHTML, so model text is shown as text and never runs. */
(function () {
  'use strict';

  // ---------------------------------------------------------------- helpers
  const $ = (id) => document.getElementById(id);
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function add(parent, child) {
    if (child == null || child === false) return;
    if (Array.isArray(child)) { for (const c of child) add(parent, c); return; }
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    add(node, children);
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    add(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (const key of Object.keys(attrs)) {
      const value = attrs[key];
      if (value == null || value === false) continue;
      if (key === 'text') node.textContent = String(value);
      else if (key === 'class') node.setAttribute('class', value);
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }

  function fmtInt(n) {
    if (n == null || n === '') return '-';
    const s = String(Math.round(Number(n)));
    return s.length < 5 ? s : s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  const fmtMs = (ms) => (ms >= 10000 ? (ms / 1000).toFixed(1) + 's' : ms >= 1000 ? (ms / 1000).toFixed(2) + 's' : ms + 'ms');

  function fmtScore(x) {
    if (x == null) return '-';
    return (Math.round(x * 1e4) / 1e4).toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  }

  function fmtDelta(x) {
    if (x == null || Number.isNaN(x)) return '';
    const s = (Math.round(x * 1e4) / 1e4).toFixed(4);
    return (x > 0 ? '+' : '') + (s === '-0.0000' ? '0.0000' : s);
  }

  function pretty(value) {
    if (typeof value === 'string') return value;
    try { return JSON.stringify(value, null, 2); } catch (e) { return String(value); }
  }

  function prettyArgs(text) {
    if (typeof text !== 'string') return pretty(text);
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  function callText(name, args) {
    if (args && typeof args === 'object' && !Array.isArray(args)) {
      return name + '(' + Object.keys(args).map((k) => k + '=' + JSON.stringify(args[k])).join(', ') + ')';
    }
    return name + '(' + (args == null ? '' : JSON.stringify(args)) + ')';
  }

  function messageText(content) {
    if (content == null) return '';
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
      return content.map((part) => (part && typeof part === 'object' && typeof part.text === 'string' ? part.text : pretty(part))).join('\n');
    }
    return pretty(content);
  }

  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const idle = window.requestIdleCallback
    ? (fn) => window.requestIdleCallback(fn, { timeout: 500 })
    : (fn) => setTimeout(() => fn({ timeRemaining: () => 8 }), 16);

  // ---------------------------------------------------------------- the index
  const TIMES = { script: performance.now() };
  const INDEX = JSON.parse($('llmeval-index').textContent);
  $('llmeval-index').textContent = '';
  const NAMES = INDEX.names;
  const NAME_ID = new Map(NAMES.map((name, i) => [name, i]));
  const VERDICTS = INDEX.verdicts;
  const COMBOS = INDEX.combos;
  const COLORS = ['#0969da', '#e16f24', '#2da44e', '#8250df', '#bf3989', '#1b7c83', '#9a6700', '#57606a'];
  const RUNS = INDEX.runs.map(prepareRun);
  TIMES.index = performance.now();
  let NAME_RANK = null;

  function prepareRun(run, r) {
    const c = run.cols;
    const ints = (a) => Int32Array.from(a);
    const prepared = Object.assign(run, {
      r,
      ds: ints(c.ds), sub: ints(c.sub), cat: ints(c.cat), ids: c.id, rep: ints(c.rep),
      ver: Uint8Array.from(c.ver), why: ints(c.why), rules: ints(c.rules), lat: ints(c.lat),
      tok: ints(c.tok), calls: ints(c.calls), turn: ints(c.turn), cl: ints(c.cl), line: ints(c.line),
      cached: Uint8Array.from(c.cached), color: COLORS[r % COLORS.length], keys: null,
    });
    delete prepared.cols;
    return prepared;
  }

  function keyOf(run, i) { return NAMES[run.ds[i]] + '/' + run.ids[i] + '/r' + run.rep[i]; }

  function keyMap(run) {
    if (!run.keys) {
      run.keys = new Map();
      for (let i = 0; i < run.n; i++) run.keys.set(keyOf(run, i), i);
    }
    return run.keys;
  }

  function nameRank() {
    if (!NAME_RANK) {
      const order = NAMES.map((_, i) => i).sort((a, b) => NAMES[a].localeCompare(NAMES[b], 'en', { numeric: true }));
      NAME_RANK = new Int32Array(NAMES.length);
      order.forEach((id, rank) => { NAME_RANK[id] = rank; });
    }
    return NAME_RANK;
  }

  // ---------------------------------------------------------------- the records (lazy)
  // The records arrive base64-encoded and deflated; a worker unpacks them off the main thread
  // (the page unpacks them itself where a worker cannot start). Lines are split and the table
  // of shared values parsed on first use.
  const Store = {
    ok: false, text: null, offsets: null, sharedCache: new Map(), cache: new Map(),
    ready: null, failed: null,
    start() {
      if (!this.ready) {
        this.ready = this.inflate().catch((error) => { this.failed = String(error && error.message || error); throw error; });
      }
      return this.ready;
    },
    async inflate() {
      if (document.readyState === 'loading') {
        await new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true }));
      }
      const node = $('llmeval-records');
      const b64 = node.textContent.trim();
      node.textContent = '';
      const unpacked = await inflateInWorker(b64).catch(async () => withOffsets(await inflateBase64(b64)));
      this.text = unpacked.text;
      this.offsets = unpacked.offsets;
      this.ok = true;
      TIMES.records = performance.now();
      document.documentElement.setAttribute('data-records', 'ready');
    },
    line(n) { return this.text.slice(this.offsets[n], this.offsets[n + 1] - 1); },
    // A line referred to, parsed (kept while few: a sample's view reads a handful).
    shared(n) {
      let value = this.sharedCache.get(n);
      if (value === undefined) {
        value = JSON.parse(this.line(n));
        if (this.sharedCache.size > 2000) this.sharedCache.clear();
        this.sharedCache.set(n, value);
      }
      return value;
    },
    // "\x02" + line (base 36) + "\x03" + key [+ "\x03" + index or field]: the first copy.
    at(ref) {
      const parts = ref.slice(1).split('\u0003');
      let value = this.shared(parseInt(parts[0], 36))[parts[1]];
      if (parts.length > 2) value = Array.isArray(value) ? value[Number(parts[2])] : value[parts[2]];
      return value;
    },
    packed(run, i) { return JSON.parse(this.line(run.line[i])); },
    record(run, i) {
      const key = run.r + ':' + i;
      let record = this.cache.get(key);
      if (record) { this.cache.delete(key); this.cache.set(key, record); return record; }
      const packed = this.packed(run, i);
      record = {};
      for (const name of Object.keys(packed)) record[name] = resolveTop(packed[name]);
      this.cache.set(key, record);
      if (this.cache.size > 40) this.cache.delete(this.cache.keys().next().value);
      return record;
    },
  };

  async function inflateBase64(b64) {
    let bytes;
    if (typeof Uint8Array.fromBase64 === 'function') {
      bytes = Uint8Array.fromBase64(b64);
    } else {
      const binary = atob(b64);
      bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    }
    if (typeof DecompressionStream === 'undefined') {
      throw new Error('this browser cannot unpack the embedded samples (no DecompressionStream); open the file in a current browser');
    }
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    return new Response(stream).text();
  }

  // Where each line starts (one more entry: the end + 1), so a line is a cheap slice.
  function withOffsets(text) {
    const starts = [0];
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
    starts.push(text.length + 1);
    return { text, offsets: Uint32Array.from(starts) };
  }

  function inflateInWorker(b64) {
    return new Promise((resolve, reject) => {
      const source = 'const inflateBase64 = ' + inflateBase64.toString() + ';\n'
        + 'const withOffsets = ' + withOffsets.toString() + ';\n'
        + 'onmessage = async (event) => { try { const out = withOffsets(await inflateBase64(event.data));'
        + ' postMessage(out, [out.offsets.buffer]); }'
        + ' catch (error) { postMessage({ error: String(error && error.message || error) }); } };';
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      let worker;
      try { worker = new Worker(url); } catch (error) { URL.revokeObjectURL(url); reject(error); return; }
      const done = () => { worker.terminate(); URL.revokeObjectURL(url); };
      worker.onmessage = (event) => {
        done();
        if (event.data && typeof event.data.text === 'string') resolve(event.data);
        else reject(new Error(event.data && event.data.error || 'worker failed'));
      };
      worker.onerror = (event) => { event.preventDefault(); done(); reject(new Error(event.message || 'worker failed')); };
      worker.postMessage(b64);
    });
  }

  // A record's values (depth 0) and their items (depth 1) may be references to the first copy
  // of the same value in an earlier line; "\x01" in front of a real string escapes it. A
  // depth-0 copy may itself hold depth-1 references.
  function resolveTop(value) {
    if (typeof value === 'string') {
      const c = value.charCodeAt(0);
      if (c === 1) return value.slice(1);
      if (c === 2) return resolveItems(Store.at(value));
      return value;
    }
    return resolveItems(value);
  }

  function resolveItems(value) {
    if (Array.isArray(value)) return value.map(resolveItem);
    if (value !== null && typeof value === 'object') {
      const out = {};
      for (const key of Object.keys(value)) out[key] = resolveItem(value[key]);
      return out;
    }
    return value;
  }

  function resolveItem(value) {
    if (typeof value === 'string') {
      const c = value.charCodeAt(0);
      if (c === 1) return value.slice(1);
      if (c === 2) return Store.at(value);
    }
    return value;
  }

  // Full-text search: one lowercase text per sample (prompts, responses, tool calls and
  // results, extracted answer, reason), built in idle time once the records are unpacked.
  const SKIP_KEYS = new Set(['role', 'id', 'type', 'tool_call_id', 'finish_reason']);
  const Hay = {
    texts: [], done: [], scheduled: false,
    text(record) {
      const out = [String(resolveTop(record.sample_id)), resolveTop(record.reason) || '', resolveTop(record.error) || ''];
      gather(resolveTop(record.messages), out);
      gather(resolveTop(record.response), out);
      gather(resolveTop(record.responses), out);
      const extracted = resolveTop(record.extracted);
      if (extracted != null) out.push(typeof extracted === 'string' ? extracted : JSON.stringify(extracted));
      const extra = resolveTop(record.extra);
      if (extra && typeof extra.judge_reply === 'string') out.push(extra.judge_reply);
      return out.join('\n').toLowerCase();
    },
    buildSome(run, deadline) {
      const texts = this.texts[run.r] || (this.texts[run.r] = new Array(run.n));
      let i = this.done[run.r] || 0;
      while (i < run.n && (deadline == null || performance.now() < deadline)) {
        texts[i] = this.text(Store.packed(run, i));
        i++;
      }
      this.done[run.r] = i;
      return i >= run.n;
    },
    // The texts so far, after at most `budget` ms more of building (a search does not wait for
    // all of them: it shows what matches so far and `hurry` finishes the rest in slices).
    ensure(run, budget) {
      if ((this.done[run.r] || 0) < run.n) this.buildSome(run, performance.now() + budget);
      return this.texts[run.r];
    },
    complete(run) { return (this.done[run.r] || 0) >= run.n; },
    progress() {
      const total = RUNS.reduce((sum, run) => sum + run.n, 0);
      return total ? RUNS.reduce((sum, run) => sum + (this.done[run.r] || 0), 0) / total : 1;
    },
    hurry(then) {
      this.then = then;
      if (this.hurrying) return;
      this.hurrying = true;
      const slice = () => {
        const pending = RUNS.filter((run) => !this.complete(run));
        if (pending.length) this.buildSome(pending[0], performance.now() + 40);
        if (pending.length > 1 || (pending.length === 1 && !this.complete(pending[0]))) {
          if (performance.now() - (this.shown || 0) > 700) { this.shown = performance.now(); this.then(); }
          setTimeout(slice, 0);
          return;
        }
        this.hurrying = false;
        document.documentElement.setAttribute('data-search', 'ready');
        this.then();
      };
      setTimeout(slice, 0);
    },
    schedule() {
      if (this.scheduled) return;
      this.scheduled = true;
      const step = (deadline) => {
        const pending = RUNS.filter((run) => (this.done[run.r] || 0) < run.n);
        if (!pending.length) { document.documentElement.setAttribute('data-search', 'ready'); return; }
        this.buildSome(pending[0], performance.now() + Math.max(4, Math.min(12, deadline.timeRemaining())));
        idle(step);
      };
      idle(step);
    },
  };

  function gather(value, out) {
    if (typeof value === 'string') { if (value) out.push(value); }
    else if (Array.isArray(value)) { for (const item of value) gather(item, out); }
    else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) if (!SKIP_KEYS.has(key)) gather(value[key], out);
    }
  }

  // ---------------------------------------------------------------- state in the fragment
  const DEFAULTS = {
    view: 'overview', run: '0', cmp: '', ds: '', sub: '', cat: '', ver: '', rule: '', cl: '',
    flip: '', q: '', sort: '', desc: '', sample: '',
  };
  let S = readHash();

  function readHash() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const state = Object.assign({}, DEFAULTS);
    for (const key of Object.keys(DEFAULTS)) if (params.has(key)) state[key] = params.get(key);
    if (params.has('sample') && !params.has('view')) state.view = 'samples';
    if (!(Number(state.run) >= 0 && Number(state.run) < RUNS.length)) state.run = '0';
    if (state.cmp !== '' && !(Number(state.cmp) >= 0 && Number(state.cmp) < RUNS.length && state.cmp !== state.run)) state.cmp = '';
    return state;
  }

  function hashOf(state) {
    const parts = [];
    for (const key of Object.keys(DEFAULTS)) {
      if (key === 'view' && state.sample) {  // a sample implies the samples view
        if (state.view !== 'samples') parts.push('view=' + encodeURIComponent(state.view));
        continue;
      }
      if (state[key] != null && state[key] !== DEFAULTS[key]) {
        parts.push(key + '=' + encodeURIComponent(state[key]).replace(/%2F/g, '/'));
      }
    }
    return '#' + parts.join('&');
  }

  // The fragment follows the state a moment later: browsers throttle history updates, and
  // each one costs a round trip to the browser process.
  let hashTimer = 0;
  function writeHash() {
    clearTimeout(hashTimer);
    hashTimer = setTimeout(writeHashNow, 120);
  }

  function writeHashNow() {
    hashTimer = 0;
    const hash = hashOf(S);
    if (hash !== (location.hash || '#')) {
      history.replaceState(null, '', hash === '#' ? location.pathname + location.search : hash);
    }
  }

  function link(text, state, attrs) {
    const target = Object.assign({}, DEFAULTS, state);
    return el('a', Object.assign({ href: hashOf(target), text }, attrs || {}));
  }

  // ---------------------------------------------------------------- shell
  const app = $('app');
  const views = {};

  function render() {
    const tabs = $('tabs');
    tabs.textContent = '';
    add(tabs, [
      ['Overview', 'overview'], ['Samples', 'samples'],
    ].map(([label, view]) => link(label, Object.assign({}, S, { view }), {
      class: S.view === view ? 'on' : null,
      onclick: (event) => { event.preventDefault(); S.view = view; render(); },
    })));
    let node;
    if (S.view === 'samples') {
      node = views.samples || (views.samples = buildSamples());
      if (node.parentNode !== app) { app.textContent = ''; app.appendChild(node); }
      updateSamples();
    } else {
      node = views.overview || (views.overview = buildOverview());
      if (node.parentNode !== app) { app.textContent = ''; app.appendChild(node); }
    }
    writeHash();
  }

  window.addEventListener('hashchange', () => {
    if (hashOf(S) === (location.hash || '#')) return;
    clearTimeout(hashTimer);
    S = readHash();
    render();
  });

  // ---------------------------------------------------------------- overview
  function buildOverview() {
    const root = el('div', { class: 'overview' });
    const several = RUNS.length > 1;
    root.appendChild(el('h2', { text: several ? 'Scores, run by run' : 'Scores' }));
    if (several) root.appendChild(compareTable());
    RUNS.forEach((run) => {
      const table = seedTable(run);
      if (several) {
        root.appendChild(el('details', null, el('summary', { text: 'Table of ' + run.label + ' (' + run.name + ')' }), table));
      } else {
        root.appendChild(table);
      }
    });
    if (RUNS.some((run) => run.rows.some((row) => row.category === 'official'))) {
      root.appendChild(el('p', { class: 'note', text: 'Rows with Cat.0 "official" (shaded) are the benchmark\'s official aggregate (for BFCL v3, LeaderboardAccuracy: unweighted means of categories, live weighted by count). OVERALL of the other metrics is the sample-count-weighted mean of the subsets, as in the seed\'s table.' }));
    }
    root.appendChild(el('h2', { text: 'Charts' }));
    root.appendChild(charts());
    if (several) {
      root.appendChild(el('h2', { text: 'Flips between runs' }));
      for (let k = 1; k < RUNS.length; k++) root.appendChild(flipTable(RUNS[0], RUNS[k]));
    }
    root.appendChild(el('h2', { text: several ? 'Runs' : 'Run' }));
    root.appendChild(el('div', { class: 'cards' }, RUNS.map(runCard)));
    return root;
  }

  function extraColumns(rows) {
    return ['se', 'ci_low', 'ci_high'].filter((key) => rows.some((row) => row[key] != null));
  }

  function seedTable(run) {
    const extra = extraColumns(run.rows);
    const head = ['Model', 'Dataset', 'Metric', 'Subset', 'Num', 'Score', 'Cat.0', 'Errors', ...extra.map((k) => ({ se: 'SE', ci_low: 'CI low', ci_high: 'CI high' }[k]))];
    const body = run.rows.map((row) => {
      const cls = row.category === 'official' ? 'official' : row.subset === 'OVERALL' ? 'overall' : null;
      const isSubset = row.category !== 'official' && row.subset !== 'OVERALL';
      const subset = isSubset
        ? link(row.subset, { view: 'samples', run: String(run.r), ds: row.dataset, sub: row.subset })
        : row.subset;
      return el('tr', { class: cls },
        el('td', { text: row.model }), el('td', { text: row.dataset }), el('td', { text: row.metric }),
        el('td', null, subset), el('td', { class: 'num', text: row.num }),
        el('td', { class: 'num score', text: row.score_text != null ? row.score_text : fmtScore(row.score) }),
        el('td', { text: row.category }), el('td', { class: 'num', text: row.errors }),
        extra.map((key) => el('td', { class: 'num', text: fmtScore(row[key]) })));
    });
    return el('table', { class: 'grid seed', 'data-run': run.r },
      el('thead', null, el('tr', null, head.map((h) => el('th', { text: h })))), el('tbody', null, body));
  }

  function rowKey(row) { return row.dataset + '\u0000' + row.metric + '\u0000' + row.subset; }

  function compareTable() {
    const keys = [];
    const byRun = RUNS.map((run) => {
      const map = new Map();
      for (const row of run.rows) {
        const key = rowKey(row);
        if (!map.has(key)) map.set(key, row);
        if (!keys.includes(key)) keys.push(key);
      }
      return map;
    });
    const head = el('tr', null, ['Dataset', 'Metric', 'Subset'].map((h) => el('th', { text: h })),
      RUNS.map((run, k) => [
        el('th', { text: 'Num ' + run.label.split(' ')[0], title: run.label + ' ' + run.name }),
        el('th', { text: 'Score ' + run.label.split(' ')[0], title: run.label + ' ' + run.name }),
        k > 0 ? el('th', { text: 'Δ ' + run.label.split(' ')[0] + '−#1' }) : null,
      ]));
    const body = keys.map((key) => {
      const [dataset, metric, subset] = key.split('\u0000');
      const first = byRun[0].get(key);
      const any = byRun.map((m) => m.get(key)).find(Boolean);
      const cls = any.category === 'official' ? 'official' : subset === 'OVERALL' ? 'overall' : null;
      return el('tr', { class: cls }, el('td', { text: dataset }), el('td', { text: metric }), el('td', { text: subset }),
        byRun.map((map, k) => {
          const row = map.get(key);
          const cells = [el('td', { class: 'num', text: row ? row.num : '' }), el('td', { class: 'num score', text: row ? (row.score_text != null ? row.score_text : fmtScore(row.score)) : '' })];
          if (k > 0) {
            const delta = row && first && row.score != null && first.score != null ? row.score - first.score : null;
            cells.push(el('td', { class: 'num delta ' + (delta > 0 ? 'up' : delta < 0 ? 'down' : ''), text: fmtDelta(delta) }));
          }
          return cells;
        }));
    });
    return el('table', { class: 'grid compare' }, el('thead', null, head), el('tbody', null, body));
  }

  function charts() {
    const wrap = el('div');
    if (RUNS.length > 1) {
      wrap.appendChild(el('div', { class: 'legend' }, RUNS.map((run) => el('span', { style: '--c:' + run.color, text: run.label + ' (' + run.name + ')' }))));
    }
    const groups = [];
    for (const run of RUNS) {
      for (const row of run.rows) {
        const id = row.dataset + '\u0000' + row.metric;
        if (!groups.includes(id)) groups.push(id);
      }
    }
    const box = el('div', { class: 'charts' });
    for (const id of groups) {
      const [dataset, metric] = id.split('\u0000');
      box.appendChild(chart(dataset, metric));
    }
    wrap.appendChild(box);
    return wrap;
  }

  function chart(dataset, metric) {
    const subsets = [];
    const rows = RUNS.map((run) => {
      const map = new Map();
      for (const row of run.rows) {
        if (row.dataset !== dataset || row.metric !== metric) continue;
        map.set(row.subset, row);
        if (!subsets.includes(row.subset)) subsets.push(row.subset);
      }
      return map;
    });
    const bar = RUNS.length > 1 ? 11 : 15;
    const gap = 7;
    const labelW = Math.min(220, 16 + 6.6 * Math.max(...subsets.map((s) => s.length)));
    const barW = 300;
    const top = 18;
    const groupH = RUNS.length * bar + gap;
    const height = top + subsets.length * groupH + 6;
    const width = labelW + barW + 56;
    const pic = svg('svg', { width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': dataset + ' ' + metric });
    for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
      const x = labelW + tick * barW;
      pic.appendChild(svg('line', { x1: x, x2: x, y1: top - 4, y2: height - 4, class: 'axis', 'stroke-dasharray': tick ? '2,3' : null }));
      pic.appendChild(svg('text', { x, y: 11, 'text-anchor': 'middle', fill: '#667085', text: String(tick) }));
    }
    subsets.forEach((subset, s) => {
      const y0 = top + s * groupH;
      pic.appendChild(svg('text', { x: labelW - 6, y: y0 + (RUNS.length * bar) / 2 + 4, 'text-anchor': 'end', 'font-weight': subset === 'OVERALL' ? '700' : null, text: subset }));
      RUNS.forEach((run, k) => {
        const row = rows[k].get(subset);
        const y = y0 + k * bar;
        if (!row) return;
        const score = row.score;
        const label = run.label + ' ' + subset + ': ' + fmtScore(score) + ' (' + row.num + ')';
        if (score != null) {
          pic.appendChild(svg('rect', { x: labelW, y: y + 1, width: Math.max(0.5, Math.min(1, score) * barW), height: bar - 2, fill: run.color, opacity: subset === 'OVERALL' ? 1 : 0.82, rx: 2 },
            svg('title', { text: label })));
          if (row.ci_low != null && row.ci_high != null) {
            const yc = y + bar / 2;
            pic.appendChild(svg('line', { x1: labelW + row.ci_low * barW, x2: labelW + row.ci_high * barW, y1: yc, y2: yc, stroke: '#1d2330', 'stroke-width': 1.2 }));
          }
        }
        pic.appendChild(svg('text', { x: labelW + Math.min(1, score || 0) * barW + 4, y: y + bar - 3, text: fmtScore(score), 'font-size': RUNS.length > 1 ? '10' : '11' }));
      });
    });
    return el('div', { class: 'chart', 'data-dataset': dataset, 'data-metric': metric }, el('h4', { text: dataset + ' · ' + metric }), pic);
  }

  function flipCounts(a, b) {
    const mapB = keyMap(b);
    const seen = new Uint8Array(b.n);
    const per = new Map();
    const bucket = (subset) => {
      if (!per.has(subset)) per.set(subset, { joined: 0, same: 0, ab: 0, ba: 0, onlyA: 0, onlyB: 0 });
      return per.get(subset);
    };
    for (let i = 0; i < a.n; i++) {
      const j = mapB.get(keyOf(a, i));
      const c = bucket(NAMES[a.ds[i]] + ' / ' + NAMES[a.sub[i]]);
      if (j === undefined) { c.onlyA++; continue; }
      seen[j] = 1;
      c.joined++;
      const pa = a.ver[i] === 0, pb = b.ver[j] === 0;
      if (pa && !pb) c.ab++; else if (!pa && pb) c.ba++; else c.same++;
    }
    for (let j = 0; j < b.n; j++) if (!seen[j]) bucket(NAMES[b.ds[j]] + ' / ' + NAMES[b.sub[j]]).onlyB++;
    return per;
  }

  function flipTable(a, b) {
    const per = flipCounts(a, b);
    const total = { joined: 0, same: 0, ab: 0, ba: 0, onlyA: 0, onlyB: 0 };
    const A = a.label.split(' ')[0], B = b.label.split(' ')[0];
    const base = { view: 'samples', run: String(a.r), cmp: String(b.r) };
    const cell = (n, state) => el('td', { class: 'num' }, n ? link(fmtInt(n), Object.assign({}, base, state)) : '0');
    const rows = [];
    for (const [name, c] of per) {
      for (const key of Object.keys(total)) total[key] += c[key];
      const [dataset, subset] = name.split(' / ');
      rows.push(el('tr', null, el('td', { text: dataset }), el('td', { text: subset }), el('td', { class: 'num', text: fmtInt(c.joined) }),
        cell(c.ab, { ds: dataset, sub: subset, flip: 'ab' }), cell(c.ba, { ds: dataset, sub: subset, flip: 'ba' }),
        cell(c.onlyA, { ds: dataset, sub: subset, flip: 'onlyA' }), cell(c.onlyB, { ds: dataset, sub: subset, flip: 'onlyB' })));
    }
    rows.push(el('tr', { class: 'overall' }, el('td', { text: 'all' }), el('td', { text: '' }), el('td', { class: 'num', text: fmtInt(total.joined) }),
      cell(total.ab, { flip: 'ab' }), cell(total.ba, { flip: 'ba' }), cell(total.onlyA, { flip: 'onlyA' }), cell(total.onlyB, { flip: 'onlyB' })));
    return el('div', null,
      el('h3', { text: a.label + ' → ' + b.label }),
      el('p', { class: 'note', text: 'Samples joined by dataset, id and repeat. "passed → not" counts samples that passed in ' + A + ' and failed (or errored, or were refused) in ' + B + '; "only in" counts samples one run has and the other has not.' }),
      el('table', { class: 'grid flips', 'data-a': a.r, 'data-b': b.r },
        el('thead', null, el('tr', null, ['Dataset', 'Subset', 'In both', A + ' passed → ' + B + ' not', A + ' not → ' + B + ' passed', 'Only in ' + A, 'Only in ' + B].map((h) => el('th', { text: h })))),
        el('tbody', null, rows)));
  }

  function kv(pairs) {
    return el('dl', { class: 'kv' }, pairs.filter((p) => p && p[1] != null && p[1] !== '').map(([k, v]) => [el('dt', { text: k }), el('dd', null, v)]));
  }

  function settingsText(settings) {
    if (!settings || typeof settings !== 'object') return settings == null ? null : String(settings);
    const keys = Object.keys(settings);
    return keys.length ? keys.map((k) => k + '=' + (typeof settings[k] === 'string' ? settings[k] : JSON.stringify(settings[k]))).join(', ') : 'server defaults';
  }

  function runCard(run) {
    const meta = run.meta || {};
    const model = meta.model && typeof meta.model === 'object' ? meta.model : { model: meta.model };
    const judge = meta.judge && typeof meta.judge === 'object' ? meta.judge : null;
    const datasets = meta.datasets || {};
    const usage = meta.usage || {};
    const gate = run.gate || [];
    const shortfalls = meta.gate_shortfalls;
    let gateNode = 'no thresholds (plain pytest exit status)';
    if (gate.length || (shortfalls && shortfalls.length)) {
      const failed = (shortfalls && shortfalls.length) || gate.some((g) => g.passed === false);
      gateNode = el('div', null,
        el('div', { class: failed ? 'gate-fail' : 'gate-pass', text: failed ? 'gate FAILED' : 'gate passed (' + gate.length + ' thresholds)' }),
        el('ul', null, gate.map((g) => el('li', { class: 'gate-item', 'data-passed': String(g.passed) },
          el('span', { class: g.passed ? 'gate-pass' : g.passed === false ? 'gate-fail' : 'muted', text: g.passed ? 'pass' : g.passed === false ? 'FAIL' : '?' }), ' ',
          el('code', { text: g.text }),
          g.metric ? ' — ' + g.dataset + ' ' + g.metric + ' ' + g.subset + ': ' + fmtScore(g.measured) + (g.passed ? ' ≥ ' : ' < ') + g.minimum : ' — not found in this report'))),
        (shortfalls || []).filter((line) => !gate.some((g) => g.metric && line.startsWith(g.dataset + ' ' + g.metric + ' ' + g.subset + ':')))
          .map((line) => el('div', { class: 'gate-fail', text: line })));
    }
    const usageNodes = Object.keys(usage).map((name) => {
      const u = usage[name] || {};
      const judgeText = u.judge_calls ? '; judge ' + fmtInt(u.judge_calls) + ' calls, ' + fmtInt(u.judge_prompt_tokens) + ' in / ' + fmtInt(u.judge_completion_tokens) + ' out' : '';
      return el('div', { text: name + ': ' + fmtInt(u.samples) + ' samples, ' + fmtInt(u.errors) + ' errors, ' + fmtInt(u.calls) + ' calls, tokens ' + fmtInt(u.prompt_tokens) + ' in / ' + fmtInt(u.completion_tokens) + ' out' + judgeText + '; latency p50 ' + (u.latency_p50_s == null ? '-' : u.latency_p50_s + 's') + ' p95 ' + (u.latency_p95_s == null ? '-' : u.latency_p95_s + 's') + '; ' + fmtInt(u.cached_samples) + ' from cache' });
    });
    const sources = Object.keys(datasets).map((name) => {
      const d = datasets[name] || {};
      return el('div', null, name + ': ' + (d.source || '?') + ', ' + fmtInt(d.samples) + ' samples, hash ', el('code', { text: d.content_hash || '-' }));
    });
    return el('div', { class: 'card', 'data-run': run.r },
      el('h3', { text: run.label }),
      kv([
        ['Folder', el('code', { text: run.folder })],
        ['Model', model.model],
        ['Base URL', model.base_url],
        ['Generation', settingsText(model.generation)],
        ['Judge', judge ? [judge.model, judge.base_url ? ' @ ' + judge.base_url : '', judge.generation ? ' (' + settingsText(judge.generation) + ')' : ''].join('') : null],
        ['Plugin version', meta.plugin_version],
        ['Data', sources.length ? sources : null],
        ['Started', meta.started], ['Finished', meta.finished],
        ['Wall time', meta.wall_s != null ? meta.wall_s + ' s' : null],
        ['Limit', meta.limit], ['Repeats', meta.repeats],
        ['Usage', usageNodes.length ? usageNodes : null],
        ['Gate', gateNode],
        ['Exit status', meta.exit_status],
        ['Usage errors', (meta.usage_errors || []).length ? meta.usage_errors.join('; ') : null],
        ['Command', Array.isArray(meta.command) ? el('code', { text: meta.command.join(' ') }) : meta.command],
      ]));
  }

  // ---------------------------------------------------------------- sample browser
  const V = { universe: null, universeKey: '', view: new Int32Array(0), pool: [], selKey: '', lastDetail: '' };
  const BIT = { ds: 1, sub: 2, cat: 4, ver: 8, rule: 16, cl: 32, flip: 64, q: 128 };
  const VER_CHOICES = [['', 'any'], ['passed', 'passed'], ['failed', 'failed'], ['error', 'error'], ['refused', 'refused'], ['notpassed', 'not passed']];
  const FLIP_CHOICES = [['', 'all'], ['changed', 'passed in one, not the other'], ['ab', 'A passed → B not'], ['ba', 'A not → B passed'], ['same', 'same outcome'], ['onlyA', 'only in A'], ['onlyB', 'only in B']];
  const FLIP_CODE = { same: 0, ab: 1, ba: 2, onlyA: 3, onlyB: 4 };

  function buildSamples() {
    const sel = (name, label) => {
      const select = el('select', { 'data-filter': name, onchange: () => { S[name] = select.value; setScroll(0); updateSamples(); writeHash(); } });
      V[name + 'Select'] = select;
      return el('label', { 'data-for': name }, label, select);
    };
    const runSelect = el('select', { 'data-filter': 'run', onchange: () => { S.run = runSelect.value; if (S.cmp === S.run) S.cmp = ''; updateSamples(); writeHash(); } },
      RUNS.map((run) => el('option', { value: run.r, text: run.label + ' (' + run.name + ')' })));
    const cmpSelect = el('select', { 'data-filter': 'cmp', onchange: () => { S.cmp = cmpSelect.value; if (!S.cmp) S.flip = ''; updateSamples(); writeHash(); } });
    V.runSelect = runSelect;
    V.cmpSelect = cmpSelect;
    const search = el('input', { type: 'search', placeholder: 'search prompts and responses', 'data-filter': 'q', oninput: () => { S.q = search.value; setScroll(0); updateSamples(); writeHash(); } });
    V.search = search;
    V.count = el('span', { class: 'count' });
    const filters = el('div', { class: 'filters' },
      el('label', null, 'Run', runSelect),
      RUNS.length > 1 ? el('label', null, 'compare with', cmpSelect) : null,
      sel('flip', 'Flips'),
      sel('ds', 'Dataset'), sel('sub', 'Subset'), sel('cat', 'Category'), sel('ver', 'Verdict'),
      sel('rule', 'Failure reason'), sel('cl', 'Cluster'), search,
      el('button', { text: 'clear', onclick: () => { for (const k of ['ds', 'sub', 'cat', 'ver', 'rule', 'cl', 'flip', 'q']) S[k] = ''; updateSamples(); writeHash(); } }),
      V.count);
    V.head = el('div', { class: 'lhead' });
    V.spacer = el('div', { class: 'vspacer' });
    V.list = el('div', { class: 'vlist', tabindex: '0' }, V.spacer);
    V.scrollTop = 0;
    V.list.addEventListener('scroll', () => { V.scrollTop = V.list.scrollTop; scheduleRows(); }, { passive: true });
    V.list.addEventListener('keydown', onListKey);
    V.detail = el('div', { class: 'detailpane' }, el('div', { class: 'placeholder', text: 'Choose a sample to read the whole conversation.' }));
    const listPane = el('div', { class: 'listpane' }, V.head, V.list);
    return el('div', { class: 'samples' }, filters, el('div', { class: 'split' }, listPane, V.detail));
  }

  function comparing() { return S.cmp !== '' && RUNS.length > 1; }

  function universe() {
    const a = RUNS[Number(S.run)];
    const b = comparing() ? RUNS[Number(S.cmp)] : null;
    const id = a.r + ':' + (b ? b.r : '');
    if (V.universeKey === id) return V.universe;
    let EA, EB = null, flips = null;
    if (!b) {
      EA = new Int32Array(a.n);
      for (let i = 0; i < a.n; i++) EA[i] = i;
    } else {
      const mapB = keyMap(b);
      const seen = new Uint8Array(b.n);
      const ea = [], eb = [], fl = [];
      for (let i = 0; i < a.n; i++) {
        const j = mapB.get(keyOf(a, i));
        ea.push(i);
        if (j === undefined) { eb.push(-1); fl.push(FLIP_CODE.onlyA); continue; }
        seen[j] = 1;
        eb.push(j);
        const pa = a.ver[i] === 0, pb = b.ver[j] === 0;
        fl.push(pa && !pb ? FLIP_CODE.ab : !pa && pb ? FLIP_CODE.ba : FLIP_CODE.same);
      }
      for (let j = 0; j < b.n; j++) if (!seen[j]) { ea.push(-1); eb.push(j); fl.push(FLIP_CODE.onlyB); }
      EA = Int32Array.from(ea); EB = Int32Array.from(eb); flips = Uint8Array.from(fl);
    }
    V.universe = { a, b, EA, EB, flips, n: EA.length };
    V.universeKey = id;
    return V.universe;
  }

  function nameFilter(value) { return value === '' ? -1 : NAME_ID.has(value) ? NAME_ID.get(value) : -2; }

  function computeView() {
    const U = universe();
    const { a, b, EA, EB, flips } = U;
    const f = { ds: nameFilter(S.ds), sub: nameFilter(S.sub), cat: nameFilter(S.cat), rule: nameFilter(S.rule), cl: nameFilter(S.cl) };
    const ver = S.ver === '' ? -1 : S.ver === 'notpassed' ? 9 : VERDICTS.indexOf(S.ver);
    const flip = U.flips && S.flip !== '' ? S.flip : '';
    const ruleCombos = f.rule >= 0 ? Uint8Array.from(COMBOS, (combo) => (combo.includes(f.rule) ? 1 : 0)) : null;
    const terms = S.q.toLowerCase().split(/\s+/).filter(Boolean);
    let hayA = null, hayB = null, partial = false;
    if (terms.length) {
      if (Store.ok) { hayA = Hay.ensure(a, 60); if (b) hayB = Hay.ensure(b, 30); }
    }
    const n = U.n;
    const masks = new Uint8Array(n);
    const counts = { ds: new Int32Array(NAMES.length), sub: new Int32Array(NAMES.length), cat: new Int32Array(NAMES.length), rule: new Int32Array(NAMES.length), cl: new Int32Array(NAMES.length), ver: new Int32Array(5), flip: new Int32Array(5), clNone: 0 };
    const passing = [];
    for (let e = 0; e < n; e++) {
      const ia = EA[e];
      const R = ia >= 0 ? a : b;
      const i = ia >= 0 ? ia : EB[e];
      let m = 0;
      if (f.ds !== -1 && R.ds[i] !== f.ds) m |= BIT.ds;
      if (f.sub !== -1 && R.sub[i] !== f.sub) m |= BIT.sub;
      if (f.cat !== -1 && R.cat[i] !== f.cat) m |= BIT.cat;
      const v = R.ver[i];
      if (ver !== -1 && (ver === 9 ? v === 0 : v !== ver)) m |= BIT.ver;
      if (f.rule !== -1 && !(ruleCombos && ruleCombos[R.rules[i]])) m |= BIT.rule;
      if (f.cl !== -1 && R.cl[i] !== f.cl) m |= BIT.cl;
      if (flip !== '') {
        const code = flips[e];
        if (flip === 'changed' ? code !== FLIP_CODE.ab && code !== FLIP_CODE.ba : code !== FLIP_CODE[flip]) m |= BIT.flip;
      }
      if (terms.length) {
        if (!hayA) m |= BIT.q;  // records still unpacking: nothing matches yet
        else {
          const ta = ia >= 0 ? hayA[ia] : null;
          const tb = EB && EB[e] >= 0 ? hayB[EB[e]] : null;
          if (ta === undefined || tb === undefined) partial = true;
          for (const term of terms) {
            if (!((ta != null && ta.includes(term)) || (tb != null && tb.includes(term)))) { m |= BIT.q; break; }
          }
        }
      }
      masks[e] = m;
      if (m === 0) passing.push(e);
      if ((m & ~BIT.ds) === 0) counts.ds[R.ds[i]]++;
      if ((m & ~BIT.sub) === 0) counts.sub[R.sub[i]]++;
      if ((m & ~BIT.cat) === 0) counts.cat[R.cat[i]]++;
      if ((m & ~BIT.ver) === 0) counts.ver[v]++;
      if ((m & ~BIT.rule) === 0) for (const rule of COMBOS[R.rules[i]]) counts.rule[rule]++;
      if ((m & ~BIT.cl) === 0) { if (R.cl[i] >= 0) counts.cl[R.cl[i]]++; }
      if (flips && (m & ~BIT.flip) === 0) counts.flip[flips[e]]++;
    }
    const view = Int32Array.from(passing);
    sortView(view, U);
    return { view, counts, U, partial };
  }

  function sortView(view, U) {
    if (!S.sort) return;
    const { a, b, EA, EB } = U;
    const rank = nameRank();
    const keyFns = {
      id: (R, i, e) => e,
      ds: (R, i) => rank[R.ds[i]], sub: (R, i) => rank[R.sub[i]], cat: (R, i) => rank[R.cat[i]],
      ver: (R, i) => R.ver[i], why: (R, i) => rank[R.why[i]],
      lat: (R, i) => R.lat[i], tok: (R, i) => R.tok[i], calls: (R, i) => R.calls[i],
      verB: (R, i, e) => (EB && EB[e] >= 0 ? b.ver[EB[e]] : 9),
    };
    const fn = keyFns[S.sort];
    if (!fn) return;
    const keys = new Float64Array(U.n);
    for (const e of view) {
      const ia = EA[e];
      keys[e] = ia >= 0 ? fn(a, ia, e) : fn(b, EB[e], e);
    }
    const sign = S.desc ? -1 : 1;
    view.sort((x, y) => (keys[x] - keys[y]) * sign || x - y);
  }

  function fillSelect(select, choices, value) {
    // choices: [value, label][]; keeps the current value even with no match
    const signature = JSON.stringify(choices) + '\u0000' + value;
    if (select.signature === signature) return;
    select.signature = signature;
    select.textContent = '';
    let found = false;
    for (const [v, label] of choices) {
      const option = el('option', { value: v, text: label });
      if (v === value) { option.selected = true; found = true; }
      select.appendChild(option);
    }
    if (!found && value !== '') {
      select.appendChild(el('option', { value, text: value + ' (0)', selected: true }));
    }
    select.value = value;
  }

  function facetChoices(counts, ids, all) {
    const out = [['', all]];
    for (const id of ids) if (counts[id] > 0) out.push([NAMES[id], NAMES[id] + ' (' + fmtInt(counts[id]) + ')']);
    return out;
  }

  const facetIds = {};
  function idsOf(field) {
    // name ids present in any run for this column, in first-seen order
    if (!facetIds[field]) {
      const seen = new Set();
      const out = [];
      for (const run of RUNS) {
        if (field === 'rule') {
          for (let i = 0; i < run.n; i++) for (const id of COMBOS[run.rules[i]]) if (!seen.has(id)) { seen.add(id); out.push(id); }
        } else {
          const col = run[field];
          for (let i = 0; i < run.n; i++) { const id = col[i]; if (id >= 0 && !seen.has(id)) { seen.add(id); out.push(id); } }
        }
      }
      if (field === 'rule') out.sort((x, y) => NAMES[x].localeCompare(NAMES[y]));
      facetIds[field] = out;
    }
    return facetIds[field];
  }

  function updateSamples() {
    const started = performance.now();
    V.runSelect.value = S.run;
    if (RUNS.length > 1) {
      fillSelect(V.cmpSelect, [['', 'none']].concat(RUNS.filter((run) => String(run.r) !== S.run).map((run) => [String(run.r), run.label + ' (' + run.name + ')'])), S.cmp);
    }
    if (V.search.value !== S.q) V.search.value = S.q;
    if (S.q && !Store.ok) Store.start().then(() => { updateSamples(); });
    const { view, counts, U, partial } = computeView();
    if (partial) Hay.hurry(() => { if (S.q) updateSamples(); });
    V.view = view;
    V.U = U;
    fillSelect(V.dsSelect, facetChoices(counts.ds, idsOf('ds'), 'all'), S.ds);
    fillSelect(V.subSelect, facetChoices(counts.sub, idsOf('sub'), 'all'), S.sub);
    fillSelect(V.catSelect, facetChoices(counts.cat, idsOf('cat'), 'all'), S.cat);
    fillSelect(V.verSelect, VER_CHOICES.map(([v, label]) => {
      const n = v === '' ? null : v === 'notpassed' ? counts.ver[1] + counts.ver[2] + counts.ver[3] : counts.ver[VERDICTS.indexOf(v)];
      return [v, n == null ? label : label + ' (' + fmtInt(n) + ')'];
    }), S.ver);
    fillSelect(V.ruleSelect, facetChoices(counts.rule, idsOf('rule'), 'any'), S.rule);
    const clusters = idsOf('cl');
    V.clSelect.parentNode.style.display = clusters.length ? '' : 'none';
    if (clusters.length) fillSelect(V.clSelect, facetChoices(counts.cl, clusters, 'any'), S.cl);
    V.flipSelect.parentNode.style.display = U.flips ? '' : 'none';
    if (U.flips) {
      const A = U.a.label.split(' ')[0], B = U.b.label.split(' ')[0];
      fillSelect(V.flipSelect, FLIP_CHOICES.map(([v, label]) => {
        const text = label.replace(/\bA\b/g, A).replace(/\bB\b/g, B);
        const n = v === '' ? null : v === 'changed' ? counts.flip[1] + counts.flip[2] : counts.flip[FLIP_CODE[v]];
        return [v, n == null ? text : text + ' (' + fmtInt(n) + ')'];
      }), S.flip);
    }
    V.count.textContent = fmtInt(view.length) + ' of ' + fmtInt(U.n) + ' samples'
      + (S.q && !Store.ok ? ' (unpacking samples for search…)' : partial ? ' (searching: ' + Math.floor(100 * Hay.progress()) + '% read…)' : '');
    V.count.setAttribute('data-count', String(view.length));
    drawHead(U);
    V.spacer.style.height = view.length * rowHeight() + 'px';
    if (!view.length) {
      V.spacer.textContent = '';
      V.pool = [];
      V.spacer.appendChild(el('div', { class: 'empty', text: U.n ? 'No sample matches these filters.' : 'This run has no samples.' }));
    } else if (V.spacer.querySelector('.empty')) {
      V.spacer.textContent = '';
    }
    drawRows();
    if (S.sample !== V.lastDetail) openDetail();
    V.lastMs = performance.now() - started;
  }

  let ROW_H = 0;
  function rowHeight() {
    if (!ROW_H) ROW_H = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--row')) || 26;
    return ROW_H;
  }

  function columns(U) {
    if (V.oneDataset === undefined) V.oneDataset = idsOf('ds').length <= 1;
    const cols = [['#', 'id', '40px', 'num'], ['id', 'id', 'minmax(130px, 2.2fr)']];
    if (!V.oneDataset) cols.push(['dataset', 'ds', 'minmax(50px, .6fr)']);
    cols.push(['subset', 'sub', 'minmax(70px, 1fr)']);
    if (!U.b) cols.push(['category', 'cat', 'minmax(40px, .5fr)']);  // compare mode needs the room
    if (U.b) cols.push([U.a.label.split(' ')[0], 'ver', '62px'], [U.b.label.split(' ')[0], 'verB', '62px']);
    else cols.push(['verdict', 'ver', '62px']);
    cols.push(['failing rule / reason', 'why', 'minmax(90px, 2fr)'], ['latency', 'lat', '58px', 'num'], ['tokens', 'tok', '62px', 'num']);
    return cols;
  }

  function drawHead(U) {
    const cols = columns(U);
    const template = cols.map((c) => c[2]).join(' ');
    const signature = template + '|' + cols.map((c) => c[0]).join('|') + '|' + S.sort + '|' + S.desc;
    if (V.headSignature === signature) return;
    V.headSignature = signature;
    V.head.style.gridTemplateColumns = template;
    V.head.textContent = '';
    for (const [label, key, , cls] of cols) {
      const sorted = S.sort === key && label !== '#' ? ' sorted' + (S.desc ? ' desc' : '') : '';
      V.head.appendChild(el('span', {
        class: (cls || '') + sorted, 'data-sort': key, text: label, title: 'sort by ' + label,
        onclick: () => {
          if (S.sort === key) { if (S.desc) { S.sort = ''; S.desc = ''; } else S.desc = '1'; }
          else { S.sort = key; S.desc = ''; }
          updateSamples(); writeHash();
        },
      }));
    }
    if (V.poolTemplate !== template) {
      for (const row of V.pool) row.remove();
      V.pool = [];
      V.poolTemplate = template;
      V.colBox = null;
    }
  }

  // Rows are drawn with each cell at the pixel place of its header cell (measured once per
  // column layout and list width), so a redraw only sets text: no grid to lay out per row.
  function columnBoxes() {
    if (!V.colBox) {
      const gutter = Math.max(0, V.list.offsetWidth - V.list.clientWidth);  // the scrollbar
      V.head.style.paddingRight = (8 + gutter) + 'px';
      const origin = V.head.getBoundingClientRect().left;
      V.colBox = Array.from(V.head.children, (cell) => {
        const box = cell.getBoundingClientRect();
        return [Math.round(box.left - origin), Math.round(box.width)];
      });
      for (const row of V.pool) placeCells(row);
    }
    return V.colBox;
  }

  function placeCells(row) {
    const boxes = V.colBox;
    Array.from(row.children).forEach((cell, k) => {
      cell.style.left = boxes[k][0] + 'px';
      cell.style.width = boxes[k][1] + 'px';
    });
  }

  function setScroll(top) {
    V.scrollTop = top;
    V.list.scrollTop = top;
  }

  let rowsScheduled = false;
  function scheduleRows() {
    if (rowsScheduled) return;
    rowsScheduled = true;
    requestAnimationFrame(() => { rowsScheduled = false; drawRows(); });
  }

  function drawRows() {
    if (!V.view.length) return;
    const h = rowHeight();
    if (!V.listH) {
      V.listH = V.list.clientHeight || 600;
      new ResizeObserver(() => {
        V.listH = V.list.clientHeight || V.listH;
        V.colBox = null;
        scheduleRows();
      }).observe(V.list);
    }
    const height = V.listH;
    const first = Math.max(0, Math.min(Math.floor(V.scrollTop / h), V.view.length - 1) - 4);
    const count = Math.ceil(height / h) + 8;
    const cols = columns(V.U);
    columnBoxes();
    while (V.pool.length < count) {
      const row = el('div', { class: 'vrow', onclick: () => { if (row.dataset.key) selectKey(row.dataset.key); } });
      for (const c of cols) row.appendChild(el('span', { class: c[3] || null }));
      placeCells(row);
      V.pool.push(row);
      V.spacer.appendChild(row);
    }
    for (let j = 0; j < V.pool.length; j++) {
      const row = V.pool[j];
      const p = first + j;
      if (p >= V.view.length || j >= count) { row.style.display = 'none'; row.dataset.key = ''; continue; }
      if (row.style.display) row.style.display = '';
      const top = p * h + 'px';
      if (row.style.top !== top) row.style.top = top;
      fillRow(row, p);
    }
  }

  function fillRow(row, p) {
    const U = V.U;
    const e = V.view[p];
    const ia = U.EA[e];
    const R = ia >= 0 ? U.a : U.b;
    const i = ia >= 0 ? ia : U.EB[e];
    const key = keyOf(R, i);
    row.dataset.key = key;
    if (row.classList.contains('sel') !== (key === V.selKey)) row.classList.toggle('sel');
    const cells = row.children;
    const put = (cell, text) => { if (cell.textContent !== text) cell.textContent = text; };
    let c = 0;
    put(cells[c++], String(p + 1));
    put(cells[c], R.ids[i] + (R.rep[i] ? ' r' + R.rep[i] : ''));
    if (cells[c].title !== key) cells[c].title = key;
    c++;
    if (!V.oneDataset) put(cells[c++], NAMES[R.ds[i]]);
    put(cells[c++], NAMES[R.sub[i]]);
    if (!U.b) put(cells[c++], NAMES[R.cat[i]]);
    const badge = (cell, verdict) => {
      put(cell, verdict || '—');
      const cls = 'badge v-' + (verdict || 'none');
      if (cell.className !== cls) cell.className = cls;
    };
    badge(cells[c++], ia >= 0 ? VERDICTS[U.a.ver[ia]] : '');
    if (U.b) badge(cells[c++], U.EB[e] >= 0 ? VERDICTS[U.b.ver[U.EB[e]]] : '');
    // the reason of the side that did not pass (in compare mode: B's where A passed)
    let W = R, w = i;
    if (U.b && ia >= 0 && U.EB[e] >= 0 && U.a.ver[ia] === 0) { W = U.b; w = U.EB[e]; }
    const rules = COMBOS[W.rules[w]].map((id) => NAMES[id]).filter((name) => !(name === 'refused' && W.ver[w] === 3) && !name.startsWith('error:') && name !== '(no rule)');
    const why = NAMES[W.why[w]];
    put(cells[c], W.ver[w] === 0 ? why : rules.length && !why.startsWith(rules[0]) ? rules.join(', ') + ' — ' + why : why);
    if (cells[c].title !== why) cells[c].title = why;
    c++;
    put(cells[c++], fmtMs(R.lat[i]));
    put(cells[c++], fmtInt(R.tok[i]));
  }

  function selectKey(key) {
    S.sample = key;
    V.selKey = key;
    for (const row of V.pool) row.classList.toggle('sel', row.dataset.key === key);
    openDetail();
    writeHash();
  }

  function onListKey(event) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    const U = V.U;
    let p = -1;
    for (let q = 0; q < V.view.length && V.selKey; q++) {
      const e = V.view[q];
      const ia = U.EA[e];
      const key = ia >= 0 ? keyOf(U.a, ia) : keyOf(U.b, U.EB[e]);
      if (key === V.selKey) { p = q; break; }
    }
    p = Math.max(0, Math.min(V.view.length - 1, p + (event.key === 'ArrowDown' ? 1 : -1)));
    if (!V.view.length) return;
    const e = V.view[p];
    const ia = U.EA[e];
    selectKey(ia >= 0 ? keyOf(U.a, ia) : keyOf(U.b, U.EB[e]));
    const h = rowHeight();
    if (p * h < V.scrollTop) setScroll(p * h);
    else if ((p + 1) * h > V.scrollTop + V.listH) setScroll((p + 1) * h - V.listH);
  }

  function scrollToKey(key) {
    const U = V.U;
    for (let q = 0; q < V.view.length; q++) {
      const e = V.view[q];
      const ia = U.EA[e];
      const k = ia >= 0 ? keyOf(U.a, ia) : keyOf(U.b, U.EB[e]);
      if (k === key) {
        const h = rowHeight();
        const top = q * h;
        if (top < V.scrollTop || top + h > V.scrollTop + (V.listH || 600)) setScroll(Math.max(0, top - 3 * h));
        drawRows();
        return;
      }
    }
  }

  let detailToken = 0;
  function openDetail() {
    const key = S.sample;
    V.lastDetail = key;
    V.selKey = key;
    const token = ++detailToken;
    const pane = V.detail;
    if (!key) {
      pane.textContent = '';
      pane.appendChild(el('div', { class: 'placeholder', text: 'Choose a sample to read the whole conversation.' }));
      return;
    }
    scrollToKey(key);
    const show = () => {
      if (token !== detailToken) return;
      pane.scrollTop = 0;
      pane.textContent = '';
      pane.appendChild(detailFor(key));
      document.documentElement.setAttribute('data-detail', key);
    };
    if (Store.ok) { show(); return; }
    pane.textContent = '';
    pane.appendChild(el('div', { class: 'placeholder', text: 'Unpacking the samples…' }));
    Store.start().then(show, () => {
      pane.textContent = '';
      pane.appendChild(el('div', { class: 'placeholder', text: 'Cannot show samples: ' + Store.failed }));
    });
  }

  function detailFor(key) {
    const a = RUNS[Number(S.run)];
    const b = comparing() ? RUNS[Number(S.cmp)] : null;
    const ia = keyMap(a).get(key);
    if (!b) {
      if (ia === undefined) return el('div', { class: 'absent', text: 'No sample ' + key + ' in ' + a.label + ' (' + a.name + ').' });
      return sampleView(a, ia);
    }
    const ib = keyMap(b).get(key);
    const side = (run, i) => (i === undefined ? el('div', { class: 'sample absent', text: 'Absent from ' + run.label + ' (' + run.name + ').' }) : sampleView(run, i));
    const va = ia === undefined ? null : VERDICTS[a.ver[ia]];
    const vb = ib === undefined ? null : VERDICTS[b.ver[ib]];
    let summary = key + ': ';
    if (!va || !vb) summary += 'only in ' + (va ? a.label : b.label);
    else if ((va === 'passed') !== (vb === 'passed')) summary += 'flip — ' + va + ' in ' + a.label + ', ' + vb + ' in ' + b.label;
    else summary += va + ' in ' + a.label + ', ' + vb + ' in ' + b.label;
    return el('div', { class: 'compare-detail' }, el('div', { class: 'cmphead', text: summary }), el('div', { class: 'sides' }, side(a, ia), side(b, ib)));
  }

  // ---------------------------------------------------------------- one sample
  function sampleView(run, i) {
    const rec = Store.record(run, i);
    const verdict = VERDICTS[run.ver[i]];
    const extra = rec.extra && typeof rec.extra === 'object' ? rec.extra : {};
    const usage = rec.usage || {};
    const judgeUsage = rec.judge_usage || {};
    const key = keyOf(run, i);
    const permalink = '#sample=' + encodeURIComponent(key).replace(/%2F/g, '/')
      + (S.run !== '0' ? '&run=' + S.run : '') + (comparing() ? '&cmp=' + S.cmp : '');
    const facts = [
      'latency ' + (rec.latency_s != null ? rec.latency_s + ' s' : '-'),
      'tokens ' + fmtInt(usage.prompt_tokens) + ' in / ' + fmtInt(usage.completion_tokens) + ' out',
      fmtInt(usage.calls) + ' calls', fmtInt(rec.attempts) + ' attempts',
      rec.cached ? 'from cache' : null,
      judgeUsage.calls ? 'judge ' + fmtInt(judgeUsage.calls) + ' calls, ' + fmtInt(judgeUsage.prompt_tokens) + ' in / ' + fmtInt(judgeUsage.completion_tokens) + ' out' : null,
      rec.response && rec.response.finish_reason ? 'finish ' + rec.response.finish_reason : null,
    ].filter(Boolean).join(' · ');
    const box = el('article', { class: 'sample', 'data-key': key, 'data-run': run.r },
      el('div', { class: 'shead' }, el('span', { class: 'badge v-' + verdict, text: verdict }), el('h2', { text: String(rec.sample_id) + (rec.repeat ? ' (repeat ' + rec.repeat + ')' : '') }),
        el('span', { class: 'muted', text: rec.dataset + ' / ' + rec.subset + ' · ' + rec.category + ' · ' + run.label })),
      el('div', { class: 'facts' }, facts, el('a', { href: permalink, title: 'link to this sample', text: 'link' })));
    box.appendChild(verdictSection(rec, verdict, extra));
    const steps = Array.isArray(extra.steps) ? extra.steps : null;
    if (steps) {
      box.appendChild(multiTurn(rec, steps, run.turn[i], extra));
    } else {
      box.appendChild(answerSection(rec));
      box.appendChild(el('section', { class: 'conversation' }, el('h3', { text: 'Conversation' }), chat(conversationOf(rec), true)));
    }
    if (steps) box.appendChild(answerSection(rec, true));
    const fns = functionsSection(rec, extra);
    if (fns) box.appendChild(fns);
    const other = Object.keys(extra).filter((k) => !['steps', 'functions_offered', 'force_quit', 'failed_turn', 'judge_reply', 'grade'].includes(k));
    if (other.length) {
      box.appendChild(el('section', null, el('h3', { text: 'Extra' }), kv(other.map((k) => [k, el('pre', { text: pretty(extra[k]) })]))));
    }
    if (rec.labels && Object.keys(rec.labels).length) {
      box.appendChild(el('section', null, el('h3', { text: 'Labels' }), el('pre', { text: pretty(rec.labels) })));
    }
    const raw = el('details', { class: 'raw' }, el('summary', { text: 'Raw record' }));
    raw.addEventListener('toggle', () => {
      if (raw.open && raw.children.length === 1) raw.appendChild(el('pre', { text: JSON.stringify(rec, null, 2) }));
    });
    box.appendChild(el('section', null, raw));
    return box;
  }

  function verdictSection(rec, verdict, extra) {
    const tags = (rec.tags || []).map((t) => el('span', { class: 'chip', text: t }));
    const metrics = rec.metrics && Object.keys(rec.metrics).length
      ? el('div', { class: 'muted', text: Object.keys(rec.metrics).map((k) => k + ' ' + fmtScore(rec.metrics[k])).join(' · ') + (rec.scored === false ? ' · not scored' : '') })
      : null;
    const parts = [el('h3', { text: 'Verdict' }),
      el('div', { class: 'reason ' + verdict },
        el('pre', { class: 'text', text: rec.reason || (verdict === 'passed' ? 'passed' : '') }),
        tags.length ? el('div', null, tags) : null,
        rec.error ? el('div', null, el('strong', { text: 'error' + (rec.error_kind ? ' (' + rec.error_kind + ')' : '') + ': ' }), el('span', { text: rec.error })) : null,
        metrics)];
    if (extra.judge_reply != null || extra.grade != null) {
      parts.push(el('div', { class: 'judge' }, el('h3', { text: 'Judge' + (extra.grade != null ? ' — grade ' + extra.grade : '') }),
        extra.judge_reply != null ? el('pre', { class: 'text', text: pretty(extra.judge_reply) }) : null,
        extra.judge_prompt != null ? el('details', null, el('summary', { text: 'judge prompt' }), el('pre', { text: pretty(extra.judge_prompt) })) : null));
    }
    return el('section', { class: 'verdict' }, parts);
  }

  function answerSection(rec, folded) {
    const pair = el('div', { class: 'pair' },
      el('div', { class: 'extracted' }, el('h4', { text: 'Extracted answer' }), el('pre', { text: rec.extracted == null ? '(none)' : pretty(rec.extracted) })),
      el('div', { class: 'target' }, el('h4', { text: 'Target' }), el('pre', { text: rec.target == null ? '(none)' : pretty(rec.target) })));
    if (folded) return el('section', null, el('details', null, el('summary', { text: 'Extracted answer against target (all turns, raw)' }), pair));
    return el('section', { class: 'answer' }, el('h3', { text: 'Answer' }), pair);
  }

  function functionsSection(rec, extra) {
    const docs = Array.isArray(rec.functions) ? rec.functions : null;
    const names = Array.isArray(extra.functions_offered) ? extra.functions_offered : null;
    if (!docs && !names) return null;
    const list = el('div', { class: 'fnlist' });
    if (docs) {
      for (const doc of docs) {
        const d = doc && typeof doc === 'object' ? doc : { name: String(doc) };
        const item = el('details', null, el('summary', null, el('code', { text: d.name || '(unnamed)' }), el('span', { class: 'desc', text: String(d.description || '').split('\n')[0] })));
        item.addEventListener('toggle', () => { if (item.open && item.children.length === 1) item.appendChild(el('pre', { text: pretty(d) })); });
        list.appendChild(item);
      }
    } else {
      list.appendChild(el('div', null, names.map((n) => el('span', { class: 'chip', text: n }))));
      list.appendChild(el('div', { class: 'muted', text: 'This record lists the names only (runs before the full docs were recorded).' }));
    }
    const count = docs ? docs.length : names.length;
    return el('section', { class: 'functions' }, el('h3', { text: 'Functions offered (' + count + ')' }), list);
  }

  // The messages as a chat: the conversation sent, then the final response where the
  // conversation does not already end with it. Reasoning comes from `responses` when present.
  function conversationOf(rec) {
    const messages = Array.isArray(rec.messages) ? rec.messages.slice() : [];
    const responses = Array.isArray(rec.responses) ? rec.responses : null;
    const final = rec.response || null;
    const last = messages[messages.length - 1];
    if (final && (!last || last.role !== 'assistant') && (final.text || (final.tool_calls || []).length || final.reasoning)) {
      messages.push({ role: 'assistant', content: final.text, tool_calls: (final.tool_calls || []).map((c) => ({ id: c.id, function: { name: c.name, arguments: c.arguments } })), __final: true, __reasoning: final.reasoning });
    }
    let k = 0;
    const out = messages.map((m) => {
      if (!m || m.role !== 'assistant') return m;
      const response = responses ? responses[k] : null;
      k++;
      if (response && response.reasoning && !m.__reasoning) return Object.assign({}, m, { __reasoning: response.reasoning });
      return m;
    });
    if (!responses && final && final.reasoning) {
      for (let j = out.length - 1; j >= 0; j--) {
        if (out[j] && out[j].role === 'assistant') { if (!out[j].__reasoning) out[j] = Object.assign({}, out[j], { __reasoning: final.reasoning }); break; }
      }
    }
    return out;
  }

  function chat(messages, markFinal) {
    const wrap = el('div', { class: 'chat' });
    let calls = new Map();
    let lastAssistant = -1;
    messages.forEach((m, j) => { if (m && m.role === 'assistant') lastAssistant = j; });
    messages.forEach((m, j) => {
      if (!m || typeof m !== 'object') { wrap.appendChild(el('div', { class: 'msg', text: pretty(m) })); return; }
      const role = String(m.role || 'message');
      const node = el('div', { class: 'msg ' + role + (markFinal && j === lastAssistant ? ' final' : ''), 'data-role': role });
      let label = role;
      if (role === 'tool') {
        const call = calls.get(m.tool_call_id);
        label = 'tool result' + (call ? ' of ' + call : m.name ? ' of ' + m.name : '') + (m.tool_call_id ? ' (' + m.tool_call_id + ')' : '');
      }
      node.appendChild(el('div', { class: 'role', text: label }));
      if (m.__reasoning) {
        node.appendChild(el('details', { class: 'reasoning' }, el('summary', { text: 'reasoning (' + fmtInt(String(m.__reasoning).length) + ' chars)' }), el('pre', { text: m.__reasoning })));
      }
      const text = messageText(m.content);
      if (role === 'system' && text.length > 1500) {
        node.appendChild(el('details', null, el('summary', { text: text.slice(0, 160).replace(/\s+/g, ' ') + '… (' + fmtInt(text.length) + ' chars)' }), el('pre', { class: 'text', text })));
      } else if (text) {
        node.appendChild(el('pre', { class: 'text', text }));
      }
      if (role === 'assistant' && Array.isArray(m.tool_calls) && m.tool_calls.length) {
        calls = new Map();
        for (const call of m.tool_calls) {
          const fn = call && call.function ? call.function : call || {};
          if (call && call.id) calls.set(call.id, fn.name);
          node.appendChild(el('div', { class: 'tc' }, el('span', { class: 'fn', text: fn.name }), call && call.id ? el('span', { class: 'id', text: call.id }) : null, el('pre', { class: 'args', text: prettyArgs(fn.arguments) })));
        }
      } else if (role === 'assistant' && !text && !m.__reasoning) {
        node.appendChild(el('pre', { class: 'text muted', text: '(empty reply)' }));
      }
      wrap.appendChild(node);
    });
    return wrap;
  }

  // BFCL multi-turn: the conversation cut into its turns. Turn t holds len(steps[t]) replies
  // with calls and one reply that ends it (none where the step limit forced a quit).
  function splitTurns(messages, steps, forceQuit, nTurns) {
    const turns = [[]];
    let t = 0, replies = 0, done = false;
    const expected = (turn) => ((steps[turn] || []).length + ((forceQuit && turn === steps.length - 1) ? Infinity : 1));
    for (const m of messages) {
      if (m && m.role === 'assistant') {
        turns[t].push(m);
        replies++;
        if (replies >= expected(t)) done = true;
        continue;
      }
      if (done && m && (m.role === 'user' || m.role === 'system')) {
        t++; replies = 0; done = false;
        turns[t] = [];
      }
      turns[t].push(m);
    }
    while (turns.length < nTurns) turns.push([]);
    return turns;
  }

  function multiTurn(rec, steps, failedTurn, extra) {
    const target = Array.isArray(rec.target) ? rec.target : [];
    const nTurns = Math.max(steps.length, target.length);
    const turns = splitTurns(conversationOf(rec), steps, !!extra.force_quit, nTurns);
    const section = el('section', { class: 'conversation multi' }, el('h3', { text: 'Conversation, turn by turn (' + nTurns + ' turns' + (extra.force_quit ? ', force-quit' : '') + ')' }));
    turns.forEach((messages, t) => {
      const failing = t === failedTurn;
      const ran = t < steps.length;
      const model = el('div', { class: 'model-calls' }, el('h4', { text: 'Model: executed calls' }));
      const turnSteps = steps[t] || [];
      if (!ran) model.appendChild(el('div', { class: 'muted', text: 'not reached' }));
      else if (!turnSteps.length) model.appendChild(el('div', { class: 'muted', text: 'no call' }));
      turnSteps.forEach((step, s) => {
        model.appendChild(el('div', { class: 'step', text: 'step ' + (s + 1) }));
        for (const call of step || []) {
          const [name, args] = Array.isArray(call) ? call : [String(call), null];
          model.appendChild(el('pre', { class: 'call', text: callText(name, args) }));
        }
      });
      const truth = el('div', { class: 'truth-calls' }, el('h4', { text: 'Ground truth' }));
      const gt = target[t];
      if (!Array.isArray(gt) || !gt.length) truth.appendChild(el('div', { class: 'muted', text: Array.isArray(gt) ? 'no call expected' : '-' }));
      else for (const call of gt) truth.appendChild(el('pre', { class: 'call', text: typeof call === 'string' ? call : pretty(call) }));
      section.appendChild(el('div', { class: 'turn' + (failing ? ' failing' : ''), 'data-turn': t },
        el('div', { class: 'thead', text: 'Turn ' + t + (failing ? ' — the failing turn' : '') }),
        el('div', { class: 'tbody' }, el('div', { class: 'pair calls-vs' }, model, truth), chat(messages, false))));
    });
    return section;
  }

  // ---------------------------------------------------------------- boot
  function boot() {
    const models = [...new Set(RUNS.map((run) => run.model))];
    $('runs-summary').textContent = RUNS.length === 1
      ? RUNS[0].model + ' · ' + fmtInt(RUNS[0].n) + ' samples · ' + RUNS[0].name
      : RUNS.length + ' runs · ' + models.join(', ');
    render();
    TIMES.drawn = performance.now();
    document.documentElement.setAttribute('data-ready', '1');
    // unpack the samples once the first view is painted, then build the search text in idle time
    requestAnimationFrame(() => setTimeout(() => { Store.start().then(() => Hay.schedule(), () => {}); }, 0));
  }

  window.llmeval = {
    state: () => Object.assign({}, S),
    count: () => V.view.length,
    lastUpdateMs: () => V.lastMs,
    records: () => Store.start(),
    // every record of a run as the page reads it back (for tests of the packing)
    allRecords: async (r) => {
      await Store.start();
      const run = RUNS[r];
      return Array.from({ length: run.n }, (_, i) => Store.record(run, i));
    },
    times: () => Object.assign({}, TIMES),
  };
  boot();
})();
