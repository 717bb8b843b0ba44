// The admin page: a snapshot on connect, then live pushes over the guarded socket.io namespace
// /admin (daemon/http/admin.ts). Plain DOM, no framework, no build step. Every text goes through
// textContent, so nothing the daemon sends is ever parsed as HTML.
const $ = (sel) => document.querySelector(sel);
const state = { tz: undefined, devices: new Map(), user: '' };

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? '' : String(c)));
  return e;
}

function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-GB', { timeZone: state.tz, day: '2-digit', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function announce(text) {
  $('#announce').textContent = text;
}

function replaceRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

// ------------------------------------------------------------------------------------------ devices

function deviceRow(d) {
  return el(
    'tr',
    { 'data-device': d.id, 'data-state': null },
    el('th', { scope: 'row' }, d.id),
    el('td', {}, d.kind),
    el('td', {}, d.model + (d.simulated ? ' (simulated)' : '')),
    el('td', {}, el('span', { class: 'state', 'data-state': d.state }, d.state)),
    el('td', {}, d.reason || ''),
    el('td', {}, fmtTime(d.since)),
    el('td', {}, d.lastError || ''),
  );
}

function renderDevices() {
  replaceRows($('#devices tbody'), [...state.devices.values()].map(deviceRow));
}

function deviceChanged(d) {
  const before = state.devices.get(d.id);
  state.devices.set(d.id, d);
  renderDevices();
  if (before && before.state !== d.state) announce(`${d.id} is now ${d.state}${d.reason ? `: ${d.reason}` : ''}`);
}

// ------------------------------------------------------------------------------------------- SIP2

function renderSip2(sip2) {
  $('#sip2-where').textContent = sip2 ? `(${sip2.host}:${sip2.port})` : '(SIP2 bridge off)';
  const conns = sip2 ? sip2.connections : [];
  replaceRows(
    $('#sip2 tbody'),
    conns.map((c) =>
      el('tr', { 'data-conn': c.id }, el('td', {}, c.remote), el('td', {}, c.user || '(not logged in)'), el('td', {}, fmtTime(c.since)), el('td', { class: 'num' }, c.messages), el('td', {}, fmtTime(c.lastMessageAt))),
    ),
  );
  $('#sip2-empty').hidden = conns.length > 0;
}

// ------------------------------------------------------------------------------------ transactions

const KIND_TEXT = {
  checkout: 'Loan',
  checkout_reading_room: 'Reading-room loan',
  checkin: 'Return',
  checkin_other_department: 'Return (other department)',
  return_with_hold: 'Return, on hold',
  kit_return: 'Kit return',
  kit_return_incomplete: 'Kit return, incomplete',
  renewal: 'Renewal',
  payment: 'Payment',
  lost: 'Lost',
};

// Where a transaction taken offline stands with the upstream library system.
const OFFLINE_TEXT = {
  queued: 'offline, waiting for the library system',
  replayed_ok: 'offline, confirmed by the library system',
  refused: 'offline, refused by the library system',
  error: 'offline, could not be sent to the library system',
};

function offlineText(o) {
  if (!o) return '';
  return ` (${OFFLINE_TEXT[o.state] || `offline, ${o.state}`}${o.resolved ? ', resolved by staff' : ''})`;
}

function renderTransactions(list) {
  replaceRows(
    $('#transactions tbody'),
    list.map((t) =>
      el(
        'tr',
        { 'data-tx': t.id, 'data-kind': t.kind, 'data-offline': t.offline ? t.offline.state : null },
        el('td', {}, fmtTime(t.at)),
        el('td', {}, (KIND_TEXT[t.kind] || t.kind.replace(/_/g, ' ')) + offlineText(t.offline)),
        el('td', {}, t.channel),
        el('td', { class: 'card' }, t.card || '–'),
        el('td', {}, t.item || ''),
        el('td', {}, t.title || (t.amount !== null ? t.amount.toFixed(2) : '')),
      ),
    ),
  );
  $('#tx-empty').hidden = list.length > 0;
}

