// The staff desk page: plain JS on the /api/desk JSON API (daemon/http/desk.ts). No build step.
const $ = (sel) => document.querySelector(sel);

const state = { status: null, patron: null, signing: null, poll: null, payKey: null, currency: 'EUR' };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function say(text, ok = true) {
  const m = $('#message');
  m.textContent = text;
  m.className = `message ${text ? (ok ? 'ok' : 'bad') : ''}`;
}

async function call(method, path, body) {
  const res = await fetch(`/api/desk${path}`, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent('/staff/desk')}`;
    throw new Error('login required');
  }
  const json = await res.json().catch(() => ({ ok: false, error: { code: 'bad_reply', message: `HTTP ${res.status}` } }));
  return json;
}

const money = (n) => new Intl.NumberFormat(undefined, { style: 'currency', currency: state.currency }).format(n);
const when = (iso) => new Date(iso).toLocaleString();
const newKey = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`);

// ------------------------------------------------------------------------------ devices and user

async function refreshStatus() {
  const r = await call('GET', '/status');
  if (!r.ok) return;
  state.status = r.data;
  state.currency = r.data.currency;
  $('#user').textContent = r.data.user;
  if (!$('#day').value) $('#day').value = r.data.today;
  $('#devices').replaceChildren(
    ...r.data.devices.map((d) => el('li', { class: d.state, title: d.reason ?? '' }, `${d.kind === 'signature' ? 'Tablet' : d.kind === 'drawer' ? 'Drawer' : 'Printer'}: ${d.state}`)),
  );
}

// ------------------------------------------------------------------------------------- patrons

$('#find').addEventListener('submit', async (e) => {
  e.preventDefault();
  const q = $('#q').value.trim();
  const r = await call('GET', `/patrons?q=${encodeURIComponent(q)}`);
  if (!r.ok) return say(r.error.message, false);
  say(r.data.length ? '' : `No member found for “${q}”.`, r.data.length > 0);
  $('#results').replaceChildren(
    ...r.data.map((p) => el('li', {}, el('button', { type: 'button', onclick: () => openPatron(p.barcode) }, `${p.lastName} ${p.firstName} · ${p.barcode}`))),
  );
  if (r.data.length === 1) openPatron(r.data[0].barcode);
});

async function openPatron(barcode) {
  const r = await call('GET', `/patrons/${encodeURIComponent(barcode)}`);
  if (!r.ok) return say(r.error.message, false);
  state.patron = r.data;
  state.payKey = newKey();
  renderPatron();
}

function renderPatron() {
  const p = state.patron;
  $('#patron').hidden = false;
  $('#patron-h').textContent = `${p.lastName} ${p.firstName}`;
  const row = (k, v) => [el('dt', {}, k), el('dd', {}, v ?? '–')];
  $('#patron-data').replaceChildren(
    ...row('Card', p.barcode),
    ...row('Category', p.category),
    ...row('E-mail', p.email),
    ...row('Membership until', p.membershipExpires),
    ...row('Loans', String(p.loans.length)),
    ...row('Form language', `${p.documentLanguage.language} (${p.documentLanguage.why})`),
    ...(p.blocks.length ? row('Blocks', el('span', { class: 'block' }, p.blocks.join(', '))) : []),
  );
  for (const input of $('#attributes').querySelectorAll('input')) input.value = p.attributes[input.name] ?? '';
  renderDocuments();
  renderFees();
}

$('#attributes').addEventListener('submit', async (e) => {
  e.preventDefault();
  const attributes = {};
  for (const input of e.target.querySelectorAll('input')) attributes[input.name] = input.value.trim();
  const r = await call('PUT', `/patrons/${encodeURIComponent(state.patron.barcode)}/attributes`, { attributes });
  if (!r.ok) return say(r.error.message, false);
  say('Member data saved.');
  await openPatron(state.patron.barcode);
});

// ------------------------------------------------------------------------------------- signing

