// coe-kb web UI. No build step, no dependencies; served under /assets/ with a strict CSP.
// Document text is only ever inserted with textContent; innerHTML is used solely for the
// server-sanitized CoE `html` and the server-escaped search `snippet_html`.
const API = '/api/v1';
const APP = 'CoE KB';
const PER_PAGE = 20;
const FIELDS = [['technology', 'Technology'], ['service', 'Service'], ['team', 'Team'],
  ['severity', 'Severity'], ['failure_mode', 'Failure mode'], ['year', 'Year']];
const $ = (sel, root = document) => root.querySelector(sel);
const SVGNS = 'http://www.w3.org/2000/svg';

// ---------- DOM helpers ----------
function add(el, kids) {
  for (const k of kids.flat(9)) if (k != null && k !== false && k !== '') el.append(k instanceof Node ? k : String(k));
  return el;
}
function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}
const fill = (el, ...kids) => { el.replaceChildren(); return add(el, kids); };
// h('span.badge.sev', { title }, ...kids): tag may carry classes; the attrs object is optional.
function h(tag, attrs, ...kids) {
  const [name, ...cls] = tag.split('.');
  const el = document.createElement(name);
  if (cls.length) el.className = cls.join(' ');
  if (attrs?.constructor !== Object) { kids.unshift(attrs); attrs = null; }
  else if (attrs.class && cls.length) attrs = { ...attrs, class: `${el.className} ${attrs.class}` };
  return add(setAttrs(el, attrs), kids);
}
const S = (tag, attrs, ...kids) => add(setAttrs(document.createElementNS(SVGNS, tag), attrs), kids);

