// The staff desk page (daemon/http/staff.ts). Plain browser JavaScript, no build step.
//
// 1. Not paired: the form posts the pad's one-time code to /staff/api/pair and keeps the token it
//    gets in localStorage (this desk PC stays paired across reloads until the pairing ends).
// 2. Paired: socket.io namespace /staff with the token in the handshake; the daemon pushes the pad
//    (`pad`) and answers commands with {ok, data} | {ok:false, error:{code, message}}.
'use strict';

(() => {
  const TOKEN_KEY = 'open-kiosk.staff.pairing-token';
  const $ = (id) => document.getElementById(id);
  let socket = null;
  let state = null; // {user, role, pairing, pad, site, wedge}
  let programUid = null;

  // ---------------------------------------------------------------------------------- helpers

  function text(tag, content, cls) {
    const el = document.createElement(tag);
    if (content !== undefined && content !== null) el.textContent = String(content);
    if (cls) el.className = cls;
    return el;
  }

  function setStatus(msg, isError) {
    const s = $('status');
    s.textContent = msg || '';
    s.classList.toggle('error', !!isError);
  }

  function newKey() {
    // crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  function hex(n) {
    return n === null || n === undefined ? '–' : `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
  }

  function fmtTime(iso) {
    if (!iso) return '–';
    return new Date(iso).toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' });
  }

  /** [0, 1, 2, 5] → "0–2, 5" */
  function blockRanges(blocks) {
    const b = [...new Set(blocks)].sort((x, y) => x - y);
    const out = [];
    for (let i = 0; i < b.length; ) {
      let j = i;
      while (j + 1 < b.length && b[j + 1] === b[j] + 1) j++;
      out.push(i === j ? `${b[i]}` : `${b[i]}–${b[j]}`);
      i = j + 1;
    }
    return out.join(', ');
  }

  function lockPolicyText(policy) {
    if (policy === 'data') return 'the blocks holding the item data';
    if (policy === 'all') return 'every block of the tag';
    if (Array.isArray(policy)) return `block${policy.length > 1 ? 's' : ''} ${blockRanges(policy)}`;
    return null;
  }

  /** Reports the block lock after programming: a lock that did not take is an error, never hidden. */
  function reportLock(uid, lock) {
    if (!lock) return;
    if (lock.status === 'done') addLog(`Tag ${uid}: ${lock.message}`);
    else {
      addLog(`Tag ${uid}: the data is written, but the lock FAILED — ${lock.message}`, 'error');
      setStatus(`Tag ${uid} programmed, but NOT locked as configured: ${lock.message}`, true);
    }
  }

  function addLog(line, cls) {
    const li = text('li', `${new Date().toLocaleTimeString()} — ${line}`, cls);
    $('log').prepend(li);
    while ($('log').children.length > 50) $('log').lastElementChild.remove();
  }

  function command(name, args) {
    return new Promise((resolve) => {
      if (!socket || !socket.connected) {
        resolve({ ok: false, error: { code: 'offline', message: 'Not connected to the pad.' } });
        return;
      }
      socket.timeout(30000).emit(name, args, (err, reply) => {
        if (err) resolve({ ok: false, error: { code: 'timeout', message: 'The daemon did not answer in time.' } });
        else resolve(reply);
      });
    });
  }

  // ---------------------------------------------------------------------------------- pairing

  function showPairing(message) {
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
      socket = null;
    }
    state = null;
    $('desk').hidden = true;
    $('pair').hidden = false;
    $('pair-message').textContent = message || '';
    $('code').value = '';
    $('code').focus();
  }

  $('pair-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const code = $('code').value.trim();
    const desk = $('desk-name').value.trim();
    const msg = $('pair-message');
    $('code').setAttribute('aria-invalid', code ? 'false' : 'true');
    $('desk-name').setAttribute('aria-invalid', desk ? 'false' : 'true');
    if (!code || !desk) {
      msg.textContent = !code ? 'Type the code the pad shows.' : 'Give this desk a name (it is shown on the admin page).';
      return;
    }
    $('pair-button').disabled = true;
    msg.textContent = '';
    try {
      const res = await fetch('/staff/api/pair', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code, desk }),
        credentials: 'same-origin',
      });
      if (res.status === 401) {
        location.href = `/login?next=${encodeURIComponent('/staff')}`;
        return;
      }
      const body = await res.json();
      if (!body.ok) {
        msg.textContent = body.error.message;
        $('code').setAttribute('aria-invalid', 'true');
        $('code').select();
        return;
      }
      localStorage.setItem(TOKEN_KEY, body.data.token);
      localStorage.setItem(`${TOKEN_KEY}.desk`, desk);
      const replaced = body.data.replaced.length ? ` (ended the pairing of ${body.data.replaced.map((r) => r.desk).join(', ')})` : '';
      setStatus(`Paired as “${body.data.pairing.desk}”${replaced}.`);
      connect(body.data.token);
    } catch (e) {
      msg.textContent = `Pairing failed: ${e.message}`;
    } finally {
      $('pair-button').disabled = false;
    }
  });

  $('unpair').addEventListener('click', async () => {
    const r = await command('pairing.unpair', {});
    localStorage.removeItem(TOKEN_KEY);
    showPairing(r.ok ? 'This desk is no longer paired.' : r.error.message);
  });

  $('logout').addEventListener('click', async () => {
    await fetch('/api/logout', { method: 'POST', credentials: 'same-origin' }).catch(() => undefined);
    location.href = '/login?next=%2Fstaff';
  });

  // ----------------------------------------------------------------------------------- socket

  function connect(token) {
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
    setStatus('Connecting to the pad…');
    socket = io('/staff', { auth: { token }, transports: ['websocket', 'polling'] });
    socket.on('connect_error', (err) => {
      const code = (err.data && err.data.code) || err.message;
      if (code === 'login_required') {
        location.href = `/login?next=${encodeURIComponent('/staff')}`;
      } else if (code === 'pairing_required') {
        localStorage.removeItem(TOKEN_KEY);
        showPairing((err.data && err.data.message) || 'Pair this desk with the pad.');
        setStatus('');
      } else if (code === 'forbidden') {
        setStatus('Your account may not use the staff desk.', true);
      } else {
        setStatus(`Cannot reach the pad’s daemon (${err.message}); retrying…`, true);
      }
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') setStatus('Connection to the pad lost; reconnecting…', true);
    });
    socket.on('state', (s) => {
      state = s;
      $('pair').hidden = true;
      $('desk').hidden = false;
      $('who').textContent = `${s.user} (${s.role})`;
      $('pairing-info').textContent = `Paired with pad “${s.pairing.pad}” as desk “${s.pairing.desk}” by ${s.pairing.user} — until ${fmtTime(s.pairing.expiresAt)}.`;
      $('wedge-info').textContent = s.wedge.available
        ? `“Type” ${s.wedge.reason}.`
        : `“Copy” puts a barcode on the clipboard for the library system’s client (paste with Ctrl+V). A web page cannot type into another application; typing for you is not available here: ${s.wedge.reason}.`;
      $('p-isil').placeholder = s.site.isil;
      setStatus('');
      renderPad(s.pad);
    });
    socket.on('pad', (pad) => {
      if (!state) return;
      state.pad = pad;
      renderPad(pad);
    });
    socket.on('pairing.ended', (e) => {
      localStorage.removeItem(TOKEN_KEY);
      showPairing(e.message);
      setStatus(e.message, true);
    });
  }

  // -------------------------------------------------------------------------------------- pad

  const CONDITION_TEXT = {
    item: 'library item',
    'patron-card': 'patron card',
    blank: 'blank tag',
    foreign: 'other library',
    corrupt: 'corrupt data',
  };
  const MODEL_TEXT = { 'iso28560-3': 'ISO 28560-3', 'iso28560-2': 'ISO 28560-2', '3m-501': '3M 501' };

  // Actions running now, by `${uid} ${label}`: a row rebuilt by a pad update meanwhile (the
  // security write of a check-out pushes one) keeps its button disabled, so it is not pressed twice.
  const busy = new Set();

  function button(label, onClick, cls, title, uid) {
    const b = text('button', label, cls);
    b.type = 'button';
    if (title) b.title = title;
    const key = `${uid} ${label}`;
    b.dataset.action = label;
    b.disabled = busy.has(key);
    b.addEventListener('click', async () => {
      if (busy.has(key)) return;
      busy.add(key);
      setBusy(uid, label, true);
      try {
        await onClick();
      } finally {
        busy.delete(key);
        setBusy(uid, label, false);
      }
    });
    return b;
  }

  /** Disables/enables an action's button in the row on screen now (not necessarily the one clicked). */
  function setBusy(uid, label, on) {
    const tr = rows.get(uid);
    if (!tr) return;
    for (const b of tr.querySelectorAll('button[data-action]')) if (b.dataset.action === label) b.disabled = on;
  }

  // The rows on screen, by tag UID, with the data each was drawn from. The daemon pushes the whole
  // pad on every change, and one tag changes several times after it arrives (decoded at once, then
  // its security state read from the tag, then its block-lock state, then the catalogue record: see
  // daemon/pairing/desk.ts readSecurity). Redrawing the whole table each time would drop what staff
  // are doing in other rows (focus, the chosen conversion model, a pending button); so only a row
  // whose data changed is rebuilt, carrying over its own focus and choice, and a row is never
  // removed and re-added while its tag stays on the pad (no flicker).
  const rows = new Map(); // uid → tr
  const drawn = new Map(); // uid → JSON of the tag view (and the wedge setting) the row shows

  function renderPad(pad) {
    $('reader-state').textContent = pad.reader === 'ready' ? 'reader ready' : `reader ${pad.reader}`;
    const tbody = $('tags').querySelector('tbody');
    $('tags').hidden = pad.tags.length === 0;
    $('empty').hidden = pad.tags.length > 0;
    const wedge = !!(state && state.wedge.available);
    const present = new Set();
    pad.tags.forEach((t, i) => {
      present.add(t.uid);
      const key = JSON.stringify([t, wedge]);
      let tr = rows.get(t.uid);
      if (!tr || drawn.get(t.uid) !== key) {
        const next = row(t);
        if (tr) {
          carryOver(tr, next);
          tr.replaceWith(next);
        }
        tr = next;
        rows.set(t.uid, tr);
        drawn.set(t.uid, key);
      }
      // In the daemon's order; a row already in place is not moved (moving it would drop its focus).
      const at = tbody.children[i];
      if (at !== tr) tbody.insertBefore(tr, at || null);
    });
    for (const [uid, tr] of rows) {
      if (present.has(uid)) continue;
      tr.remove();
      rows.delete(uid);
      drawn.delete(uid);
    }
    if (programUid && !present.has(programUid)) closeProgram();
  }

  /** What staff had going on in a row being rebuilt: the chosen conversion model, and the focus. */
  function carryOver(from, to) {
    const sel = from.querySelector('select.convert-model');
    const sel2 = to.querySelector('select.convert-model');
    if (sel && sel2 && [...sel2.options].some((o) => o.value === sel.value)) sel2.value = sel.value;
    const active = document.activeElement;
    if (!active || !from.contains(active)) return;
    let target = null;
    if (active.matches('select.convert-model')) target = sel2;
    else if (active.dataset && active.dataset.action) target = [...to.querySelectorAll('button[data-action]')].find((b) => b.dataset.action === active.dataset.action) || null;
    // Focus moves once the new row is in the document (a detached element cannot take it).
    if (target) queueMicrotask(() => target.isConnected && target.focus({ preventScroll: true }));
  }

  function row(t) {
    const tr = document.createElement('tr');
    tr.dataset.uid = t.uid;
    tr.dataset.condition = t.condition;
    tr.dataset.security = t.security ? t.security.state : 'reading';
    // The block-lock state follows the security state in a later update (desk.ts readSecurity).
    tr.dataset.locks = t.locks ? (t.locks.error ? 'error' : 'read') : 'reading';
    if (t.barcode) tr.dataset.barcode = t.barcode;

    // Barcode
    const tdB = document.createElement('td');
    tdB.append(text('div', t.barcode || '—', 'mono barcode'));
    tdB.append(text('div', `UID ${t.uid}`, 'sub mono'));
    tr.append(tdB);

    // Item (backend)
    const tdI = document.createElement('td');
    tdI.append(text('span', CONDITION_TEXT[t.condition], `badge ${t.condition}`));
    if (t.item) {
      tdI.append(text('div', t.item.title));
      const bits = [`status ${t.item.status === 'free' ? 'on the shelf' : t.item.status}`];
      if (t.item.dueDate) bits.push(`due ${t.item.dueDate}`);
      if (t.item.kit) bits.push(`kit ${t.item.kit.code}, part ${t.item.kit.partNumber} of ${t.item.kit.partsTotal}`);
      tdI.append(text('div', bits.join(' · '), 'sub'));
    } else if (t.condition === 'item' || t.condition === 'foreign') {
      tdI.append(text('div', 'not in the catalogue', 'sub'));
    }
    if (t.problem) tdI.append(text('div', t.problem, 'sub'));
    tr.append(tdI);

    // Tag data
    const tdT = document.createElement('td');
    const lines = [];
    lines.push(t.model ? MODEL_TEXT[t.model] : t.blank ? (t.blank === '3m-factory' ? 'unprogrammed (3M factory)' : 'unprogrammed (all zero)') : 'no data model');
    if (t.setInfo) lines.push(`part ${t.setInfo.partNumber} of ${t.setInfo.partsInSet}`);
    if (t.ownerLibrary) lines.push(`owner ${t.ownerLibrary}`);
    if (t.usage && t.usage !== 'circulating') lines.push(`usage: ${t.usage}`);
    if (t.quirks.length) lines.push(`quirks: ${t.quirks.join(', ')}`);
    for (const l of lines) tdT.append(text('div', l, 'tagdata'));
    if (t.locks && t.locks.blocks.length) tdT.append(text('div', `locked blocks ${blockRanges(t.locks.blocks)} (cannot be rewritten)`, 'tagdata locked'));
    if (t.locks && t.locks.error) tdT.append(text('div', t.locks.error, 'sub'));
    if (t.lock && t.lock.status !== 'done') tdT.append(text('div', `lock failed: ${t.lock.message}`, 'sub lock-failed'));
    tr.append(tdT);

    // Security
    const tdS = document.createElement('td');
    if (!t.security) tdS.append(text('span', 'reading…', 'sub'));
    else {
      tdS.append(text('span', t.security.state, `badge ${t.security.state}`));
      const parts = [];
      if (t.security.afi !== null) parts.push(`AFI ${hex(t.security.afi)}`);
      if (t.security.eas !== null) parts.push(`EAS ${t.security.eas ? 'on' : 'off'}`);
      tdS.append(text('div', parts.join(' · '), 'sub mono'));
      if (t.security.error) tdS.append(text('div', t.security.error, 'sub'));
    }
    tr.append(tdS);

    // Actions
    const tdA = document.createElement('td');
    tdA.className = 'acts';
    if (t.barcode) {
      tdA.append(button('Copy', () => copyBarcode(t.barcode), 'quiet', `Copy ${t.barcode} to the clipboard`, t.uid));
      if (state && state.wedge.available) tdA.append(button('Type', () => typeBarcode(t.barcode), 'quiet', 'Type it into the focused application in 2 seconds', t.uid));
    }
    if (t.condition === 'item' || t.condition === 'foreign') {
      tdA.append(button('Check out', () => checkout(t), 'checkout', null, t.uid));
      tdA.append(button('Check in', () => checkin(t), 'checkin', null, t.uid));
    }
    if (t.security && t.condition !== 'patron-card') {
      const want = t.security.state !== 'secured';
      tdA.append(button(want ? 'Secure' : 'Unsecure', () => setSecurity(t, want), 'quiet', null, t.uid));
    }
    tdA.append(button(t.condition === 'item' || t.condition === 'patron-card' ? 'Re-program' : 'Program', () => openProgram(t), 'program', null, t.uid));
    if (t.model && t.condition !== 'corrupt') {
      const sel = document.createElement('select');
      sel.setAttribute('aria-label', `Convert tag ${t.uid} to`);
      sel.className = 'convert-model';
      for (const m of Object.keys(MODEL_TEXT)) {
        if (m === t.model) continue;
        const o = text('option', MODEL_TEXT[m]);
        o.value = m;
        sel.append(o);
      }
      tdA.append(sel);
      tdA.append(button('Convert', () => convert(t, sel.value), 'quiet convert', null, t.uid));
    }
    tr.append(tdA);
    return tr;
  }

  // ---------------------------------------------------------------------------------- actions

  function report(what, r) {
    if (!r.ok) {
      addLog(`${what}: ${r.error.message}`, 'error');
      setStatus(`${what}: ${r.error.message}`, true);
      return false;
    }
    return true;
  }

  function outcomeText(kind, o) {
    if (o.status === 'done') return `${kind} ${o.barcode}${o.title ? ` “${o.title}”` : ''}${o.dueDate ? `, due ${o.dueDate}` : ''}${o.message ? ` → ${o.message}` : ''}`;
    if (o.status === 'security_failed') return `${kind} ${o.barcode} done in the library system, but the security bit is NOT set right: ${o.problems.join('; ')}. Keep the item on the pad and press Secure/Unsecure.`;
    return `${kind} ${o.barcode} refused: ${o.message || o.reason}`;
  }

  async function checkout(t) {
    const patron = $('patron').value.trim();
    if (!patron) {
      setStatus('Enter the patron’s card number for the check-out first.', true);
      $('patron').focus();
      return;
    }
    const r = await command('item.checkout', { key: newKey(), barcode: t.barcode, patron });
    if (!report(`Check-out ${t.barcode}`, r)) return;
    addLog(outcomeText('Checked out', r.data), r.data.status);
    setStatus(outcomeText('Checked out', r.data), r.data.status !== 'done');
  }

  async function checkin(t) {
    const r = await command('item.checkin', { key: newKey(), barcode: t.barcode });
    if (!report(`Check-in ${t.barcode}`, r)) return;
    addLog(outcomeText('Checked in', r.data), r.data.status);
    setStatus(outcomeText('Checked in', r.data), r.data.status !== 'done');
  }

  async function setSecurity(t, secured) {
    const r = await command('tag.security', { uid: t.uid, secured });
    if (!report(`Security of ${t.barcode || t.uid}`, r)) return;
    addLog(`${t.barcode || t.uid}: ${secured ? 'secured' : 'unsecured'}`);
    setStatus('');
  }

  async function convert(t, model) {
    const r = await command('tag.convert', { uid: t.uid, model });
    if (!report(`Convert ${t.barcode}`, r)) return;
    addLog(`${t.barcode}: converted to ${MODEL_TEXT[r.data.model]}`);
    setStatus(`Tag ${t.barcode} now carries ${MODEL_TEXT[r.data.model]} data.`);
    reportLock(r.data.uid, r.data.lock);
  }

  async function copyBarcode(barcode) {
    let via = 'clipboard';
    try {
      await navigator.clipboard.writeText(barcode);
    } catch {
      // No async clipboard (plain http from another PC): the old way, through a selected text area.
      const buf = $('copy-buffer');
      buf.value = barcode;
      buf.select();
      via = 'selection';
      if (!document.execCommand('copy')) {
        setStatus(`Could not copy: select ${barcode} by hand.`, true);
        return;
      }
    }
    setStatus(`Copied ${barcode}: paste it with Ctrl+V.`);
    await command('barcode.copied', { barcode, via });
  }

  async function typeBarcode(barcode) {
    setStatus(`Click into the other application: typing ${barcode} in 2 seconds…`);
    const r = await command('wedge.type', { barcode });
    if (!report(`Typing ${barcode}`, r)) return;
    setStatus(`Typed ${barcode}.`);
  }

  // ------------------------------------------------------------------------------ programming

  function openProgram(t) {
    programUid = t.uid;
    $('program').hidden = false;
    $('program-uid').textContent = t.uid;
    $('p-barcode').value = t.barcode || '';
    $('p-part').value = t.setInfo ? t.setInfo.partNumber : 1;
    $('p-parts').value = t.setInfo ? t.setInfo.partsInSet : 1;
    $('p-isil').value = state ? state.site.isil : '';
    $('p-model').value = t.model || 'iso28560-3';
    const inUse = t.condition === 'item' || t.condition === 'patron-card';
    $('p-overwrite').checked = false;
    $('p-overwrite').parentElement.hidden = !inUse;
    $('program-message').textContent = '';
    const policy = state && state.pad ? lockPolicyText(state.pad.lockPolicy) : null;
    $('program-lock-note').hidden = !policy;
    $('program-lock-note').textContent = policy ? `After writing, ${policy} will be locked for good (site setting): this tag can then never be rewritten or converted.` : '';
    $('p-barcode').focus();
  }

  function closeProgram() {
    programUid = null;
    $('program').hidden = true;
  }

  $('program-cancel').addEventListener('click', closeProgram);

  $('program-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!programUid) return;
    const barcode = $('p-barcode').value.trim();
    if (!barcode) {
      $('program-message').textContent = 'Enter the barcode to write.';
      $('p-barcode').setAttribute('aria-invalid', 'true');
      return;
    }
    $('p-barcode').setAttribute('aria-invalid', 'false');
    const isil = $('p-isil').value.trim();
    const args = {
      uid: programUid,
      barcode,
      partNumber: Number($('p-part').value) || 1,
      partsInSet: Number($('p-parts').value) || 1,
      model: $('p-model').value,
      overwrite: $('p-overwrite').checked,
    };
    if (isil) args.ownerLibrary = isil;
    $('program-button').disabled = true;
    const r = await command('tag.program', args);
    $('program-button').disabled = false;
    if (!r.ok) {
      $('program-message').textContent = r.error.message;
      addLog(`Programming ${programUid}: ${r.error.message}`, 'error');
      return;
    }
    addLog(`Tag ${r.data.uid} programmed: ${r.data.barcode}, ${MODEL_TEXT[r.data.model]}${r.data.setInfo ? `, part ${r.data.setInfo.partNumber} of ${r.data.setInfo.partsInSet}` : ''}${r.data.ownerLibrary ? `, owner ${r.data.ownerLibrary}` : ''} (read back from the tag)`);
    setStatus(`Tag programmed with ${r.data.barcode} and read back.${r.data.lock && r.data.lock.status === 'done' ? ` ${r.data.lock.message}` : ''}`);
    reportLock(r.data.uid, r.data.lock);
    closeProgram();
  });

  // ------------------------------------------------------------------------------------ start

  const saved = localStorage.getItem(TOKEN_KEY);
  const savedDesk = localStorage.getItem(`${TOKEN_KEY}.desk`);
  if (savedDesk) $('desk-name').value = savedDesk;
  if (saved) connect(saved);
  else showPairing('');
})();