async function startSigning(kind) {
  const r = await call('POST', `/patrons/${encodeURIComponent(state.patron.barcode)}/signing`, { kind });
  if (!r.ok) return say(r.error.message, false);
  say('The document is on the tablet: hand it to the member.');
  showSigning(r.data);
  clearInterval(state.poll);
  state.poll = setInterval(pollSigning, 700);
}

function showSigning(s) {
  state.signing = s;
  $('#signing').hidden = false;
  const labels = { on_tablet: 'On the tablet – waiting for the member', saving: 'Saving…', signed: 'Signed and stored', cancelled: 'Cancelled', timeout: 'Timed out', error: 'Tablet error' };
  $('#signing-status').textContent = `${s.kind === 'enrolment' ? 'Enrolment form' : 'Loan receipt'} (${s.language}): ${labels[s.status] ?? s.status}`;
  $('#signing-cancel').hidden = s.status !== 'on_tablet';
  $('#signing-pages').replaceChildren(...s.pages.map((t, i) => el('pre', { 'aria-label': `Tablet page ${i + 1}` }, t)));
}

async function pollSigning() {
  if (!state.signing) return;
  const r = await call('GET', `/signing/${state.signing.id}`);
  if (!r.ok) return;
  showSigning(r.data);
  if (r.data.status === 'on_tablet' || r.data.status === 'saving') return;
  clearInterval(state.poll);
  const s = r.data;
  if (s.status === 'signed') {
    const extra = [s.emailed ? 'e-mailed to the member' : null, s.printed ? 'printed' : null].filter(Boolean).join(', ');
    say(`Signed document ${s.document.id} stored${extra ? ` (${extra})` : ''}.${s.message ? ` ${s.message}` : ''}`, !s.message);
  } else say(s.message ?? `Signing ${s.status}.`, false);
  if (state.patron) await openPatron(state.patron.barcode);
}

$('#sign-enrolment').addEventListener('click', () => startSigning('enrolment'));
$('#sign-receipt').addEventListener('click', () => startSigning('loan_receipt'));
$('#signing-cancel').addEventListener('click', async () => {
  if (state.signing) await call('POST', `/signing/${state.signing.id}/cancel`, {});
  await pollSigning();
});

function renderDocuments() {
  const docs = state.patron.documents;
  $('#documents').replaceChildren(
    ...(docs.length
      ? docs.map((d) =>
          el(
            'tr',
            {},
            el('td', {}, when(d.createdAt)),
            el('td', {}, `${d.title} (#${d.id})`),
            el('td', {}, d.language),
            el('td', {}, d.staff),
            el('td', {}, el('code', { title: d.sha256 }, d.sha256.slice(0, 12))),
            el('td', {}, el('a', { href: `/api/desk/documents/${d.id}.pdf`, target: '_blank', rel: 'noopener' }, 'PDF')),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 6 }, 'No signed documents.'))]),
  );
}

// ---------------------------------------------------------------------------------------- fees

function renderFees() {
  const fees = state.patron.fees;
  $('#fees').replaceChildren(
    ...(fees.length
      ? fees.map((f) =>
          el(
            'tr',
            {},
            el('td', {}, el('input', { type: 'checkbox', value: f.id, checked: true, 'aria-label': `Pay ${f.description}`, onchange: updateDue })),
            el('td', {}, f.description),
            el('td', {}, f.itemBarcode ?? ''),
            el('td', {}, new Date(f.createdAt).toLocaleDateString()),
            el('td', { class: 'num' }, money(f.remaining)),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 5 }, 'No open fees.'))]),
  );
  const methods = ['cash', 'card', 'other'];
  if (!$('#method').options.length) for (const m of methods) $('#method').append(el('option', { value: m }, m));
  $('#tendered').value = '';
  updateDue();
}

function selectedFees() {
  return [...document.querySelectorAll('#fees input[type=checkbox]:checked')].map((c) => Number(c.value));
}

function dueCents() {
  const ids = selectedFees();
  return state.patron.fees.filter((f) => ids.includes(f.id)).reduce((n, f) => n + Math.round(f.remaining * 100), 0);
}