// ---------- formatting ----------
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const fmtMonth = (m) => { const [y, mo] = m.split('-'); return `${MON[+mo - 1] || mo} ${y}`; };
const fmtTs = (ts) => ts ? ts.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC').replace(/Z$/, ' UTC') : null;
const plural = (n, one, many = one + 's') => `${Number(n).toLocaleString('en')} ${n === 1 ? one : many}`;
function fmtMin(m) {
  if (m == null || !isFinite(m)) return '—';
  m = Math.round(m);
  if (m < 60) return `${m} min`;
  if (m < 1440) { const r = m % 60; return `${Math.floor(m / 60)} h${r ? ` ${r} min` : ''}`; }
  const r = Math.round((m % 1440) / 60); return `${Math.floor(m / 1440)} d${r ? ` ${r} h` : ''}`;
}
const fmtShort = (m) => m === 0 ? '0' : m % 1440 === 0 ? `${m / 1440}d` : m < 60 ? `${m}m` : m % 60 === 0 ? `${m / 60}h` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}`;
const coeHref = (id) => '/coe/' + String(id).split('/').map(encodeURIComponent).join('/');
const withQS = (path, qs) => (qs ? `${path}?${qs}` : path);
const searchHref = (field, value) => withQS('/', new URLSearchParams({ [field]: value }).toString());
function safeUrl(u) {
  try { const x = new URL(u, location.href); return ['http:', 'https:'].includes(x.protocol) ? x.href : null; } catch { return null; }
}

// ---------- small components ----------
function sevBadge(sev) {
  if (!sev) return null;
  const m = /(\d)/.exec(sev);
  const n = m ? Math.max(1, Math.min(4, +m[1])) : 'x';
  return h('span', { class: `badge sev sev-${n}`, title: (/^p/i.test(sev) ? 'Priority ' : 'Severity ') + sev }, sev);
}
const STATUS = { open: 'Open', done: 'Done', 'not-doing': 'Not doing' };
const pill = (st) => st ? h('span', { class: `pill st-${String(st).toLowerCase().replace(/[^a-z0-9]+/g, '-')}` }, STATUS[st] || st) : null;
const overdueBadge = () => h('span.badge.overdue-badge', 'Overdue');
const dash = () => h('span.muted', '—');
const tagLinks = (field, vals, cls = 'tag') => (vals || []).map((v) => h('a', { class: cls, href: searchHref(field, v) }, v));
function meter(pct) {
  if (pct == null) return null;
  const p = Math.max(0, Math.min(100, Math.round(pct)));
  const fill = h('span.meter-fill');
  fill.style.width = `${p}%`;
  return h('span', { class: `meter ${p >= 80 ? 'hi' : p >= 50 ? 'mid' : 'lo'}`, title: `Completeness ${p}%: share of recommended CoE sections present` },
    h('span.meter-bar', { 'aria-hidden': 'true' }, fill), h('span.sr-only', 'Completeness '), `${p}%`);
}
function errorBox(e) {
  return h('div.error', { role: 'alert' },
    h('strong', e.status === 404 ? 'Not found' : 'Something went wrong'),
    h('p', e.message || String(e)), e.code && h('code', e.code));
}
function setStatus(state) {
  const el = $('#status');
  if (el) { el.dataset.state = state; el.textContent = state; }
}
const icon = (d, size = 16) => S('svg', { class: 'icon', width: size, height: size, viewBox: '0 0 16 16', 'aria-hidden': 'true' },
  S('path', { d, fill: 'currentColor' }));
const I_SEARCH = 'M10.7 11.8a6 6 0 1 1 1.1-1.1l3 3a.8.8 0 0 1-1.1 1.1l-3-3ZM11.5 6.5a5 5 0 1 0-10 0 5 5 0 0 0 10 0Z';
const I_FEED = 'M2 2.8C2 2.4 2.3 2 2.8 2A11.2 11.2 0 0 1 14 13.2a.8.8 0 0 1-1.5 0A9.7 9.7 0 0 0 2.8 3.5.8.8 0 0 1 2 2.8Zm0 4.5c0-.4.3-.8.8-.8a6.8 6.8 0 0 1 6.7 6.7.8.8 0 0 1-1.5 0 5.2 5.2 0 0 0-5.2-5.2.8.8 0 0 1-.8-.7ZM3.5 14a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3Z';
const I_EXT = 'M3.8 3.5a.3.3 0 0 0-.3.3v8.4c0 .2.1.3.3.3h8.4a.3.3 0 0 0 .3-.3V9.5a.8.8 0 0 1 1.5 0v2.7c0 1-.8 1.8-1.8 1.8H3.8C2.8 14 2 13.2 2 12.2V3.8C2 2.8 2.8 2 3.8 2h2.7a.8.8 0 0 1 0 1.5H3.8ZM9 2.8c0-.5.3-.8.8-.8h3.4c.5 0 .8.3.8.8v3.4a.8.8 0 0 1-1.5 0V4.6L9.3 7.8a.8.8 0 0 1-1-1l3-3.3H9.8A.8.8 0 0 1 9 2.8Z';

// ---------- API ----------
async function api(path, signal) {
  const res = await fetch(API + path, { signal, headers: { Accept: 'application/json' } });
  let body = null;
  try { body = await res.json(); } catch { /* non-JSON body */ }
  if (!res.ok || body == null) {
    const e = new Error(body?.error?.message || `${res.status} ${res.statusText || 'Invalid response'}`.trim());
    e.code = body?.error?.code; e.status = res.status;
    throw e;
  }
  return body;
}
const isAbort = (e) => e?.name === 'AbortError';
let facetsCache = null;
const getFacets = () => (facetsCache ||= api('/facets').catch((e) => { facetsCache = null; throw e; }));

// ---------- router ----------
let view = null;
let pageCtl = null;
let lastSearch = '/';
const PAGES = {};
function match(path) {
  if (path === '/') return ['search', ''];
  if (path.startsWith('/coe/')) {
    try { return ['coe', path.slice(5).split('/').map(decodeURIComponent).join('/')]; } catch { return ['notfound', '']; }
  }
  return [{ '/actions': 'actions', '/insights': 'insights', '/week': 'week' }[path] || 'notfound', ''];
}
const isAppPath = (p) => p === '/' || /^\/(coe\/|actions$|insights$|week$)/.test(p);
function navigate(url, { replace = false, scroll = false } = {}) {
  history[replace ? 'replaceState' : 'pushState'](null, '', url);
  render(scroll);
}
function render(scroll = false) {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const [name, arg] = match(path);
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (view && view.name === name && view.arg === arg) { view.update?.(); return; }
  view?.destroy?.();
  pageCtl?.abort();
  pageCtl = new AbortController();
  const main = $('#main');
  main.replaceChildren();
  const r = PAGES[name](main, arg, pageCtl.signal);
  view = { name, arg, ...(r && !(r instanceof Promise) ? r : {}) };
  if (scroll) {
    window.scrollTo(0, 0);
    if (name !== 'search') main.focus({ preventScroll: true });
  }
}
document.addEventListener('click', (e) => {
  for (const d of document.querySelectorAll('details.syntax[open]')) if (!d.contains(e.target) || e.target.closest('.ex')) d.open = false;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest?.('a[href]');
  if (!a || a.getAttribute('target') || a.hasAttribute('download')) return;
  const u = new URL(a.getAttribute('href'), location.href);
  if (u.origin !== location.origin || !isAppPath(u.pathname)) return;
  if (u.hash && u.pathname === location.pathname && u.search === location.search) return; // in-page anchor
  e.preventDefault();
  navigate(u.pathname + u.search + u.hash, { scroll: true });
});
window.addEventListener('popstate', () => render());
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') for (const d of document.querySelectorAll('details.syntax[open]')) { d.open = false; d.querySelector('summary').focus(); }
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.target.closest?.('input, textarea, select, [contenteditable]')) return;
  e.preventDefault();
  if (!$('#q')) navigate('/');
  const q = $('#q');
  q?.focus(); q?.select();
});

// ---------- search page ----------
const SYNTAX = [
  ['dynamodb throttling', 'Any of the words; CoEs containing all of them rank first'],
  ['"connection pool"', 'Exact phrase'],
  ['root_cause:dns', 'One field: title, summary, root_cause, timeline, impact, action_items'],
  ['technology:postgresql', 'Metadata field, e.g. team:payments'],
  ['redis -sentinel', 'Exclude CoEs containing a word'],
  ['kafak~', 'Typo-tolerant match'],
];
function readSearch() {
  const p = new URLSearchParams(location.search);
  const f = {};
  for (const [k] of FIELDS) f[k] = p.getAll(k).filter(Boolean);
  return { q: p.get('q') || '', sort: p.get('sort') === 'date' ? 'date' : 'relevance', page: Math.max(1, parseInt(p.get('page'), 10) || 1), f, since: p.get('since') || '', until: p.get('until') || '' };
}
function searchQS(st, { page = true, sort = true } = {}) {
  const p = new URLSearchParams();
  if (st.q) p.set('q', st.q);
  for (const [k] of FIELDS) for (const v of st.f[k]) p.append(k, v);
  if (st.since) p.set('since', st.since);
  if (st.until) p.set('until', st.until);
  if (sort && st.sort !== 'relevance') p.set('sort', st.sort);
  if (page && st.page > 1) p.set('page', st.page);
  return p.toString();
}

PAGES.search = (main) => {
  let st = readSearch();
  let ctl = null; let timer = 0;
  const expanded = new Set();
  const input = h('input', { id: 'q', type: 'search', name: 'q', autocomplete: 'off', spellcheck: 'false', enterkeyhint: 'search',
    placeholder: 'Search CoEs: words, "phrases", field:value', 'aria-describedby': 'q-hint', 'aria-controls': 'results' });
  const sort = h('select', { id: 'sort', name: 'sort' }, h('option', { value: 'relevance' }, 'Relevance'), h('option', { value: 'date' }, 'Newest first'));
  const count = h('p', { id: 'count', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const feed = h('a.feed', { href: '/feed.atom', title: 'Atom feed of new CoEs matching this search' }, icon(I_FEED), 'Subscribe (Atom)');
  const notice = h('p.notice', { role: 'status', hidden: true });
  const chips = h('div', { id: 'chips', role: 'group', 'aria-label': 'Active filters', hidden: true });
  const facets = h('div', { id: 'facets', role: 'region', 'aria-label': 'Filters' });
  const results = h('ol', { id: 'results', class: 'hits' });
  const body = h('div.results-body', results);
  const pager = h('nav', { id: 'pager', 'aria-label': 'Pagination', hidden: true });
  const toggleBtn = h('button', { type: 'button', class: 'btn filters-toggle', 'aria-expanded': 'false', 'aria-controls': 'facets' }, 'Filters');
  const syntax = h('details.syntax', h('summary', 'Query syntax'), syntaxTable());

  main.append(h('div.page.search',
    h('form.searchbar', { role: 'search', action: '/', onsubmit: (e) => { e.preventDefault(); commitQuery(); } },
      h('label', { for: 'q', class: 'sr-only' }, 'Search CoEs'),
      h('div.search-field', icon(I_SEARCH), input, h('kbd', { 'aria-hidden': 'true' }, '/')),
      h('div.sort-field', h('label', { for: 'sort' }, 'Sort'), sort)),
    h('div.subbar', h('p', { id: 'q-hint', class: 'hint' }, 'Press / to focus. Results update as you type.'), syntax),
    h('div.layout',
      h('aside.sidebar', toggleBtn, facets),
      h('section.results-col', { 'aria-label': 'Results' },
        h('div.toolbar', count, feed), notice, chips, body, pager))));

  toggleBtn.addEventListener('click', () => {
    const open = facets.classList.toggle('open');
    toggleBtn.setAttribute('aria-expanded', String(open));
  });
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(commitQuery, 150); });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { const a = $('a.hit-title', results); if (a) { e.preventDefault(); a.focus(); } }
    else if (e.key === 'Escape' && !input.value) input.blur();
  });
  results.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const links = [...results.querySelectorAll('a.hit-title')];
    const i = links.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    if (e.key === 'ArrowUp' && i === 0) input.focus(); else links[Math.min(links.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1))].focus();
  });
  sort.addEventListener('change', () => { st.sort = sort.value; st.page = 1; go(); });

  function commitQuery() {
    clearTimeout(timer);
    const q = input.value.trim();
    if (q === st.q) return;
    st.q = q; st.page = 1;
    history.replaceState(null, '', withQS('/', searchQS(st)));
    load();
  }
  function go() { navigate(withQS('/', searchQS(st))); }
  function toggle(field, value) {
    const a = st.f[field]; const i = a.indexOf(value);
    if (i >= 0) a.splice(i, 1); else a.push(value);
    st.page = 1; go();
  }
  function clearAll() {
    for (const [k] of FIELDS) st.f[k] = [];
    st.since = st.until = ''; st.page = 1; go();
  }
  function syntaxTable() {
    return h('table.syntax-table', h('tbody', SYNTAX.map(([ex, d]) => h('tr',
      h('td', h('button', { type: 'button', class: 'ex', title: 'Try this query', onclick: () => { input.value = ex; commitQuery(); input.focus(); } }, ex)),
      h('td', d)))));
  }
  function renderChips() {
    const list = [];
    for (const [field, label] of FIELDS) for (const v of st.f[field]) {
      list.push(h('button', { type: 'button', class: 'chip', 'data-field': field, 'data-value': v, 'aria-label': `Remove filter ${label}: ${v}`, onclick: () => toggle(field, v) },
        h('span.chip-k', `${label}:`), v, h('span.chip-x', { 'aria-hidden': 'true' }, '×')));
    }
    for (const k of ['since', 'until']) if (st[k]) {
      list.push(h('button', { type: 'button', class: 'chip', 'data-field': k, 'data-value': st[k], 'aria-label': `Remove filter ${k} ${st[k]}`, onclick: () => { st[k] = ''; st.page = 1; go(); } },
        h('span.chip-k', `${k}:`), st[k], h('span.chip-x', { 'aria-hidden': 'true' }, '×')));
    }
    if (list.length > 1) list.push(h('button', { type: 'button', class: 'chip-clear', onclick: clearAll }, 'Clear all'));
    chips.replaceChildren(...list);
    chips.hidden = !list.length;
    const n = FIELDS.reduce((a, [k]) => a + st.f[k].length, 0);
    toggleBtn.textContent = n ? `Filters (${n})` : 'Filters';
  }
  function renderFacets(fc) {
    const foc = document.activeElement?.closest?.('.facet-value, .facet-more');
    const focKey = foc && [foc.closest('.facet')?.dataset.field, foc.dataset.value ?? '#more'];
    fill(facets, FIELDS.map(([field, label]) => {
      let vals = [...((fc && fc[field]) || [])];
      const active = st.f[field];
      for (const v of active) if (!vals.some((x) => x.value === v)) vals.push({ value: v, count: 0 });
      if (field === 'year') vals.sort((a, b) => String(b.value).localeCompare(String(a.value)));
      if (field === 'severity') vals.sort((a, b) => String(a.value).localeCompare(String(b.value)));
      if (!vals.length) return null;
      const LIMIT = 6;
      const open = expanded.has(field);
      const shown = open ? vals : vals.filter((v, i) => i < LIMIT || active.includes(v.value));
      return h('section.facet', { 'data-field': field },
        h('h2.facet-h', { id: `fh-${field}` }, label),
        h('ul.facet-list', { 'aria-labelledby': `fh-${field}` }, shown.map((v) => {
          const on = active.includes(v.value);
          return h('li', h('button', { type: 'button', class: 'facet-value', 'data-value': v.value, 'aria-pressed': String(on), onclick: () => toggle(field, v.value) },
            h('span.fv-check', { 'aria-hidden': 'true' }), h('span.fv-label', { title: v.value }, v.value), h('span.count', v.count)));
        })),
        vals.length > LIMIT && h('button', { type: 'button', class: 'facet-more', 'aria-expanded': String(open),
          onclick: () => { if (open) expanded.delete(field); else expanded.add(field); renderFacets(fc); } }, open ? 'Show fewer' : `Show all ${vals.length}`));
    }));
    if (focKey) {
      const g = facets.querySelector(`.facet[data-field="${focKey[0]}"]`);
      const el = g && (focKey[1] === '#more' ? $('.facet-more', g) : [...g.querySelectorAll('.facet-value')].find((b) => b.dataset.value === focKey[1]));
      el?.focus();
    }
  }
  function hitItem(hit) {
    const snippet = h('p.snippet');
    if (hit.snippet_html) snippet.innerHTML = hit.snippet_html; // server-escaped, only <b>
    else snippet.textContent = hit.summary || '';
    return h('li.hit',
      h('div.hit-head', h('a.hit-title', { href: coeHref(hit.id) }, hit.title || hit.id), sevBadge(hit.severity)),
      h('div.hit-meta',
        hit.date && h('time', { datetime: hit.date }, hit.date),
        hit.team && h('span.team', hit.team),
        hit.status && hit.status !== 'published' && pill(hit.status),
        meter(hit.completeness)),
      snippet.textContent && snippet,
      (hit.technologies?.length || hit.failure_modes?.length) > 0 && h('div.tags',
        (hit.technologies || []).map((t) => h('span.tag', t)),
        (hit.failure_modes || []).map((t) => h('span.tag.fm', t))));
  }
  function renderPager(total, page, per) {
    const pages = Math.ceil(total / per);
    pager.hidden = pages <= 1;
    if (pages <= 1) { pager.replaceChildren(); return; }
    const href = (p) => withQS('/', searchQS({ ...st, page: p }));
    const item = (p, label, rel) => (p < 1 || p > pages)
      ? h('span.pg.disabled', { 'aria-disabled': 'true' }, label)
      : h('a.pg', { href: href(p), rel, 'aria-current': p === page && !rel ? 'page' : null, 'aria-label': rel ? null : `Page ${p}` }, label);
    const nums = [];
    for (let p = 1; p <= pages; p++) {
      if (p === 1 || p === pages || Math.abs(p - page) <= 2) nums.push(item(p, String(p)));
      else if (nums.at(-1)?.className !== 'gap') nums.push(h('span.gap', { 'aria-hidden': 'true' }, '…'));
    }
    pager.replaceChildren(item(page - 1, '‹ Prev', 'prev'), ...nums, item(page + 1, 'Next ›', 'next'));
  }
  function emptyState() {
    const filtered = FIELDS.some(([k]) => st.f[k].length) || st.since || st.until;
    return h('div.empty',
      h('h2', st.q || filtered ? 'No CoEs match' : 'No CoEs indexed yet'),
      h('p.muted', st.q || filtered ? 'Try fewer or different words, remove a filter, or use the query syntax below.' : 'Index a folder of Markdown CoEs and they will show up here.'),
      filtered && h('p', h('button', { type: 'button', class: 'btn', onclick: clearAll }, 'Clear filters')),
      h('div.syntax-box', h('h3', 'Query syntax'), syntaxTable()));
  }
  async function load() {
    lastSearch = withQS('/', searchQS(st));
    ctl?.abort();
    const my = ctl = new AbortController();
    setStatus('loading');
    results.setAttribute('aria-busy', 'true');
    feed.href = withQS('/feed.atom', searchQS(st, { page: false, sort: false }));
    document.title = `${st.q ? `“${st.q}” · ` : ''}Search · ${APP}`;
    renderChips();
    const qs = searchQS(st);
    try {
      const r = await api(`/search?${qs ? qs + '&' : ''}per_page=${PER_PAGE}`, my.signal);
      if (my !== ctl) return;
      const total = r.total || 0; const per = r.per_page || PER_PAGE; const page = r.page || st.page;
      const pages = Math.ceil(total / per);
      count.textContent = total ? `${plural(total, 'result')}${pages > 1 ? ` · page ${page} of ${pages}` : ''}` : 'No results';
      // Only when typo tolerance was not asked for with `word~`.
      const guessed = r.fuzzy && !st.q.includes('~');
      notice.hidden = !guessed;
      notice.textContent = guessed ? `No exact matches for “${st.q}”. Showing results for similar spellings.` : '';
      renderFacets(r.facets);
      results.replaceChildren(...(r.hits || []).map(hitItem));
      body.replaceChildren(results);
      if (!r.hits?.length) body.append(emptyState());
      renderPager(total, page, per);
      setStatus('ready');
    } catch (e) {
      if (isAbort(e) || my !== ctl) return;
      count.textContent = 'Search failed';
      results.replaceChildren();
      body.replaceChildren(results, errorBox(e));
      pager.hidden = true;
      setStatus('error');
    } finally {
      if (my === ctl) results.removeAttribute('aria-busy');
    }
  }
  function update() {
    st = readSearch();
    if (input.value.trim() !== st.q) input.value = st.q;
    sort.value = st.sort;
    load();
  }
  input.value = st.q;
  sort.value = st.sort;
  load();
  if (!st.q && !matchMedia('(max-width: 760px)').matches) input.focus({ preventScroll: true });
  return { update, destroy: () => { ctl?.abort(); clearTimeout(timer); } };
};

// ---------- CoE page ----------
const KIND = { start: 'Start', detect: 'Detected', escalate: 'Escalated', mitigate: 'Mitigated', resolve: 'Resolved', other: '' };
const RESERVED = new Set(['main', 'status', 'coe', 'coe-title', 'meta', 'timeline', 'whys', 'actions-table', 'similar', 'doc', 'lint', 'toc']);
const docId = (a) => (RESERVED.has(a) || a.startsWith('sec-') ? `doc-${a}` : a);

PAGES.coe = async (main, id, signal) => {
  document.title = `Loading… · ${APP}`;
  setStatus('loading');
  main.append(h('div.page', h('p.muted.loading', 'Loading CoE…')));
  const enc = encodeURIComponent(id);
  let c, sim;
  try {
    [c, sim] = await Promise.all([api(`/coes/${enc}`, signal),
      api(`/coes/${enc}/similar`, signal).catch((e) => { if (isAbort(e)) throw e; return { error: e }; })]);
  } catch (e) {
    if (isAbort(e)) return;
    main.replaceChildren(h('div.page', h('p.crumbs', h('a', { href: lastSearch }, '← Search')),
      h('h1', e.status === 404 ? 'CoE not found' : 'Could not load CoE'), errorBox(e)));
    document.title = `Error · ${APP}`;
    setStatus('error');
    return;
  }
  main.replaceChildren(coeView(c, sim));
  document.title = `${c.title || id} · ${APP}`;
  setStatus('ready');
  if (location.hash) {
    try { document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView(); } catch { /* bad hash */ }
  }
};

function section(title, id, content, extra) {
  return h('section.sec', { 'aria-labelledby': id },
    h('div.sec-h', h('h2', { id }, title), extra), content);
}
function coeView(c, sim) {
  const doc = h('div', { id: 'doc', class: 'prose' });
  doc.innerHTML = c.html || ''; // sanitized by the server
  const h1 = doc.firstElementChild;
  if (h1?.tagName === 'H1' && h1.textContent.trim() === String(c.title || '').trim()) h1.remove();
  for (const el of doc.querySelectorAll('[id]')) if (docId(el.id) !== el.id) el.id = docId(el.id);
  for (const a of doc.querySelectorAll('a[href^="#"]')) a.setAttribute('href', `#${docId(a.getAttribute('href').slice(1))}`);
  const items = c.action_items || [];
  const open = items.filter((a) => a.status === 'open').length;
  const over = items.filter((a) => a.overdue).length;
  const checks = [...(c.lint || []).map((l) => ({ ...l, code: l.rule })), ...(c.diagnostics || [])];
  return h('article', { id: 'coe', class: 'page coe' },
    h('p.crumbs', h('a', { href: lastSearch }, lastSearch === '/' ? '← Search' : '← Search results')),
    h('header.coe-head',
      h('h1', { id: 'coe-title' }, c.title || c.id),
      h('div.coe-badges', sevBadge(c.severity), pill(c.status), c.team && h('span.team', c.team),
        c.date && h('time', { datetime: c.date }, c.date)),
      c.summary && h('p.lede', c.summary)),
    h('div.coe-grid',
      h('aside.coe-side', metaPanel(c), tocNav(c.sections)),
      h('div.coe-main',
        section('Timeline', 'sec-timeline', [statCards(c.metrics || {}), timelineList(c.timeline)]),
        section('5 Whys', 'sec-whys', whysChain(c.five_whys, c.root_causes)),
        section('Action items', 'sec-actions', actionsTable(items, { id: 'actions-table' }),
          items.length ? h('span.muted.sec-sub', `${open} open${over ? ` · ${over} overdue` : ''} of ${items.length}`) : null),
        checks.length > 0 && section('Document checks', 'sec-lint', h('ul', { id: 'lint', class: 'lint' }, checks.map((l) => {
          const lvl = String(l.level || 'info').toLowerCase();
          return h('li', h('span', { class: `badge lvl lvl-${lvl}` }, lvl), h('span.lint-msg', l.message),
            h('span.lint-where', l.code && h('code', l.code), l.line && ` line ${l.line}`));
        }))),
        section('Similar CoEs', 'sec-similar', similarList(sim)),
        section('Document', 'sec-doc', doc, h('a.btn.btn-sm', { href: c.source_url || `${API}/coes/${encodeURIComponent(c.id)}/raw` }, 'View source')))));
}
function metaPanel(c) {
  const row = (k, v) => (v == null || v === false || v === '' || (Array.isArray(v) && !v.length)) ? null : [h('dt', k), h('dd', v)];
  return h('section', { id: 'meta', class: 'card meta', 'aria-labelledby': 'meta-h' },
    h('h2.side-h', { id: 'meta-h' }, 'Details'),
    h('dl',
      row('Date', c.date && h('time', { datetime: c.date }, c.date)),
      row('Team', c.team && h('a', { href: searchHref('team', c.team) }, c.team)),
      row('Severity', sevBadge(c.severity)),
      row('Status', pill(c.status)),
      row('Visibility', c.visibility),
      row('Services', tagLinks('service', c.services, 'tag plain')),
      row('Technologies', tagLinks('technology', c.technologies)),
      row('Failure modes', tagLinks('failure_mode', c.failure_modes, 'tag fm')),
      row('Tags', (c.tags || []).map((t) => h('span.tag.plain', t))),
      row('Completeness', meter(c.completeness)),
      row('First seen', fmtTs(c.first_seen)),
      row('Source', (c.path || c.source) && h('code.path', c.path || c.source))),
    c.links?.length > 0 && h('div.links', h('h3.side-h', 'Links'), h('ul', c.links.map((l) => {
      const u = safeUrl(l.url);
      return h('li', u ? h('a', { href: u, rel: 'noopener noreferrer', target: '_blank' }, l.text || l.url) : (l.text || l.url));
    }))),
    h('a.btn.btn-block', { href: c.source_url || `${API}/coes/${encodeURIComponent(c.id)}/raw` }, 'View source'));
}
function tocNav(sections) {
  const list = (sections || []).filter((s) => s.anchor);
  if (!list.length) return null;
  return h('nav', { id: 'toc', class: 'card toc', 'aria-labelledby': 'toc-h' }, h('h2.side-h', { id: 'toc-h' }, 'Sections'),
    h('ol', list.map((s) => h('li', { class: `lv-${Math.min(Math.max(s.level || 2, 1), 4)}` },
      h('a', { href: `#${docId(s.anchor)}` }, s.heading || s.anchor)))));
}
function statCards(m) {
  const card = (k, v, sub) => h('div.stat', h('div.stat-k', k), h('div.stat-v', fmtMin(v)), h('div.stat-s', v == null ? 'not recorded' : sub));
  return h('div.stats',
    card('Time to detect', m.time_to_detect_min, 'start → detection'),
    card('Time to mitigate', m.time_to_mitigate_min, 'start → mitigation'),
    card('Duration', m.duration_min, 'start → resolution'));
}
function timelineList(items) {
  const ol = h('ol', { id: 'timeline', class: 'tl' });
  const list = items || [];
  const first = list.find((e) => e.kind === 'start' && e.at) || list.find((e) => e.at);
  const t0 = first ? Date.parse(first.at) : NaN;
  for (const e of list) {
    const k = e.kind in KIND ? e.kind : 'other';
    const off = e.at && isFinite(t0) ? Math.round((Date.parse(e.at) - t0) / 60000) : NaN;
    ol.append(h('li', { class: `tl-entry k-${k}` },
      h('span.tl-dot', { 'aria-hidden': 'true' }),
      h('div.tl-head',
        (e.time_text || e.at) && h('time.tl-time', { datetime: e.at }, e.time_text || fmtTs(e.at)),
        KIND[k] && h('span.tl-kind', KIND[k]),
        off > 0 && h('span.tl-off', { title: 'Minutes since start' }, `+${fmtMin(off)}`)),
      h('p.tl-text', e.text)));
  }
  return list.length ? ol : [ol, h('p.muted', 'No timeline found in this document.')];
}
function whysChain(list, roots) {
  const box = h('div', { id: 'whys' });
  if (list?.length) {
    box.append(h('ol.why-chain', list.map((w, i) => h('li', { class: `why lvl-${Math.min(Math.max(w.level || 1, 1), 6)}` },
      h('span.why-n', `Why ${i + 1}`),
      h('div.why-body', w.question && h('p.why-q', w.question), w.answer && h('p.why-a', w.answer))))));
  }
  if (roots?.length) {
    box.append(h('div.root-cause', h('h3', roots.length > 1 ? 'Root causes' : 'Root cause'),
      roots.length > 1 ? h('ul', roots.map((r) => h('li', r))) : h('p', roots[0])));
  }
  if (!box.childElementCount) box.append(h('p.muted', 'No 5 Whys or root cause found in this document.'));
  return box;
}
function actionsTable(items, { id, withCoe = false } = {}) {
  const cols = ['Action', withCoe && 'CoE', 'Severity', 'Owner', 'Due', 'Status'].filter(Boolean);
  const rows = (items || []).map((a) => {
    const u = a.link && safeUrl(a.link);
    return h('tr', { class: a.overdue ? 'action overdue' : 'action' },
      h('td.a-title', { 'data-label': 'Action' }, u ? h('a', { href: u, rel: 'noopener noreferrer', target: '_blank' }, a.title, icon(I_EXT, 12)) : a.title),
      withCoe && h('td', { 'data-label': 'CoE' }, a.coe ? h('div', h('a', { href: coeHref(a.coe.id) }, a.coe.title || a.coe.id),
        h('span.sub', [a.coe.team, a.coe.date].filter(Boolean).join(' · '))) : dash()),
      h('td', { 'data-label': 'Severity' }, sevBadge(a.severity) || dash()),
      h('td', { 'data-label': 'Owner' }, a.owner || dash()),
      h('td', { 'data-label': 'Due', class: 'due' }, a.due ? h('time', { datetime: a.due }, a.due) : dash(), a.overdue && overdueBadge()),
      h('td', { 'data-label': 'Status' }, pill(a.status) || dash()));
  });
  return h('div.table-wrap', h('table.tbl.actions', { id },
    h('thead', h('tr', cols.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', rows.length ? rows : h('tr.empty-row', h('td', { colspan: cols.length }, 'No action items.')))));
}
function similarList(sim) {
  const ul = h('ul', { id: 'similar', class: 'similar' });
  if (sim?.error) return [ul, h('p.muted', `Could not load similar CoEs: ${sim.error.message}`)];
  for (const s of sim?.hits || []) {
    const shared = [...(s.shared_technologies || []), ...(s.shared_failure_modes || [])];
    ul.append(h('li',
      h('div.hit-head', h('a', { href: coeHref(s.id) }, s.title || s.id), sevBadge(s.severity)),
      h('div.hit-meta', s.date && h('time', { datetime: s.date }, s.date), s.team && h('span', s.team),
        shared.length > 0 && h('span.shared', 'Shared: ',
          (s.shared_technologies || []).map((t) => h('span.tag', t)),
          (s.shared_failure_modes || []).map((t) => h('span.tag.fm', t))))));
  }
  return ul.childElementCount ? ul : [ul, h('p.muted', 'No similar CoEs found.')];
}

// ---------- action items page ----------
function selectField(label, id, el) { return h('div.field', h('label', { for: id }, label), el); }
function ensureOption(sel, v) {
  if (v && ![...sel.options].some((o) => o.value === v)) sel.append(h('option', { value: v }, v));
  sel.value = v;
}
function sortActions(items) {
  return [...items].sort((a, b) => (b.overdue ? 1 : 0) - (a.overdue ? 1 : 0) || (a.due || '9999').localeCompare(b.due || '9999'));
}
PAGES.actions = (main) => {
  document.title = `Action items · ${APP}`;
  const status = h('select', { id: 'f-status', name: 'status' }, [['open', 'Open'], ['done', 'Done'], ['not-doing', 'Not doing'], ['all', 'All']].map(([v, t]) => h('option', { value: v }, t)));
  const overdue = h('input', { type: 'checkbox', id: 'f-overdue', name: 'overdue' });
  const team = h('select', { id: 'f-team', name: 'team' }, h('option', { value: '' }, 'All teams'));
  const tech = h('select', { id: 'f-technology', name: 'technology' }, h('option', { value: '' }, 'All technologies'));
  const summary = h('p.summary', { 'aria-live': 'polite' });
  const body = h('div.ai-body');
  main.append(h('div', { id: 'action-items', class: 'page' },
    h('div.page-head', h('div', h('h1', 'Action items'), h('p.muted', 'Follow-ups from every CoE. Overdue items first.'))),
    h('form.filters', { onsubmit: (e) => e.preventDefault() },
      selectField('Status', 'f-status', status), selectField('Team', 'f-team', team), selectField('Technology', 'f-technology', tech),
      h('div.field.check', overdue, h('label', { for: 'f-overdue' }, 'Overdue only'))),
    summary, body));
  const read = () => {
    const p = new URLSearchParams(location.search);
    const s = p.get('status');
    return { status: ['open', 'done', 'not-doing', 'all'].includes(s) ? s : 'open', overdue: p.get('overdue') === 'true', team: p.get('team') || '', technology: p.get('technology') || '' };
  };
  const onChange = () => {
    const p = new URLSearchParams();
    if (status.value !== 'open') p.set('status', status.value);
    if (overdue.checked) p.set('overdue', 'true');
    if (team.value) p.set('team', team.value);
    if (tech.value) p.set('technology', tech.value);
    navigate(withQS('/actions', p.toString()));
  };
  for (const el of [status, overdue, team, tech]) el.addEventListener('change', onChange);
  const facets = getFacets().then((fc) => {
    for (const [sel, f] of [[team, 'team'], [tech, 'technology']]) {
      const cur = sel.value;
      for (const v of fc[f] || []) if (![...sel.options].some((o) => o.value === v.value)) sel.append(h('option', { value: v.value }, v.value));
      sel.value = cur;
    }
  }).catch(() => {});
  let ctl = null;
  async function update() {
    const st = read();
    status.value = st.status; overdue.checked = st.overdue;
    ensureOption(team, st.team); ensureOption(tech, st.technology);
    ctl?.abort();
    const my = ctl = new AbortController();
    setStatus('loading');
    body.classList.add('busy');
    const p = new URLSearchParams({ status: st.status });
    if (st.overdue) p.set('overdue', 'true');
    if (st.team) p.set('team', st.team);
    if (st.technology) p.set('technology', st.technology);
    try {
      const [r] = await Promise.all([api(`/action-items?${p}`, my.signal), facets]);
      if (my !== ctl) return;
      const items = sortActions(r.items || []);
      const over = items.filter((a) => a.overdue).length;
      summary.textContent = `${plural(r.total ?? items.length, 'item')}${over ? ` · ${over} overdue` : ''}`;
      body.replaceChildren(items.length ? actionsTable(items, { withCoe: true, id: 'action-items-table' })
        : h('div.empty', h('h2', 'Nothing here'), h('p.muted', 'No action items match these filters.')));
      setStatus('ready');
    } catch (e) {
      if (isAbort(e) || my !== ctl) return;
      summary.textContent = '';
      body.replaceChildren(errorBox(e));
      setStatus('error');
    } finally { body.classList.remove('busy'); }
  }
  update();
  return { update, destroy: () => ctl?.abort() };
};

// ---------- charts ----------
function niceStep(max, target) {
  const raw = max / target; const mag = 10 ** Math.floor(Math.log10(raw)); const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}
function yScale(max) {
  const step = Math.max(1, niceStep(Math.max(max, 1), 4));
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks = [];
  for (let v = 0; v <= top + 1e-9; v += step) ticks.push(v);
  return { top, ticks };
}
const chartSvg = (w, hgt, label) => S('svg', { class: 'chart', role: 'img', 'aria-label': label, width: w, height: hgt, viewBox: `0 0 ${w} ${hgt}` });
function yAxis(svg, ticks, y, x0, x1, title, midY) {
  const g = S('g', { class: 'grid' });
  for (const t of ticks) {
    g.append(S('line', { x1: x0, x2: x1, y1: y(t), y2: y(t) }), S('text', { x: x0 - 6, y: y(t) + 4, 'text-anchor': 'end' }, t));
  }
  g.append(S('text', { class: 'axis-title', transform: `translate(11 ${midY}) rotate(-90)`, 'text-anchor': 'middle' }, title));
  svg.append(g);
}
function noData(msg) { return h('p.muted.nodata', msg); }
function monthsFilled(per) {
  const list = [...per].filter((m) => /^\d{4}-\d\d$/.test(m.month)).sort((a, b) => a.month.localeCompare(b.month));
  if (!list.length) return [];
  const map = new Map(list.map((m) => [m.month, m]));
  let [y, m] = list[0].month.split('-').map(Number);
  const out = [];
  for (let i = 0; i < 600; i++) {
    const key = `${y}-${String(m).padStart(2, '0')}`;
    out.push(map.get(key) || { month: key, count: 0 });
    if (key === list.at(-1).month) break;
    if (++m > 12) { m = 1; y++; }
  }
  return out;
}
// Past this many months the bars are too thin to read: the chart counts per year.
const MAX_MONTH_BARS = 72;
// The chart's bars: one per month, or one per year (key `YYYY`) over a longer span.
function chartBuckets(per) {
  const months = monthsFilled(per);
  if (months.length <= MAX_MONTH_BARS) return { unit: 'month', rows: months };
  const years = new Map();
  for (const m of months) {
    const k = m.month.slice(0, 4);
    const y = years.get(k) || { month: k, count: 0, by_technology: {}, by_failure_mode: {} };
    y.count += m.count || 0;
    for (const dim of ['by_technology', 'by_failure_mode']) {
      for (const [n, v] of Object.entries(m[dim] || {})) y[dim][n] = (y[dim][n] || 0) + v;
    }
    years.set(k, y);
  }
  return { unit: 'year', rows: [...years.values()] };
}
const fmtBucket = (k) => (k.length === 4 ? k : fmtMonth(k));
// `buckets` from chartBuckets, made once per load of the stats (a redraw reuses them).
function stackedChart(w, { unit, rows: months }, stats, by) {
  const key = by === 'failure_mode' ? 'by_failure_mode' : 'by_technology';
  if (!months.length) return noData('No dated CoEs yet.');
  let names = ((by === 'failure_mode' ? stats.top_failure_modes : stats.top_technologies) || []).map((x) => x.value);
  if (!names.length) {
    const tally = {};
    for (const m of months) for (const [k, v] of Object.entries(m[key] || {})) tally[k] = (tally[k] || 0) + v;
    names = Object.keys(tally).sort((a, b) => tally[b] - tally[a]);
  }
  names = names.slice(0, 6);
  const rows = months.map((m) => {
    const b = m[key] || {};
    const vals = names.map((n) => b[n] || 0);
    const tagged = Object.values(b).reduce((a, x) => a + x, 0);
    const top = vals.reduce((a, x) => a + x, 0);
    vals.push(tagged - top + Math.max(0, (m.count || 0) - tagged));
    return { month: m.month, vals, total: top + vals[names.length] };
  });
  const series = [...names, 'Other / untagged'];
  const H = 260; const L = 44; const R = 8; const T = 10; const B = 44;
  const pw = w - L - R; const ph = H - T - B;
  const { top, ticks } = yScale(Math.max(...rows.map((r) => r.total)));
  const y = (v) => T + ph - (v / top) * ph;
  const total = months.reduce((a, m) => a + (m.count || 0), 0);
  const svg = chartSvg(w, H, `Stacked bar chart: ${plural(total, 'CoE')} per ${unit} from ${fmtBucket(months[0].month)} to ${fmtBucket(months.at(-1).month)}, by ${by === 'failure_mode' ? 'failure mode' : 'technology'}.`);
  yAxis(svg, ticks, y, L, w - R, 'CoEs', T + ph / 2);
  const bw = pw / rows.length; const gap = Math.min(8, bw * 0.25);
  const every = Math.max(1, Math.ceil(rows.length / Math.max(1, Math.floor(pw / 44))));
  const bars = S('g', { class: 'stack' }); const labels = S('g', { class: 'xlabels' });
  rows.forEach((r, i) => {
    const x = L + i * bw + gap / 2;
    let acc = 0;
    const g = S('g', null, S('title', null, `${fmtBucket(r.month)}: ${r.total}`));
    r.vals.forEach((v, si) => {
      if (!v) return;
      g.append(S('rect', { class: si === names.length ? 'co' : `c${si}`, x, width: Math.max(1, bw - gap), y: y(acc + v), height: (v / top) * ph },
        S('title', null, `${fmtBucket(r.month)} · ${series[si]}: ${v}`)));
      acc += v;
    });
    bars.append(g);
    if (i % every === 0 && unit === 'year') {
      labels.append(S('text', { x: x + (bw - gap) / 2, y: H - B + 16, 'text-anchor': 'middle' }, r.month));
    } else if (i % every === 0) {
      const [yy, mm] = r.month.split('-');
      labels.append(S('text', { x: x + (bw - gap) / 2, y: H - B + 16, 'text-anchor': 'middle' }, MON[+mm - 1]));
      if (i === 0 || +mm <= every) labels.append(S('text', { class: 'yr', x: x + (bw - gap) / 2, y: H - B + 30, 'text-anchor': 'middle' }, yy));
    }
  });
  svg.append(bars, labels, S('line', { class: 'axis', x1: L, x2: w - R, y1: T + ph, y2: T + ph }));
  const used = series.filter((_, si) => rows.some((r) => r.vals[si]));
  const legend = h('ul.legend', { 'aria-label': 'Legend' }, used.map((n) => {
    const si = series.indexOf(n);
    return h('li', h('span', { class: `sw ${si === names.length ? 'co' : `c${si}`}`, 'aria-hidden': 'true' }), n);
  }));
  return [svg, legend];
}
function hbarChart(w, items, field, what) {
  const list = (items || []).slice(0, 10);
  if (!list.length) return noData('No data yet.');
  const row = 26; const T = 4; const B = 34; const H = T + list.length * row + B;
  const labelW = Math.min(Math.floor(w * 0.4), Math.max(...list.map((x) => String(x.value).length)) * 7 + 14);
  const L = labelW; const R = 36; const pw = w - L - R;
  const { top, ticks } = yScale(Math.max(...list.map((x) => x.count)));
  const x = (v) => L + (v / top) * pw;
  const svg = chartSvg(w, H, `Bar chart of top ${what}: ${list.map((d) => `${d.value} ${d.count}`).join(', ')}.`);
  const grid = S('g', { class: 'grid' });
  for (const t of ticks) grid.append(S('line', { x1: x(t), x2: x(t), y1: T, y2: H - B }), S('text', { x: x(t), y: H - B + 14, 'text-anchor': 'middle' }, t));
  grid.append(S('text', { class: 'axis-title', x: L + pw / 2, y: H - 4, 'text-anchor': 'middle' }, 'CoEs'));
  svg.append(grid);
  const maxChars = Math.max(4, Math.floor((labelW - 10) / 6.5));
  list.forEach((d, i) => {
    const yy = T + i * row;
    const v = String(d.value);
    svg.append(S('a', { href: searchHref(field, v), class: 'bar-link' },
      S('title', null, `${v}: ${plural(d.count, 'CoE')} (click to search)`),
      S('rect', { class: 'hit-area', x: 0, y: yy, width: w, height: row }),
      S('text', { class: 'lbl', x: L - 8, y: yy + row / 2 + 4, 'text-anchor': 'end' }, v.length > maxChars ? `${v.slice(0, maxChars - 1)}…` : v),
      S('rect', { class: 'bar', x: L, y: yy + 5, width: Math.max(2, x(d.count) - L), height: row - 10, rx: 2 }),
      S('text', { class: 'val', x: x(d.count) + 5, y: yy + row / 2 + 4 }, d.count)));
  });
  svg.append(S('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
  return svg;
}
const BIN_STEPS = [1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080];
function histogram(w, dist, what) {
  const vals = (dist?.values || []).filter((v) => isFinite(v) && v >= 0);
  if (!vals.length) return noData('No data recorded yet.');
  const max = Math.max(...vals, 1);
  const binW = BIN_STEPS.find((s) => s >= max / 12) || Math.ceil(max / 12);
  const nb = Math.max(1, Math.ceil(max / binW) + (max % binW === 0 ? 1 : 0));
  const counts = new Array(nb).fill(0);
  for (const v of vals) counts[Math.min(nb - 1, Math.floor(v / binW))]++;
  const H = 220; const L = 44; const R = 12; const T = 22; const B = 44;
  const pw = w - L - R; const ph = H - T - B;
  const { top, ticks } = yScale(Math.max(...counts));
  const y = (v) => T + ph - (v / top) * ph;
  const x = (m) => L + (m / (nb * binW)) * pw;
  const svg = chartSvg(w, H, `Histogram of ${what} for ${plural(vals.length, 'CoE')}: median ${fmtMin(dist.p50)}, 90th percentile ${fmtMin(dist.p90)}, max ${fmtMin(dist.max)}.`);
  yAxis(svg, ticks, y, L, w - R, 'CoEs', T + ph / 2);
  const g = S('g', { class: 'hist' });
  counts.forEach((n, i) => {
    if (!n) return;
    g.append(S('rect', { class: 'bar', x: x(i * binW) + 1, width: Math.max(1, x(binW) - L - 2), y: y(n), height: T + ph - y(n) },
      S('title', null, `${fmtMin(i * binW)} – ${fmtMin((i + 1) * binW)}: ${plural(n, 'CoE')}`)));
  });
  svg.append(g);
  const minStep = (nb * binW) / Math.max(1, Math.floor(pw / 44));
  const step = BIN_STEPS.find((v) => v >= minStep && v % binW === 0) || binW * Math.ceil(minStep / binW);
  const xl = S('g', { class: 'xlabels' });
  for (let m = 0; m <= nb * binW; m += step) xl.append(S('text', { x: x(m), y: H - B + 16, 'text-anchor': 'middle' }, fmtShort(m)));
  xl.append(S('text', { class: 'axis-title', x: L + pw / 2, y: H - 6, 'text-anchor': 'middle' }, `Minutes (${what})`));
  svg.append(xl, S('line', { class: 'axis', x1: L, x2: w - R, y1: T + ph, y2: T + ph }));
  for (const [k, v] of [['p50', dist.p50], ['p90', dist.p90]]) {
    if (v == null || !isFinite(v)) continue;
    const xx = Math.min(w - R, x(v));
    svg.append(S('g', { class: `mark ${k}` }, S('title', null, `${k}: ${fmtMin(v)}`),
      S('line', { x1: xx, x2: xx, y1: T - 4, y2: T + ph }),
      S('text', { x: xx + (xx > w - 70 ? -4 : 4), y: T - 8, 'text-anchor': xx > w - 70 ? 'end' : 'start' }, `${k} ${fmtShort(Math.round(v))}`)));
  }
  return svg;
}
function chartHost(ro, draw) {
  const box = h('div.chart-box');
  box.draw = draw; box.lastW = 0;
  ro.observe(box);
  return box;
}
function redraw(box, force) {
  const w = Math.floor(box.clientWidth);
  if (!w || (!force && w === box.lastW)) return;
  box.lastW = w;
  const out = box.draw(w);
  fill(box, out);
}

// ---------- insights page ----------
PAGES.insights = (main, _, signal) => {
  document.title = `Insights · ${APP}`;
  setStatus('loading');
  const ro = new ResizeObserver((es) => requestAnimationFrame(() => { for (const e of es) redraw(e.target); }));
  const readBy = () => (new URLSearchParams(location.search).get('by') === 'failure_mode' ? 'failure_mode' : 'technology');
  let by = readBy();
  const bTech = h('button', { type: 'button', class: 'seg-btn', 'data-by': 'technology' }, 'By technology');
  const bFm = h('button', { type: 'button', class: 'seg-btn', 'data-by': 'failure_mode' }, 'By failure mode');
  const seg = h('div.seg', { role: 'group', 'aria-label': 'Break down by' }, bTech, bFm);
  const syncSeg = () => { bTech.setAttribute('aria-pressed', String(by === 'technology')); bFm.setAttribute('aria-pressed', String(by === 'failure_mode')); };
  syncSeg();
  for (const b of [bTech, bFm]) b.addEventListener('click', () => navigate(b.dataset.by === 'technology' ? '/insights' : '/insights?by=failure_mode'));
  const body = h('div.ins-body', h('p.muted.loading', 'Loading statistics…'));
  main.append(h('div', { id: 'insights', class: 'page' },
    h('div.page-head', h('div', h('h1', 'Insights'), h('p.muted', 'Trends across all indexed CoEs. Click a bar to search.'))),
    body));
  let stats = null; let monthly = null;
  api('/stats', signal).then((st) => {
    stats = st;
    const pm = st.per_month || [];
    const total = pm.reduce((a, m) => a + (m.count || 0), 0);
    const card = (k, v, s) => h('div.stat', h('div.stat-k', k), h('div.stat-v', v), h('div.stat-s', s));
    const dcard = (k, d) => card(`${k} (p50)`, fmtMin(d?.p50), d?.count ? `p90 ${fmtMin(d.p90)} · n=${d.count}` : 'no data');
    const buckets = chartBuckets(pm);
    monthly = chartHost(ro, (w) => stackedChart(w, buckets, stats, by));
    const histCard = (title, d, what) => h('section.card.chart-card',
      h('h2', title), h('p.muted.small', d?.count ? `p50 ${fmtMin(d.p50)} · p90 ${fmtMin(d.p90)} · max ${fmtMin(d.max)} · n=${d.count}` : 'No data'),
      chartHost(ro, (w) => histogram(w, d, what)));
    const bt = st.by_technology || [];
    fill(body,
      h('div.stats', card('CoEs with a date', total.toLocaleString('en'), pm.length ? `${fmtMonth(monthsFilled(pm)[0].month)} – now` : '—'),
        dcard('Time to detect', st.time_to_detect), dcard('Time to mitigate', st.time_to_mitigate), dcard('Duration', st.duration)),
      h('section.card.chart-card', h('div.card-h', h('h2', `CoEs per ${buckets.unit}`), seg),
        h('p.muted.small', 'Top 6 shown; a CoE with several technologies or failure modes counts once for each.'), monthly),
      h('div.grid2',
        h('section.card.chart-card', h('h2', 'Top technologies'), chartHost(ro, (w) => hbarChart(w, st.top_technologies, 'technology', 'technologies'))),
        h('section.card.chart-card', h('h2', 'Top failure modes'), chartHost(ro, (w) => hbarChart(w, st.top_failure_modes, 'failure_mode', 'failure modes')))),
      h('div.grid2',
        histCard('Time to detect', st.time_to_detect, 'time to detect'),
        histCard('Time to mitigate', st.time_to_mitigate, 'time to mitigate'),
        histCard('Duration', st.duration, 'duration')),
      bt.length > 0 && h('section.card', h('h2', 'Response times by technology'),
        h('div.table-wrap', h('table.tbl.num',
          h('thead', h('tr', ['Technology', 'CoEs', 'Detect p50', 'Mitigate p50', 'Duration p50'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', bt.map((r) => h('tr', h('td', h('a', { href: searchHref('technology', r.technology) }, r.technology)),
            h('td', r.count), h('td', fmtMin(r.ttd_p50)), h('td', fmtMin(r.ttm_p50)), h('td', fmtMin(r.duration_p50)))))))));
    setStatus('ready');
  }).catch((e) => {
    if (isAbort(e)) return;
    body.replaceChildren(errorBox(e));
    setStatus('error');
  });
  return {
    update() { by = readBy(); syncSeg(); if (monthly) redraw(monthly, true); },
    destroy() { ro.disconnect(); },
  };
};

// ---------- this week ----------
const PERIODS = [['7d', 'Last 7 days'], ['14d', 'Last 14 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days']];
PAGES.week = (main) => {
  const sel = h('select', { id: 'f-since', name: 'since' }, PERIODS.map(([v, t]) => h('option', { value: v }, t)));
  const title = h('h1', 'This week');
  const range = h('p.muted');
  const body = h('div.week-body');
  main.append(h('div', { id: 'week', class: 'page' },
    h('div.page-head', h('div', title, range), selectField('Period', 'f-since', sel)), body));
  sel.addEventListener('change', () => navigate(sel.value === '7d' ? '/week' : `/week?since=${sel.value}`));
  let ctl = null;
  async function update() {
    const p = new URLSearchParams(location.search).get('since');
    const since = PERIODS.some(([v]) => v === p) ? p : '7d';
    sel.value = since;
    const label = since === '7d' ? 'This week' : PERIODS.find(([v]) => v === since)[1];
    title.textContent = label;
    document.title = `${label} · ${APP}`;
    ctl?.abort();
    const my = ctl = new AbortController();
    setStatus('loading');
    try {
      const d = await api(`/digest?since=${since}&format=json`, my.signal);
      if (my !== ctl) return;
      range.textContent = d.since && d.until ? `${fmtTs(d.since).slice(0, 10)} → ${fmtTs(d.until).slice(0, 10)}` : '';
      const overdue = d.overdue_action_items || [];
      const card = (k, v, cls) => h('div', { class: `stat ${cls || ''}` }, h('div.stat-k', k), h('div.stat-v', v));
      fill(body,
        h('div.stats', card('New CoEs', d.count ?? 0), card('Open action items', d.open_action_items ?? '—'),
          card('Overdue action items', overdue.length, overdue.length ? 'bad' : '')),
        d.count ? (d.groups || []).map(digestGroup)
          : h('div.empty', h('h2', since === '7d' ? 'No new CoEs this week' : 'No new CoEs in this period'),
            h('p.muted', 'Nothing new was indexed. ', h('a', { href: '/' }, 'Browse all CoEs'))),
        h('section.sec', h('div.sec-h', h('h2', 'Overdue action items'),
          h('a.btn.btn-sm', { href: '/actions?overdue=true' }, 'All overdue')),
          overdue.length ? actionsTable(sortActions(overdue), { withCoe: true }) : h('p.muted', 'No overdue action items.')));
      setStatus('ready');
    } catch (e) {
      if (isAbort(e) || my !== ctl) return;
      body.replaceChildren(errorBox(e));
      setStatus('error');
    }
  }
  update();
  return { update, destroy: () => ctl?.abort() };
};
function digestGroup(g) {
  const coes = g.coes || [];
  return h('section.sec.group',
    h('div.sec-h', h('h2', g.name || 'Other'), h('span.count', coes.length)),
    h('ul.digest', coes.map((c) => {
      const ai = c.action_items || [];
      return h('li.digest-coe',
        h('div.hit-head', h('a.hit-title', { href: coeHref(c.id) }, c.title || c.id), sevBadge(c.severity)),
        h('div.hit-meta', c.date && h('time', { datetime: c.date }, c.date), c.team && h('span', c.team),
          c.first_seen && h('span', `indexed ${fmtTs(c.first_seen).slice(0, 10)}`), (c.services || []).length > 0 && h('span', c.services.join(', '))),
        c.summary && h('p.snippet', c.summary),
        c.root_causes?.length > 0 && h('p.rc', h('strong', 'Root cause: '), c.root_causes.join(' · ')),
        ai.length > 0 && h('p.muted.small', `${plural(ai.length, 'action item')}, ${ai.filter((a) => a.status === 'open').length} open`));
    })));
}

PAGES.notfound = (main) => {
  document.title = `Not found · ${APP}`;
  main.append(h('div.page.empty', h('h1', 'Page not found'), h('p', h('a', { href: '/' }, 'Go to search'))));
  setStatus('ready');
};

render();
