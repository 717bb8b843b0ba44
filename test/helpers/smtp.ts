/**
 * A real SMTP server on 127.0.0.1 (smtp-server) for the tests of e-mailed receipts and notices:
 * each message as it arrived (headers and body) and the envelope's recipients, in order.
 */
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  port: number;
  /** Each message's raw text, oldest first. Clear it with `mails.length = 0` (recipients likewise). */
  mails: string[];
  /** Each message's envelope recipients (RCPT TO), beside `mails`. */
  recipients: string[][];
  close(): Promise<void>;
}

export async function startSmtpServer(): Promise<TestSmtp> {
  const mails: string[] = [];
  const recipients: string[][] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (d: Buffer) => chunks.push(d));
      stream.on('end', () => {
        // Decoded whole: a character split between two chunks stays one character.
        mails.push(Buffer.concat(chunks).toString('utf8'));
        recipients.push(session.envelope.rcptTo.map((r) => r.address));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return { port, mails, recipients, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
