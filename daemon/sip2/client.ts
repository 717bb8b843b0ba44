/**
 * A SIP2 client (the SC side): used by `kiosk sip2`, by the upstream backend, and by the tests.
 * One request at a time per connection; with error detection it numbers requests (AY), checks the
 * reply's checksum, asks for a resend (97) of a corrupt reply, and retransmits on 96.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import {
  decode,
  encode,
  nextSequenceNumber,
  Sip2Framer,
  type Sip2DecodeResult,
  type Sip2Request,
  type Sip2Response,
} from '../../protocols/sip2/index.ts';

export interface Sip2ClientOptions {
  host: string;
  port: number;
  tls?: boolean | ConnectionOptions;
  charset?: string;
  terminator?: 'CR' | 'CRLF';
  errorDetection?: boolean;
  /** How long to wait for a reply before giving up on the request. */
  timeoutMs?: number;
  /** Resends (97) and retransmissions (after 96) allowed per request. */
  retries?: number;
  connectTimeoutMs?: number;
}

export class Sip2ClientError extends Error {
  constructor(
    readonly code: 'timeout' | 'closed' | 'connect' | 'corrupt' | 'refused',
    message: string,
  ) {
    super(message);
    this.name = 'Sip2ClientError';
  }
}

interface Pending {
  resolve: (bytes: Uint8Array) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Sip2Client {
  private readonly framer = new Sip2Framer({ maxLength: 1 << 20 });
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private closedError: Error | null = null;
  /** The raw bytes of every frame sent and received, for `kiosk sip2` and tests. */
  readonly transcript: Array<{ dir: '>' | '<'; bytes: Uint8Array }> = [];

  private constructor(
    private readonly socket: Socket,
    readonly options: Required<Omit<Sip2ClientOptions, 'tls'>> & { tls: Sip2ClientOptions['tls'] },
  ) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk)) {
        if (frame.type !== 'message') continue;
        this.transcript.push({ dir: '<', bytes: frame.bytes });
        const p = this.pending;
        if (!p) continue; // an unsolicited line: SIP2 has none; ignore it
        this.pending = null;
        clearTimeout(p.timer);
        p.resolve(frame.bytes);
      }
    });
    const onGone = (e?: Error) => {
      this.closedError = new Sip2ClientError('closed', e ? `connection lost: ${e.message}` : 'connection closed by the server');
      const p = this.pending;
      this.pending = null;
      if (p) {
        clearTimeout(p.timer);
        p.reject(this.closedError);
      }
    };
    socket.on('error', onGone);
    socket.on('close', () => onGone());
  }

  static connect(opts: Sip2ClientOptions): Promise<Sip2Client> {
    const o = {
      charset: 'utf-8',
      terminator: 'CR' as const,
      errorDetection: false,
      timeoutMs: 5000,
      retries: 2,
      connectTimeoutMs: 5000,
      ...opts,
    };
    return new Promise((resolve, reject) => {
      const socket = o.tls
        ? tlsConnect({ host: o.host, port: o.port, ...(typeof o.tls === 'object' ? o.tls : {}) })
        : tcpConnect({ host: o.host, port: o.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Sip2ClientError('connect', `no connection to ${o.host}:${o.port} within ${o.connectTimeoutMs} ms`));
      }, o.connectTimeoutMs);
      const ready = o.tls ? 'secureConnect' : 'connect';
      socket.once(ready, () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new Sip2Client(socket, o as Sip2Client['options']));
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new Sip2ClientError('connect', `cannot connect to ${o.host}:${o.port}: ${e.message}`));
      });
    });
  }

  get connected(): boolean {
    return !this.closedError && !this.socket.destroyed;
  }

  /** Sends bytes as they are and waits for the next frame. */
  private exchange(bytes: Uint8Array): Promise<Uint8Array> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new Sip2ClientError('timeout', `no reply within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending = { resolve, reject, timer };
      this.transcript.push({ dir: '>', bytes });
      this.socket.write(bytes);
    });
  }

  /** Sends a raw line (a terminator is added if missing) and returns the raw reply. */
  raw(line: string | Uint8Array): Promise<Uint8Array> {
    const run = async () => {
      let bytes = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
      const last = bytes[bytes.length - 1];
      if (last !== 0x0d && last !== 0x0a) bytes = Buffer.concat([Buffer.from(bytes), Buffer.from(this.options.terminator === 'CRLF' ? '\r\n' : '\r')]);
      return this.exchange(bytes);
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Sends a request and returns the decoded reply, handling 96/97 and sequence numbers. */
  send(message: Sip2Request): Promise<Sip2Response> {
    const run = async (): Promise<Sip2Response> => {
      const seq = this.seq;
      this.seq = nextSequenceNumber(this.seq);
      const o = this.options;
      const request = encode(message, { charset: o.charset, terminator: o.terminator, errorDetection: o.errorDetection, sequenceNumber: seq });
      let bytes = await this.exchange(request.bytes);
      for (let attempt = 0; ; attempt++) {
        const r: Sip2DecodeResult = decode(bytes, { charset: o.charset, errorDetection: o.errorDetection ? 'auto' : 'off' });
        if (r.ok && r.message.code === '96') {
          if (attempt >= o.retries) throw new Sip2ClientError('refused', 'the server keeps asking for a resend (96)');
          bytes = await this.exchange(request.bytes); // our request was corrupt: send it again
          continue;
        }
        if (!r.ok) {
          if (attempt >= o.retries) throw new Sip2ClientError('corrupt', `corrupt reply: ${r.errors.map((e) => e.message).join('; ')}`);
          bytes = await this.exchange(encode({ code: '97' }, { charset: o.charset, terminator: o.terminator, errorDetection: o.errorDetection }).bytes);
          continue;
        }
        if (o.errorDetection && r.sequenceNumber !== null && r.sequenceNumber !== seq) {
          // A late reply to an earlier request: discard it and wait for ours.
          bytes = await new Promise<Uint8Array>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Sip2ClientError('timeout', 'no reply with our sequence number')), o.timeoutMs);
            this.pending = { resolve, reject, timer };
          });
          continue;
        }
        return r.message as Sip2Response;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async login(user: string, password: string, location?: string): Promise<boolean> {
    const r = await this.send({ code: '93', uidAlgorithm: '0', pwdAlgorithm: '0', loginUserId: user, loginPassword: password, ...(location ? { locationCode: location } : {}) });
    return r.code === '94' && r.ok;
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