function refusalText(r) {
  const e = Object.entries(r || {});
  return e.length ? e.map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`).join(', ') : '';
}

function renderToday(today) {
  $('#today-date').textContent = `(${today.date})`;
  const active = today.hours.filter((h) => h.loans || h.returns || h.renewals || h.kitExceptions || Object.keys(h.refusals).length);
  const cell = (v) => el('td', { class: 'num' }, v);
  replaceRows(
    $('#today tbody'),
    active.length
      ? active.map((h) =>
          el('tr', { 'data-hour': h.hour }, el('th', { scope: 'row' }, `${String(h.hour).padStart(2, '0')}:00`), cell(h.loans), cell(h.returns), cell(h.renewals), el('td', {}, refusalText(h.refusals)), cell(h.kitExceptions)),
        )
      : [el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'Nothing yet today.'))],
  );
  const sum = (k) => today.hours.reduce((a, h) => a + h[k], 0);
  const refusals = {};
  for (const h of today.hours) for (const [k, n] of Object.entries(h.refusals)) refusals[k] = (refusals[k] || 0) + n;
  replaceRows($('#today tfoot'), [el('tr', {}, el('th', { scope: 'row' }, 'Total'), cell(sum('loans')), cell(sum('returns')), cell(sum('renewals')), el('td', {}, refusalText(refusals)), cell(sum('kitExceptions')))]);
}

// -------------------------------------------------------------------------------- sessions, audit

async function post(url, data = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data), credentials: 'same-origin' });
  const body = await res.json().catch(() => null);
  if (res.status === 401) location.assign('/login?next=/admin');
  if (!res.ok || !body || body.ok === false) throw new Error((body && body.error && body.error.message) || `HTTP ${res.status}`);
  return body;
}

function renderSessions(list) {
  replaceRows(
    $('#sessions tbody'),
    list.map((s) =>
      el(
        'tr',
        { 'data-session': s.id },
        el('th', { scope: 'row' }, s.user),
        el('td', {}, s.role),
        el('td', {}, s.remote || ''),
        el('td', {}, fmtTime(s.createdAt)),
        el('td', {}, fmtTime(s.lastSeenAt)),
        el('td', {}, fmtTime(s.expiresAt)),
        el(
          'td',
          {},
          el(
            'button',
            {
              type: 'button',
              // The visible text starts the accessible name (WCAG 2.5.3, label in name).
              'aria-label': `End session of ${s.user} from ${s.remote || 'an unknown address'}`,
              onclick: async (e) => {
                e.currentTarget.disabled = true;
                try {
                  await post(`/admin/api/sessions/${encodeURIComponent(s.id)}/revoke`);
                  announce(`Session of ${s.user} ended.`);
                } catch (err) {
                  announce(`Could not end the session: ${err.message}`);
                }
              },
            },
            'End session',
          ),
        ),
      ),
    ),
  );
}

let lastAudit = null;

function renderAudit(rows) {
  lastAudit = rows;
  replaceRows(
    $('#audit tbody'),
    rows.map((r) =>
      el(
        'tr',
        { 'data-audit': r.id },
        el('td', {}, fmtTime(r.at)),
        el('td', {}, r.actor),
        el('td', {}, r.action),
        el('td', {}, r.target || ''),
        el('td', {}, el('span', { class: 'state', 'data-outcome': r.outcome }, r.outcome)),
        el('td', { class: 'small' }, r.detail ? JSON.stringify(r.detail) : ''),
      ),
    ),
  );
}

// ----------------------------------------------------------------------------------------- offline

const OFFLINE_KIND = { checkout: 'Loan', checkin: 'Return', renew: 'Renewal' };

function offlineRow(p) {
  const noteId = `offline-note-${p.id}`;
  const what = `${OFFLINE_KIND[p.kind] || p.kind} of ${p.item}`;
  return el(
    'tr',
    { 'data-offline-id': p.id, 'data-state': null },
    el('td', {}, fmtTime(p.at)),
    el('td', {}, OFFLINE_KIND[p.kind] || p.kind),
    el('td', { class: 'card' }, p.card || '–'),
    el('td', {}, p.item),
    el(
      'td',
      {},
      el('span', { class: 'state', 'data-state': p.state }, p.state === 'error' ? `failed after ${p.attempts} attempts` : 'refused'),
      p.waiting ? el('div', { class: 'small muted' }, `${p.waiting} later transaction(s) of this item wait for it`) : '',
    ),
    el('td', {}, p.reason ? p.reason.replace(/_/g, ' ') : '–'),
    el('td', {}, p.message || ''),
    el(
      'td',
      {},
      el(
        'form',
        {
          class: 'resolve',
          onsubmit: async (e) => {
            e.preventDefault();
            const form = e.currentTarget;
            const button = form.querySelector('button');
            button.disabled = true;
            try {
              await post(`/admin/api/offline/${encodeURIComponent(p.id)}/resolve`, { note: form.querySelector('input').value });
              announce(`${what} marked resolved.`);
            } catch (err) {
              button.disabled = false;
              announce(`Could not mark it resolved: ${err.message}`);
            }
          },
        },
        el('label', { class: 'visually-hidden', for: noteId }, `Note for ${what}`),
        el('input', { id: noteId, type: 'text', maxlength: 500, placeholder: 'What was done (optional)' }),
        el('button', { type: 'submit', 'aria-label': `Mark resolved: ${what}` }, 'Mark resolved'),
      ),
    ),
  );
}

function renderOffline(o) {
  $('#offline-none').hidden = o !== null;
  $('#offline-body').hidden = o === null;
  $('#offline-queued').textContent = o ? `(${o.queued} waiting for the library system, ${o.problems.length} for staff)` : '';
  if (!o) return;
  // Keep a note being typed: rows are rebuilt only when the list itself changes.
  const key = JSON.stringify(o.problems);
  const tbody = $('#offline tbody');
  if (tbody.dataset.key !== key) {
    tbody.dataset.key = key;
    replaceRows(tbody, o.problems.map(offlineRow));
  }
  $('#offline-empty').hidden = o.problems.length > 0;
}

// ----------------------------------------------------------------------------------------- pairing

async function refreshPairing() {
  let res;
  try {
    res = await fetch('/api/admin/pairing', { credentials: 'same-origin', headers: { accept: 'application/json' } });
  } catch {
    return;
  }
  // The pairing service is optional: no answer, no panel.
  if (!res.ok) {
    $('#pairing-panel').hidden = true;
    return;
  }
  const body = await res.json().catch(() => null);
  const p = body && (body.data || body);
  if (!p || !Array.isArray(p.pairings)) {
    $('#pairing-panel').hidden = true;
    return;
  }
  $('#pairing-panel').hidden = false;
  $('#pairing-code').textContent = p.code || '–';
  $('#pairing-code-expires').textContent = p.codeExpiresAt ? `(valid until ${fmtTime(p.codeExpiresAt)})` : '';
  replaceRows(
    $('#pairings tbody'),
    p.pairings.map((x) =>
      el(
        'tr',
        { 'data-pairing': x.id },
        el('th', { scope: 'row' }, x.desk),
        el('td', {}, x.user),
        el('td', {}, fmtTime(x.createdAt)),
        el('td', {}, fmtTime(x.expiresAt)),
        el('td', {}, fmtTime(x.lastSeenAt)),
        el(
          'td',
          {},
          el(
            'button',
            {
              type: 'button',
              'aria-label': `Revoke pairing of desk ${x.desk}`,
              onclick: async (e) => {
                e.currentTarget.disabled = true;
                try {
                  await post(`/api/admin/pairing/${encodeURIComponent(x.id)}/revoke`);
                  announce(`Pairing of desk ${x.desk} revoked.`);
                } catch (err) {
                  announce(`Could not revoke the pairing: ${err.message}`);
                }
                void refreshPairing();
              },
            },
            'Revoke',
          ),
        ),
      ),
    ),
  );
  $('#pairings-empty').hidden = p.pairings.length > 0;
}

// -------------------------------------------------------------------------------------------- live

function setConnection(s, text) {
  const c = $('#connection');
  c.dataset.state = s;
  c.textContent = text;
}

function applySnapshot(s) {
  state.tz = s.site.timezone;
  state.user = s.user;
  $('#user').textContent = s.user;
  $('#site').textContent = `· ${s.site.name} (${s.site.department})`;
  state.devices = new Map(s.devices.map((d) => [d.id, d]));
  renderDevices();
  renderBackend(s.backend);
  renderSip2(s.sip2);
  renderTransactions(s.transactions);
  renderToday(s.today);
  renderSessions(s.sessions);
  renderOffline(s.offline);
  // Drawn before the site's time zone was known (the browser's): again, in the site's, as every other section.
  if (lastAudit) renderAudit(lastAudit);
  void refreshPairing();
}

function renderBackend(b) {
  const e = $('#backend');
  if (!b) {
    e.dataset.state = 'unknown';
    e.textContent = 'Backend: unknown';
    return;
  }
  e.dataset.state = b.online ? 'online' : 'offline';
  e.textContent = `Backend ${b.kind}: ${b.online ? 'online' : 'offline'}`;
  e.title = b.detail || '';
}

let leaving = false;
const socket = window.io('/admin', { withCredentials: true, transports: ['websocket', 'polling'] });
socket.on('connect', () => setConnection('connected', 'Live'));
socket.on('disconnect', (reason) => {
  setConnection('disconnected', 'Disconnected');
  // The daemon ended the session (logout elsewhere, revoked, account disabled): back to the login.
  if (reason === 'io server disconnect' && !leaving) location.assign('/login?next=/admin');
});
socket.on('connect_error', (err) => {
  if (err && err.data && (err.data.code === 'login_required' || err.data.code === 'forbidden')) location.assign('/login?next=/admin');
  else setConnection('disconnected', 'Reconnecting…');
});
socket.on('snapshot', applySnapshot);
socket.on('device.state', deviceChanged);
socket.on('sip2', renderSip2);
socket.on('backend', renderBackend);
socket.on('transactions', (t) => {
  renderTransactions(t.transactions);
  renderToday(t.today);
});
socket.on('sessions', renderSessions);
socket.on('offline', renderOffline);
socket.on('audit', renderAudit);

$('#logout').addEventListener('click', async () => {
  leaving = true;
  socket.close();
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
  location.assign('/login');
});

void refreshPairing();
setInterval(refreshPairing, 10_000);
