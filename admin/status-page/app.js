// The status page: polls GET /v1/status every second with the operator token and draws the fleet.
// Plain DOM, no framework, no build step. Every value from the API goes in as text, never as HTML.

const POLL_MS = 1000;
const TOKEN_KEY = 'prism-operator-token';
const $ = (id) => document.getElementById(id);

/** The token from the link (#token=…), kept for this tab only and taken out of the address bar. */
function takeToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const PALETTE = [
  '#5b8def',
  '#f2a541',
  '#4fb286',
  '#e0607e',
  '#9b7ede',
  '#56c1d6',
  '#c9a227',
  '#e07b53',
  '#7aa95c',
  '#d17ac9',
];
let order = [];
/** One colour per proxy: by its place among the proxy ids (sorted), so neighbours never look alike. */
function colour(id) {
  const i = order.indexOf(id);
  if (i < 0) return '#999';
  return i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)} 60% 60%)`;
}
/** A partition that changed owner stays outlined this long. */
const MOVED_MS = 10_000;
const movedAt = new Array(256).fill(0);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

const ago = (iso) => {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString();
};

const cells = [];
let last;

function buildMap() {
  const map = $('map');
  for (let p = 0; p < 256; p++) {
    const cell = el('div', p, 'cell none');
    cell.dataset.partition = String(p);
    cell.addEventListener('mouseenter', () => describeCell(p));
    map.append(cell);
    cells.push(cell);
  }
  map.addEventListener('mouseleave', () => {
    $('cell-info').textContent = 'Hover a partition for its owner, epoch and namespaces.';
  });
}

function describeCell(p) {
  if (!last) return;
  const owner = last.table.owners[p] || 'nobody';
  const n = last.namespaces.perPartition[p];
  const names = last.namespaces.samples[p];
  const more = n > names.length ? ` and ${n - names.length} more` : '';
  $('cell-info').textContent =
    `partition ${p} · owner ${owner} · epoch ${last.table.epochs[p]} · ${n} namespace${n === 1 ? '' : 's'}` +
    (names.length ? `: ${names.join(', ')}${more}` : '');
}

function render(s) {
  const previous = last;
  last = s;
  order = [...new Set([...s.proxies.map((p) => p.id), ...s.table.owners.filter(Boolean)])].sort();
  const now = Date.now();
  $('table-version').textContent = `table v${s.table.version}`;
  const healthy = s.proxies.filter((p) => p.status === 'healthy').length;
  $('summary').textContent =
    `table v${s.table.version} · ${s.proxies.length} proxies (${healthy} healthy) · ${s.namespaces.total} namespaces`;
  for (let p = 0; p < 256; p++) {
    const owner = s.table.owners[p];
    const cell = cells[p];
    if (previous?.table.owners[p] && previous.table.owners[p] !== owner) movedAt[p] = now;
    cell.className = owner ? 'cell' : 'cell none';
    if (now - movedAt[p] < MOVED_MS) cell.classList.add('moved');
    cell.style.background = owner ? colour(owner) : '';
    cell.title = `partition ${p}\nowner ${owner || 'nobody'}\nepoch ${s.table.epochs[p]}\n${s.namespaces.perPartition[p]} namespaces`;
  }
  const legend = $('legend');
  legend.replaceChildren(
    ...s.proxies
      .filter((p) => p.partitions > 0)
      .map((p) => {
        const item = el('span', `${p.id} (${p.partitions})`);
        item.style.setProperty('--swatch', colour(p.id));
        return item;
      }),
  );
  const rows = s.proxies.map((p) => {
    const tr = el('tr');
    tr.dataset.proxy = p.id;
    const status = `${p.draining ? `${p.status}, draining` : p.status}${p.configDrift ? ', config differs' : ''}`;
    tr.append(
      el('td', p.id),
      el('td', p.address),
      el('td', status, `status-${p.draining || p.configDrift ? 'draining' : p.status}`),
      el('td', p.partitions),
      el('td', p.weight),
      el('td', `v${p.appliedTableVersion}${p.behind ? ' (behind)' : ''}`, p.behind ? 'behind' : ''),
      el('td', ago(p.lastSeen)),
    );
    return tr;
  });
  $('proxies').tBodies[0].replaceChildren(...rows);
  $('changes').replaceChildren(
    ...(s.changes.length
      ? s.changes.map((c) => el('li', `${ago(c.at)} · ${c.action} ${c.target}${c.detail ? ` — ${c.detail}` : ''}`))
      : [el('li', 'nothing yet', 'muted')]),
  );
  $('leases').replaceChildren(
    ...(s.leasesExpiring.length
      ? s.leasesExpiring.map((l) =>
          el('li', `${l.name}${l.team ? ` (${l.team})` : ''} · expires ${new Date(l.expiresAt).toLocaleString()}`),
        )
      : [el('li', 'none', 'muted')]),
  );
  $('watchers').replaceChildren(
    ...(s.watchers.length
      ? s.watchers.map((w) =>
          el(
            'li',
            `${w.name}${w.target ? ` (${w.target})` : ''} · applied v${w.appliedVersion}${w.current ? '' : ' — behind'} · ${ago(w.lastSeen)}`,
          ),
        )
      : [el('li', 'no watcher has reported to this admin', 'muted')]),
  );
  $('footer').textContent =
    `updated ${new Date(s.generatedAt).toLocaleTimeString()} · refreshes every ${POLL_MS / 1000} s`;
}

function showLogin(message) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('summary').textContent = 'not signed in';
}

let timer;
async function poll() {
  clearTimeout(timer);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return showLogin();
  try {
    const res = await fetch('/v1/status', { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' });
    if (res.status === 401 || res.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      const body = await res.json().catch(() => ({}));
      return showLogin(body.error ? `${body.error.code}: ${body.error.message}` : `refused (${res.status})`);
    }
    if (!res.ok) throw new Error(`the admin answered ${res.status}`);
    $('login').hidden = true;
    $('main').hidden = false;
    render(await res.json());
  } catch (err) {
    $('summary').textContent = `cannot reach the admin: ${err.message}; retrying`;
  }
  timer = setTimeout(poll, POLL_MS);
}

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = $('token').value.trim();
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  $('token').value = '';
  poll();
});

buildMap();
takeToken();
poll();
