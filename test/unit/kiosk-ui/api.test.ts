/**
 * The kiosk's socket client: every command that changes something carries an idempotency key made
 * when the patron acts, and a command whose answer was lost with the connection is sent again on
 * reconnect with the same key (so the daemon answers with the first outcome, never a second loan).
 * A fake socket stands in for socket.io (the same surface: on, connected, timeout().emit()).
 */
import { describe, expect, it } from 'vitest';
import { KioskApi, type KioskSocket } from '../../../kiosk-ui/api.ts';

type Ack = (err: Error | null, reply: unknown) => void;

class FakeSocket {
  connected = true;
  sent: Array<{ name: string; args: Record<string, unknown>; ack: Ack }> = [];
  private handlers = new Map<string, Array<() => void>>();
  on(event: string, fn: () => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  timeout(_ms: number) {
    return { emit: (name: string, args: Record<string, unknown>, ack: Ack) => void this.sent.push({ name, args, ack }) };
  }
  fire(event: string) {
    for (const fn of this.handlers.get(event) ?? []) fn();
  }
  drop() {
    this.connected = false;
    this.fire('disconnect');
  }
  reconnect() {
    this.connected = true;
    this.fire('connect');
  }
}

function setup() {
  const socket = new FakeSocket();
  const api = new KioskApi({ socket: socket as unknown as KioskSocket });
  return { socket, api };
}

const done = { ok: true, data: { barcode: 'B1', status: 'done' } };

describe('KioskApi', () => {
  it('gives each checkout its own idempotency key and resolves with the daemon\'s answer', async () => {
    const { socket, api } = setup();
    const first = api.command('session.checkout', { barcode: 'B1' });
    const second = api.command('session.checkout', { barcode: 'B2' });
    expect(socket.sent.map((s) => s.name)).toEqual(['session.checkout', 'session.checkout']);
    const [a, b] = socket.sent.map((s) => s.args.key as string);
    expect(a).toMatch(/^[0-9a-f-]{32,36}$/);
    expect(a).not.toBe(b);
    socket.sent[0]!.ack(null, done);
    await expect(first).resolves.toEqual(done);
    socket.sent[1]!.ack(null, { ok: true, data: { barcode: 'B2', status: 'done' } });
    await expect(second).resolves.toMatchObject({ ok: true });
  });

  it('resends on reconnect with the same key when the answer was lost with the connection', async () => {
    const { socket, api } = setup();
    const pending = api.command('session.checkout', { barcode: 'B1' });
    const original = socket.sent[0]!;
    socket.drop();
    // The first emission's ack times out later; that must not settle the command.
    original.ack(new Error('operation has timed out'), undefined);
    socket.reconnect();
    expect(socket.sent).toHaveLength(2);
    expect(socket.sent[1]!.args).toEqual(original.args);
    socket.sent[1]!.ack(null, done);
    await expect(pending).resolves.toEqual(done);
  });

  it('holds a command made while disconnected until the connection is back', async () => {
    const { socket, api } = setup();
    socket.drop();
    const pending = api.command('session.renew', { barcodes: 'all' });
    expect(socket.sent).toHaveLength(0);
    socket.reconnect();
    expect(socket.sent).toHaveLength(1);
    expect(socket.sent[0]!.args).toMatchObject({ barcodes: 'all', key: expect.any(String) });
    socket.sent[0]!.ack(null, { ok: true, data: [] });
    await expect(pending).resolves.toEqual({ ok: true, data: [] });
  });

  it('reports a command that got no answer on a live connection as failed', async () => {
    const { socket, api } = setup();
    const pending = api.command('session.account', {});
    expect(socket.sent[0]!.args).toEqual({}); // no key: the account view changes nothing
    socket.sent[0]!.ack(new Error('operation has timed out'), undefined);
    await expect(pending).resolves.toMatchObject({ ok: false, error: { code: 'timeout' } });
  });
});
