/**
 * A WebSocket "cable" between a driver and a simulated server, so the server can be unplugged and
 * plugged back in at the same URL.
 *
 * Why: the signotec driver is built with one STPadServer URL, and the signotec simulator listens on
 * a fresh ephemeral port each time it starts and cannot bring a pad back after `disconnectPad()`.
 * This relay listens on its own fixed port and forwards every connection to the simulator. Unplugged,
 * it drops the connections (the driver sees the pad server go away) and refuses new ones during the
 * handshake (the driver's open fails), exactly as a stopped STPadServer would; replugged, it
 * accepts again.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export class WebSocketPlug {
  #server: WebSocketServer | null = null;
  #plugged = true;
  readonly #pairs = new Set<{ client: WebSocket; upstream: WebSocket }>();

  constructor(private readonly target: string) {}

  get plugged(): boolean {
    return this.#plugged;
  }

  /** Listens on 127.0.0.1 (ephemeral port); resolves with the ws:// URL for the driver. */
  async start(): Promise<string> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, verifyClient: () => this.#plugged });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    server.on('connection', (client) => this.#relay(client));
    this.#server = server;
    return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  #relay(client: WebSocket): void {
    const upstream = new WebSocket(this.target);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const queued: string[] = [];
    client.on('message', (data) => {
      const text = String(data);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else queued.push(text);
    });
    upstream.on('open', () => {
      for (const text of queued.splice(0)) upstream.send(text);
    });
    upstream.on('message', (data) => {
      if (client.readyState === WebSocket.OPEN) client.send(String(data));
    });
    const end = (): void => {
      this.#pairs.delete(pair);
      client.terminate();
      upstream.terminate();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', () => {});
    upstream.on('error', () => {});
  }

  unplug(): void {
    this.#plugged = false;
    for (const { client, upstream } of [...this.#pairs]) {
      client.terminate();
      upstream.terminate();
    }
    this.#pairs.clear();
  }

  replug(): void {
    this.#plugged = true;
  }

  async stop(): Promise<void> {
    this.unplug();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