function updateDue() {
  const due = dueCents();
  $('#due').textContent = money(due / 100);
  const cash = $('#method').value === 'cash';
  $('#tendered-label').hidden = !cash;
  const tendered = Math.round(Number($('#tendered').value || due / 100) * 100);
  $('#change').textContent = cash ? (tendered >= due ? money((tendered - due) / 100) : 'not enough') : '–';
  $('#pay-button').disabled = due === 0;
}
$('#method').addEventListener('change', updateDue);
$('#tendered').addEventListener('input', updateDue);

$('#pay').addEventListener('submit', async (e) => {
  e.preventDefault();
  const method = $('#method').value;
  const body = { key: state.payKey, patron: state.patron.barcode, feeIds: selectedFees(), method };
  if (method === 'cash' && $('#tendered').value !== '') body.tendered = Number($('#tendered').value);
  $('#pay-button').disabled = true;
  const r = await call('POST', '/payments', body);
  if (!r.ok) {
    $('#pay-button').disabled = false;
    return say(r.error.message, false);
  }
  const d = r.data;
  const parts = [`Paid ${money(d.amount)} (${method})`];
  if (d.change !== null) parts.push(`change ${money(d.change)}`);
  parts.push(d.receipt.printed ? 'receipt printed' : `receipt NOT printed: ${d.receipt.message}`);
  if (d.drawer) parts.push(d.drawer.opened ? 'drawer opened' : d.drawer.message);
  if (d.refused.length) parts.push(`not paid: ${d.refused.map((x) => `fee ${x.feeId} (${x.message})`).join(', ')}`);
  say(`${parts.join(' · ')}.`, d.receipt.printed && (!d.drawer || d.drawer.opened) && !d.refused.length);
  await openPatron(state.patron.barcode);
});

// ---------------------------------------------------------------------------------------- cash

$('#drawer').addEventListener('click', async () => {
  const r = await call('POST', '/drawer', {});
  say(r.ok ? 'Cash drawer opened.' : r.error.message, r.ok);
});

function renderReport(report, closedInfo) {
  const t = report.totals;
  const rows = (list, key) => list.map((x) => el('tr', {}, el('td', {}, x[key]), el('td', { class: 'num' }, String(x.count)), el('td', { class: 'num' }, money(x.totalMinor / 100))));
  $('#report').replaceChildren(
    el('p', {}, closedInfo ?? `${t.count} unclosed payment(s) on ${report.businessDay}, total ${money(t.totalMinor / 100)}.`),
    el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', {}, 'Method'), el('th', { class: 'num' }, 'Payments'), el('th', { class: 'num' }, 'Total'))), el('tbody', {}, rows(t.byMethod, 'method'))),
    el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', {}, 'Staff user'), el('th', { class: 'num' }, 'Payments'), el('th', { class: 'num' }, 'Total'))), el('tbody', {}, rows(t.byStaff, 'staff'))),
  );
}

$('#closing').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = await call('GET', `/closing?day=${encodeURIComponent($('#day').value)}`);
  if (!r.ok) return say(r.error.message, false);
  say('');
  renderReport(r.data);
});

$('#close-day').addEventListener('click', async () => {
  const day = $('#day').value;
  if (!confirm(`Close the cash payments of ${day}? This cannot be undone.`)) return;
  const r = await call('POST', '/closing', { day });
  if (!r.ok) return say(r.error.message, false);
  const c = r.data.closing;
  renderReport({ businessDay: c.businessDay, totals: c.totals }, `Closing ${c.department}-${c.id}: ${c.paymentCount} payment(s), ${money(c.totals.totalMinor / 100)}.`);
  say(r.data.printed ? 'Day closed; the report is printed.' : `Day closed; the report was NOT printed: ${r.data.printMessage}`, r.data.printed);
});

$('#logout').addEventListener('click', async () => {
  await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' });
  location.href = '/login?next=%2Fstaff%2Fdesk';
});

refreshStatus();
setInterval(refreshStatus, 5000);
