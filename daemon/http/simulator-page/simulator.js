// The simulator panel: plain browser JavaScript, no build step. It calls the JSON endpoints under
// ./api/ (daemon/http/simulator.ts) and follows ./api/events (server-sent events) to stay current.
'use strict';

(() => {
  // ------------------------------------------------------------------------------------ helpers

  const $ = (id) => document.getElementById(id);

  /** h('li', {class: 'x', onclick}, 'text', child …): builds DOM without HTML strings (no injection). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  /** An SVG document as an image: scripts in it could never run. */
  function svgImage(svg, alt) {
    return h('img', { src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg), alt });
  }

  let toastTimer;
  function toast(text, error) {
    const t = $('toast');
    t.textContent = text;
    t.className = 'toast show' + (error ? ' error' : '');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (t.className = 'toast'), error ? 5000 : 2200);
  }

  async function api(method, path, body) {
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch('api/' + path, init);
    let reply;
    try {
      reply = await res.json();
    } catch {
      throw new Error(res.status + ' ' + res.statusText);
    }
    if (!reply.ok) throw new Error(reply.error ? reply.error.message : 'request failed');
    return reply.data;
  }

  /** Runs a command, shows its failure, refreshes the view. */
  async function run(what, fn) {
    try {
      const out = await fn();
      if (what) toast(what);
      return out;
    } catch (e) {
      toast(e.message, true);
      return undefined;
    } finally {
      scheduleRefresh();
    }
  }

  const short = (s, n) => (s && s.length > n ? s.slice(0, n - 1) + '…' : s || '');

  // -------------------------------------------------------------------------------------- state

  let state = null;
  let receiptsShown = -1;
  let lastTablet = '';
  const selected = { pad: undefined, scanner: undefined, printer: undefined, tablet: undefined, locker: undefined };

  function fillSelect(select, ids, key) {
    const current = selected[key] && ids.includes(selected[key]) ? selected[key] : ids[0];
    selected[key] = current;
    const sig = ids.join('|');
    if (select.dataset.sig !== sig) {
      select.replaceChildren(...ids.map((id) => h('option', { value: id }, id)));
      select.dataset.sig = sig;
    }
    select.value = current || '';
    select.hidden = ids.length < 2;
  }

  for (const key of Object.keys(selected)) {
    $(key + '-select').addEventListener('change', (e) => {
      selected[key] = e.target.value;
      receiptsShown = -1;
      render();
    });
  }

  function deviceStatus(id) {
    return state && state.devices.find((d) => d.id === id);
  }

  function badge(el, status) {
    el.className = 'badge ' + (status ? status.state : '');
    el.textContent = status ? status.state : 'not configured';
  }

  // ------------------------------------------------------------------------------------ devices

  function retryText(d) {
    if (!d.retry || !d.retry.nextAt) return '';
    const s = Math.max(0, Math.round((Date.parse(d.retry.nextAt) - Date.now()) / 1000));
    return 'retry ' + d.retry.attempt + ' in ' + s + ' s';
  }

  function renderDevices() {
    const sims = new Map(state.simulators.map((s) => [s.id, s]));
    $('devices').replaceChildren(
      ...state.devices.map((d) => {
        const sim = sims.get(d.id);
        const actions = [];
        if (sim) {
          actions.push(
            sim.plugged
              ? h('button', { class: 'small danger', onclick: () => run('unplugged ' + d.id, () => api('POST', 'devices/' + encodeURIComponent(d.id) + '/unplug', {})) }, 'Unplug')
              : h('button', { class: 'small', onclick: () => run('plugged ' + d.id + ' back in', () => api('POST', 'devices/' + encodeURIComponent(d.id) + '/replug', {})) }, 'Replug'),
          );
        }
        if (d.state === 'offline' && d.retry && d.retry.nextAt) {
          actions.push(h('button', { class: 'small secondary', onclick: () => run(null, () => api('POST', 'devices/' + encodeURIComponent(d.id) + '/retry', {})) }, 'Retry now'));
        }
        return h(
          'div',
          { class: 'device ' + d.state },
          h('div', { class: 'name' }, d.id, ' ', h('span', { class: 'badge ' + d.state }, d.state)),
          h('div', { class: 'meta' }, d.kind + ' · ' + d.model + (d.simulated ? ' · simulated' : '') + (sim && !sim.plugged ? ' · unplugged' : '')),
          d.reason ? h('div', { class: 'reason' }, d.reason) : null,
          retryText(d) ? h('div', { class: 'meta' }, retryText(d)) : null,
          actions.length ? h('div', { class: 'actions' }, actions) : null,
        );
      }),
    );
  }

  // ---------------------------------------------------------------------------------------- pad

  function renderPad() {
    const pads = state.pads;
    fillSelect($('pad-select'), pads.map((p) => p.id), 'pad');
    const pad = pads.find((p) => p.id === selected.pad);
    badge($('pad-state'), pad ? deviceStatus(pad.id) : null);
    const list = $('pad');
    if (!pad) {
      list.replaceChildren(h('li', { class: 'empty' }, 'No simulated RFID pad is configured.'));
      return;
    }
    if (pad.tags.length === 0) {
      list.replaceChildren(h('li', { class: 'empty' }, pad.plugged ? 'Nothing on the pad. Place items or a card from the catalogue.' : 'The pad is unplugged.'));
      return;
    }
    list.replaceChildren(
      ...pad.tags.map((t) =>
        h(
          'li',
          {},
          h(
            'div',
            { class: 'main' },
            h('div', { class: 'title' }, h('span', { class: 'kind ' + t.kind }, t.kind === 'tag' ? 'tag' : t.kind), ' ', t.title || t.label),
            h(
              'div',
              { class: 'sub' },
              t.barcode ? h('span', {}, t.barcode) : null,
              t.part ? h('span', { class: 'tag' }, (t.kit ? t.kit + ' ' : '') + 'part ' + t.part.partNumber + '/' + t.part.partsInSet) : null,
              t.secured === true ? h('span', { class: 'tag ok' }, 'secured') : t.secured === false ? h('span', { class: 'tag warn' }, 'unsecured') : null,
              h('span', { class: 'uid' }, t.uid),
            ),
          ),
          h('div', { class: 'do' }, h('button', { class: 'small secondary', onclick: () => run(null, () => api('POST', 'pad/remove', { uid: t.uid, pad: selected.pad })) }, 'Remove')),
        ),
      ),
    );
  }

  function place(kind, code, parts) {
    code = (code || '').trim();
    if (!code) return toast('Type a barcode, kit code, card number or UID first', true);
    const pad = selected.pad;
    if (kind === 'item') return run('placed ' + code, () => api('POST', 'pad/items', { barcode: code, pad }));
    if (kind === 'kit') return run('placed kit ' + code + (parts ? ' part ' + parts.join(', ') : ''), () => api('POST', 'pad/kits', { code, parts, pad }));
    return run('placed card ' + code, () => api('POST', 'pad/cards', { identifier: code, pad }));
  }

  $('place-form').addEventListener('submit', (e) => {
    e.preventDefault();
    place('item', $('place-code').value);
  });
  for (const b of document.querySelectorAll('#place-form button[type=button]')) {
    b.addEventListener('click', () => place(b.dataset.place, $('place-code').value));
  }
  $('clear-pad').addEventListener('click', () => run('pad cleared', () => api('POST', 'pad/clear', { pad: selected.pad })));

  // ------------------------------------------------------------------------------------ scanner

  function scan(code) {
    code = (code || '').trim();
    if (!code) return toast('Type a code to scan', true);
    return run('scanned ' + code, () => api('POST', 'scan', { code, symbology: $('scan-symbology').value, scanner: selected.scanner }));
  }
  $('scan-form').addEventListener('submit', (e) => {
    e.preventDefault();
    scan($('scan-code').value);
  });

  // ------------------------------------------------------------------------------------ printer

  function renderPrinter() {
    const printers = state.printers;
    fillSelect($('printer-select'), printers.map((p) => p.id), 'printer');
    const p = printers.find((x) => x.id === selected.printer);
    badge($('printer-state'), p ? deviceStatus(p.id) : null);
    const buttons = document.querySelectorAll('[data-printer]');
    for (const b of buttons) b.disabled = !p;
    if (!p) {
      $('printer-status').textContent = 'No simulated printer is configured.';
      return;
    }
    const s = p.simulator;
    const paper = s.paperEnd ? 'paper out' : s.paperNearEnd ? 'paper near end' : 'paper ok';
    $('printer-status').textContent = [paper, s.coverOpen ? 'cover open' : 'cover closed', 'drawer ' + (s.drawerOpen ? 'OPEN' : 'closed'), s.plugged ? null : 'unplugged']
      .filter(Boolean)
      .join(' · ');
    $('drawer-close').disabled = !s.drawerOpen;
    $('n-receipts').textContent = '(' + p.receipts + ')';
    if (p.receipts !== receiptsShown) loadReceipts(p.id, p.receipts);
  }

  async function loadReceipts(id, count) {
    receiptsShown = count;
    try {
      const receipts = await api('GET', 'printer/receipts?printer=' + encodeURIComponent(id));
      const box = $('receipts');
      if (receipts.length === 0) return box.replaceChildren(h('div', { class: 'empty' }, 'Nothing printed yet.'));
      box.replaceChildren(
        ...receipts
          .slice()
          .reverse()
          .map((r) =>
            h(
              'figure',
              { class: 'receipt' },
              svgImage(r.svg, 'Receipt ' + r.index),
              h('figcaption', {}, h('span', {}, 'Receipt #' + r.index), h('details', {}, h('summary', {}, 'text'), h('pre', {}, r.text))),
            ),
          ),
      );
    } catch (e) {
      receiptsShown = -1;
      toast(e.message, true);
    }
  }

  for (const b of document.querySelectorAll('[data-printer]')) {
    b.addEventListener('click', () => run(null, () => api('POST', 'printer/' + b.dataset.printer, { printer: selected.printer })));
  }

  // ------------------------------------------------------------------------------------- tablet

  function renderTablet() {
    const tablets = state.tablets;
    fillSelect($('tablet-select'), tablets.map((t) => t.id), 'tablet');
    const t = tablets.find((x) => x.id === selected.tablet);
    badge($('tablet-state'), t ? deviceStatus(t.id) : null);
    for (const b of document.querySelectorAll('[data-tablet]')) b.disabled = !t;
    if (!t) {
      $('tablet-status').textContent = 'No simulated signature tablet is configured.';
      return;
    }
    const page = t.page;
    $('tablet-status').textContent =
      (t.model === 'wacom-stu' ? 'Wacom STU' : 'signotec') +
      ' · ' +
      (page ? 'showing page ' + (page.index + 1) + ' of ' + page.count + (page.signing ? ' (signing)' : '') : 'idle (waiting for the kiosk to ask for a signature)') +
      (t.capture.running ? ' · test capture running' : '') +
      (t.plugged ? '' : ' · unplugged');
    document.querySelector('[data-tablet="test-capture"]').disabled = t.capture.running;
    const sig = JSON.stringify([t.id, page, t.capture.running, t.capture.result && t.capture.result.status, t.plugged]);
    if (sig !== lastTablet) {
      lastTablet = sig;
      renderCapture(t.capture.result);
      if (t.model === 'wacom-stu') loadScreen(t.id);
      else $('tablet-screen-box').hidden = true;
    }
  }

  function renderCapture(result) {
    const box = $('capture');
    if (!result) return box.replaceChildren();
    if (result.status === 'signed') {
      box.replaceChildren(h('h3', {}, 'Last test capture: signed'), svgImage(result.svg, 'The captured signature'), h('div', { class: 'sub' }, result.pointCount + ' pen points, ' + result.pagesShown + ' pages shown'));
    } else if (result.status === 'error') {
      box.replaceChildren(h('h3', {}, 'Last test capture failed'), h('div', { class: 'sub' }, result.message));
    } else {
      box.replaceChildren(h('h3', {}, 'Last test capture: ' + result.status));
    }
  }

  async function loadScreen(id) {
    try {
      const res = await fetch('api/tablet/screen.png?tablet=' + encodeURIComponent(id) + '&t=' + Date.now());
      const boxEl = $('tablet-screen-box');
      if (res.status !== 200) return void (boxEl.hidden = true);
      const url = URL.createObjectURL(await res.blob());
      const img = $('tablet-screen');
      if (img.dataset.url) URL.revokeObjectURL(img.dataset.url);
      img.src = url;
      img.dataset.url = url;
      boxEl.hidden = false;
    } catch {
      // the screen is a nicety; the status line says what matters
    }
  }

  for (const b of document.querySelectorAll('[data-tablet]')) {
    b.addEventListener('click', () => {
      b.disabled = true;
      run(null, () => api('POST', 'tablet/' + b.dataset.tablet, { tablet: selected.tablet })).finally(() => (b.disabled = false));
    });
  }

  // ------------------------------------------------------------------------------------- locker

  function lockerAction(action, body, what) {
    return run(what, () => api('POST', 'locker/' + action, Object.assign({ locker: selected.locker }, body)));
  }

  function renderLocker() {
    const lockers = state.lockers || [];
    fillSelect($('locker-select'), lockers.map((l) => l.id), 'locker');
    const l = lockers.find((x) => x.id === selected.locker);
    badge($('locker-state'), l ? deviceStatus(l.id) : null);
    for (const b of document.querySelectorAll('[data-locker-all]')) b.disabled = !l;
    if (!l) {
      $('locker-status').textContent = 'No simulated locker is configured.';
      $('locker-boards').replaceChildren();
      $('locker-doors').replaceChildren();
      return;
    }
    const open = l.doors.filter((d) => d.open).length;
    $('locker-status').textContent =
      l.doors.length + ' doors on ' + l.boards.length + ' board' + (l.boards.length === 1 ? '' : 's') + ' · ' + open + ' open' + (l.plugged ? '' : ' · unplugged');
    $('locker-boards').replaceChildren(
      ...l.boards.map((b) =>
        h(
          'li',
          {},
          h('div', { class: 'main' }, h('div', { class: 'title' }, 'Board ' + b.address), h('div', { class: 'sub' }, b.doors + ' doors', b.silent ? h('span', { class: 'tag warn' }, 'not answering') : h('span', { class: 'tag ok' }, 'answering'))),
          h(
            'div',
            { class: 'do' },
            h(
              'button',
              { class: 'small secondary', onclick: () => lockerAction('board-silent', { board: b.address, on: !b.silent }, 'board ' + b.address + (b.silent ? ' answers again' : ' stopped answering')) },
              b.silent ? 'Answer again' : 'Board silent',
            ),
          ),
        ),
      ),
    );
    $('locker-doors').replaceChildren(
      ...l.doors.map((d) => {
        const name = (l.boards.length > 1 ? d.board + '/' : '') + String(d.lock).padStart(2, '0');
        return h(
          'li',
          { 'data-door': d.board + '/' + d.lock },
          h('span', { class: 'door-no' }, 'Door ' + name),
          h(
            'div',
            { class: 'main sub' },
            d.open ? h('span', { class: 'tag warn' }, 'open') : h('span', { class: 'tag ok' }, 'closed'),
            d.locked ? h('span', { class: 'tag' }, 'locked') : h('span', { class: 'tag warn' }, 'unlocked'),
            d.jammed ? h('span', { class: 'tag warn' }, 'jammed') : null,
          ),
          h(
            'div',
            { class: 'do' },
            d.open
              ? h('button', { class: 'small', onclick: () => lockerAction('close-door', { board: d.board, lock: d.lock }, 'door ' + name + ' closed') }, 'Close')
              : h('button', { class: 'small danger', onclick: () => lockerAction('force-open', { board: d.board, lock: d.lock }, 'door ' + name + ' forced open') }, 'Force open'),
            h(
              'button',
              { class: 'small secondary', onclick: () => lockerAction('jam', { board: d.board, lock: d.lock, on: !d.jammed }, 'door ' + name + (d.jammed ? ' freed' : ' jammed')) },
              d.jammed ? 'Unjam' : 'Jam',
            ),
          ),
        );
      }),
    );
  }

  for (const b of document.querySelectorAll('[data-locker-all]')) {
    b.addEventListener('click', () => lockerAction(b.dataset.lockerAll, {}, 'the next reply will be corrupt'));
  }

  // ---------------------------------------------------------------------------------- catalogue

  let tab = 'items';
  let catalogue = null;

  for (const b of document.querySelectorAll('.tabs button')) {
    b.addEventListener('click', () => {
      tab = b.dataset.tab;
      for (const o of document.querySelectorAll('.tabs button')) o.setAttribute('aria-selected', String(o === b));
      renderCatalogue();
    });
  }

  let searchTimer;
  $('q').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadCatalogue, 150);
  });

  async function loadCatalogue() {
    try {
      catalogue = await api('GET', 'catalogue?limit=200&q=' + encodeURIComponent($('q').value));
      $('n-items').textContent = '(' + catalogue.total.items + ')';
      $('n-kits').textContent = '(' + catalogue.total.kits + ')';
      $('n-patrons').textContent = '(' + catalogue.total.patrons + ')';
      renderCatalogue();
    } catch (e) {
      toast(e.message, true);
    }
  }

  function renderCatalogue() {
    const list = $('catalogue');
    if (!catalogue) return;
    let rows;
    if (tab === 'items') {
      rows = catalogue.items.map((i) =>
        h(
          'li',
          {},
          h(
            'div',
            { class: 'main' },
            h('div', { class: 'title', title: i.title }, short(i.title, 70)),
            h(
              'div',
              { class: 'sub' },
              h('span', {}, i.barcode),
              i.author ? h('span', {}, short(i.author, 30)) : null,
              h('span', {}, i.materialType),
              i.kit ? h('span', { class: 'tag' }, i.kit.code + ' ' + i.kit.partNumber + '/' + i.kit.partsTotal) : null,
              i.onLoanTo ? h('span', { class: 'tag warn' }, 'on loan') : null,
              i.note ? h('span', { title: i.note }, '· ' + short(i.note, 40)) : null,
            ),
          ),
          h(
            'div',
            { class: 'do' },
            h('button', { class: 'small', onclick: () => place('item', i.barcode) }, 'On pad'),
            h('button', { class: 'small secondary', onclick: () => scan(i.barcode) }, 'Scan'),
          ),
        ),
      );
    } else if (tab === 'kits') {
      rows = catalogue.kits.map((k) =>
        h(
          'li',
          {},
          h(
            'div',
            { class: 'main' },
            h('div', { class: 'title', title: k.title }, k.code + ' · ' + short(k.title, 60)),
            h(
              'div',
              { class: 'sub' },
              k.parts.map((b, n) =>
                h('button', { class: 'small secondary', title: k.partTitles[n] + ' (' + b + ')', onclick: () => place('kit', k.code, [n + 1]) }, 'part ' + (n + 1) + '/' + k.parts.length),
              ),
            ),
          ),
          h('div', { class: 'do' }, h('button', { class: 'small', onclick: () => place('kit', k.code) }, 'Whole kit')),
        ),
      );
    } else {
      rows = catalogue.patrons.map((p) => {
        const uid = p.altIds.find((a) => /^[0-9A-F]{16}$/i.test(a));
        return h(
          'li',
          {},
          h(
            'div',
            { class: 'main' },
            h('div', { class: 'title' }, p.name + ' · ' + p.barcode),
            h('div', { class: 'sub' }, h('span', {}, p.category), uid ? h('span', { class: 'tag' }, 'RFID card ' + uid) : null, p.note ? h('span', { title: p.note }, short(p.note, 60)) : null),
          ),
          h(
            'div',
            { class: 'do' },
            h('button', { class: 'small', onclick: () => place('card', uid || p.barcode) }, 'Card on pad'),
            h('button', { class: 'small secondary', onclick: () => scan(p.barcode) }, 'Scan card'),
          ),
        );
      });
    }
    list.replaceChildren(...(rows.length ? rows : [h('li', { class: 'empty' }, 'Nothing matches.')]));
  }

  // -------------------------------------------------------------------------------- live updates

  function render() {
    if (!state) return;
    renderDevices();
    renderPad();
    fillSelect($('scanner-select'), state.simulators.filter((s) => s.kind === 'scanner').map((s) => s.id), 'scanner');
    renderPrinter();
    renderTablet();
    renderLocker();
  }

  let refreshTimer;
  let refreshing = false;
  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 80);
  }

  async function refresh() {
    if (refreshing) return scheduleRefresh();
    refreshing = true;
    try {
      state = await api('GET', 'state');
      render();
    } catch (e) {
      $('live').textContent = 'daemon unreachable';
      $('live').className = 'live';
    } finally {
      refreshing = false;
    }
  }

  function connect() {
    if (!window.EventSource) return setInterval(refresh, 2000);
    const events = new EventSource('api/events');
    events.addEventListener('open', () => {
      $('live').textContent = 'live';
      $('live').className = 'live on';
      refresh();
    });
    events.addEventListener('changed', scheduleRefresh);
    events.addEventListener('error', () => {
      $('live').textContent = 'reconnecting…';
      $('live').className = 'live';
    });
  }

  // Retry countdowns tick between events (only while one is running: re-rendering replaces the buttons).
  setInterval(() => state && state.devices.some((d) => d.retry && d.retry.nextAt) && renderDevices(), 1000);
  // A slow safety net in case an event was missed.
  setInterval(refresh, 10000);

  loadCatalogue();
  refresh();
  connect();
})();
