import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';

/**
 * A real SMTP server on a local port (the smtp-server package), for the worker's nodemailer to
 * talk to as it would to a mail provider: the network edge of email, as fake-twilio.ts is of SMS.
 * It keeps every message it accepted (after the final dot of DATA), and lets a test refuse
 * recipients, hold the transaction at RCPT or after the data (before answering 250), to kill a
 * worker at those instants.
 */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** header names lower-cased, folded lines joined */
  headers: Map<string, string>;
  body: string;
  messageId: string;
}

export interface LocalSmtp {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** transactions whose data began but never ended (the client went away before the dot) */
  aborted: number;
  /** answer RCPT TO for this address with this SMTP code and text (e.g. 550 for a mailbox that does not exist) */
  rejectRcpt: Map<string, { code: number; message: string }>;
  /** while set, RCPT TO waits for it */
  holdRcpt: Promise<void> | null;
  /** while set, a message fully received (kept) waits for it before its 250 */
  holdAfterData: Promise<void> | null;
  /** resolves when the server has received (and kept) n messages in all */
  waitForCount(n: number, ms?: number): Promise<void>;
  /** resolves when a transaction has reached RCPT (and is being held there) */
  rcptReached(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

function parse(raw: string, from: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  return { from, to, raw, headers, body: raw.slice(split + 4), messageId: headers.get('message-id') ?? '' };
}

export async function startLocalSmtp(): Promise<LocalSmtp> {
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const rcptWaiters: Array<() => void> = [];
  const state: LocalSmtp = {
    url: '',
    port: 0,
    received: [],
    aborted: 0,
    rejectRcpt: new Map(),
    holdRcpt: null,
    holdAfterData: null,
    waitForCount: (n, ms = 15_000) =>
      new Promise((resolve, reject) => {
        if (state.received.length >= n) return resolve();
        const t = setTimeout(() => reject(new Error(`the SMTP server got ${state.received.length} messages, not ${n}`)), ms);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve();
          },
        });
      }),
    rcptReached: () => new Promise((resolve) => rcptWaiters.push(resolve)),
    reset() {
      state.received.length = 0;
      state.aborted = 0;
      state.rejectRcpt.clear();
      state.holdRcpt = null;
      state.holdAfterData = null;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    // close() waits this long for clients to leave (a killed worker's never say QUIT)
    closeTimeout: 200,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      for (const w of rcptWaiters.splice(0)) w();
      const go = () => {
        const r = state.rejectRcpt.get(address.address.toLowerCase());
        if (r) return callback(Object.assign(new Error(r.message), { responseCode: r.code }));
        callback();
      };
      if (state.holdRcpt) void state.holdRcpt.then(go);
      else go();
    },
    onData(stream: SMTPServerDataStream, session, callback) {
      const chunks: Buffer[] = [];
      let ended = false;
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('close', () => {
        if (!ended) state.aborted++;
      });
      stream.on('end', () => {
        ended = true;
        // the final dot arrived: this server has the message (a real one would queue it now)
        const mail = parse(
          Buffer.concat(chunks).toString('utf8'),
          session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
        );
        state.received.push(mail);
        for (const w of [...waiters]) {
          if (state.received.length < w.n) continue;
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        const answer = () => callback(null, `OK queued as ${state.received.length}`);
        if (state.holdAfterData) void state.holdAfterData.then(answer);
        else answer();
      });
    },
  });
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.port = (server.server.address() as AddressInfo).port;
  state.url = `smtp://127.0.0.1:${state.port}`;
  return state;
}
