import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server for tests and the bench: smtp-server on 127.0.0.1, plain text
 * (no TLS, no STARTTLS), authentication optional. It accepts everything and records
 * each message: the envelope, the raw source, and what a test asserts on (Subject,
 * Message-ID, the text/plain part), parsed here from the RFC 822 source because no
 * MIME parser is installed.
 *
 * `stop()` closes the listener (connections are refused: an SMTP outage) and
 * `start()` listens again on the same port (the server is back).
 *
 * smtp-server holds its 220 greeting back for 100 ms on every connection (its
 * early-talker check, not configurable), and Tessera's worker opens one connection
 * per message: expect about ten messages a second per worker.
 */

export interface ReceivedMessage {
  /** Envelope sender (MAIL FROM). */
  mailFrom: string;
  /** Envelope recipients (RCPT TO), as given. */
  recipients: string[];
  /** The message as received, CRLF line ends, dot-stuffing removed. */
  raw: string;
  /** Header fields by lower-case name, unfolded and with encoded-words decoded; a repeated field keeps its first value. */
  headers: Map<string, string>;
  subject: string;
  messageId: string;
  /** The text/plain part (or the body of a single-part text message), transfer encoding undone. */
  text: string;
  /** The text/html part when there is one, transfer encoding undone. */
  html: string | undefined;
  /** Date.now() when the DATA command finished. */
  receivedAt: number;
}

export interface SmtpSink {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  readonly url: string;
  readonly port: number;
  /** Every message received so far, in arrival order (kept across stop/start). */
  readonly messages: ReceivedMessage[];
  /** Whether the listener is open. */
  readonly running: boolean;
  /** SMTP connections accepted so far. */
  connections(): number;
  /** Connection errors seen so far (a client killed mid-session shows up here as ECONNRESET). */
  readonly errors: readonly Error[];
  /** Resolves once at least `count` messages in all have arrived; rejects after timeoutMs, saying how many did. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Resolves once `predicate` holds for the messages received; rejects after timeoutMs. */
  waitUntil(predicate: (messages: readonly ReceivedMessage[]) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedMessage[]>;
  /** Closes the listener and drops open connections; a no-op when stopped. */
  stop(): Promise<void>;
  /** Listens again on the same port; a no-op when running. */
  start(): Promise<void>;
}

export interface SmtpOptions {
  /** Waits this long before answering the end of DATA (a slow relay); 0 by default. */
  dataDelayMs?: number;
}

export async function startSmtp(options: SmtpOptions = {}): Promise<SmtpSink> {
  const messages: ReceivedMessage[] = [];
  const waiters = new Set<() => void>();
  const errors: Error[] = [];
  let accepted = 0;
  let server: SMTPServer | undefined;
  let port = 0;

  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const create = () => {
    const created = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      disableReverseLookup: true,
      // Outage simulation: close() should not wait 30 s for clients to leave.
      closeTimeout: 200,
      size: 10 * 1024 * 1024,
      onConnect(_session, callback) {
        accepted += 1;
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', (error: Error) => callback(error));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const finish = () => {
            const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
            messages.push({
              mailFrom,
              recipients: session.envelope.rcptTo.map((address) => address.address),
              receivedAt: Date.now(),
              ...parseMessage(raw),
            });
            callback();
            notify();
          };
          if (options.dataDelayMs) setTimeout(finish, options.dataDelayMs);
          else finish();
        });
      },
    });
    // A client that dies mid-session (a SIGKILLed server) resets its connection: not the sink's failure.
    created.on('error', (error: Error) => errors.push(error));
    return created;
  };

  const listen = async (target: SMTPServer, onPort: number) =>
    new Promise<number>((resolve, reject) => {
      const net = target.server;
      const onError = (error: Error) => reject(error);
      net.once('error', onError);
      target.listen(onPort, '127.0.0.1', () => {
        net.off('error', onError);
        resolve((net.address() as AddressInfo).port);
      });
    });

  const sink: SmtpSink = {
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    messages,
    get running() {
      return server !== undefined;
    },
    connections: () => accepted,
    errors,

    waitFor(count, timeoutMs = 10_000) {
      return sink.waitUntil((received) => received.length >= count, timeoutMs, `${count} message(s)`);
    },

    waitUntil(predicate, timeoutMs = 10_000, what = 'the expected messages') {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SMTP: waited ${timeoutMs} ms for ${what}; ${messages.length} received in all`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },

    async stop() {
      const current = server;
      if (!current) return;
      server = undefined;
      // Open sessions get a 421 and are closed after closeTimeout; new connections are refused at once.
      await new Promise<void>((resolve) => current.close(() => resolve()));
    },

    async start() {
      if (server) return;
      const next = create();
      // A socket still in TIME_WAIT does not block the listener (SO_REUSEADDR), but be patient with a slow close.
      for (let attempt = 0; ; attempt += 1) {
        try {
          port = await listen(next, port);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      server = next;
    },
  };
  await sink.start();
  return sink;
}

// ---------------------------------------------------------------- RFC 822 / MIME, just enough

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitHeadersAndBody(source: string): Part {
  const match = /\r?\n\r?\n/.exec(source);
  const head = match ? source.slice(0, match.index) : source;
  const body = match ? source.slice(match.index + match[0].length) : '';
  const headers = new Map<string, string>();
  // Unfold: a line starting with white space continues the previous field.
  const unfolded = head.replace(/\r?\n(?=[ \t])/g, '');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** `text/plain; charset=utf-8; boundary="x"` → { type: 'text/plain', params: { charset, boundary } }. */
function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: 'text/plain', params: {} };
  const [type = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    params[param.slice(0, eq).trim().toLowerCase()] = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

function bytesToText(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

/** Quoted-printable (RFC 2045 §6.7) to bytes: soft line breaks removed, =XX decoded. */
export function decodeQuotedPrintable(text: string): Buffer {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i += 1) {
    const c = joined[i]!;
    const hex = joined.slice(i + 1, i + 3);
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const { params } = parseContentType(part.headers.get('content-type'));
  const bytes =
    encoding === 'quoted-printable'
      ? decodeQuotedPrintable(part.body)
      : encoding === 'base64'
        ? Buffer.from(part.body.replace(/\s+/g, ''), 'base64')
        : Buffer.from(part.body, 'utf8');
  return bytesToText(bytes, params.charset).replace(/\r\n/g, '\n');
}

/** RFC 2047 encoded-words (=?UTF-8?Q?...?= and =?UTF-8?B?...?=); white space between two adjacent ones is dropped. */
export function decodeEncodedWords(value: string): string {
  const word = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;
  return value.replace(/(=\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)\s+(?==\?[^?\s]+\?[QqBb]\?[^?\s]*\?=)/g, '$1').replace(
    word,
    (_whole, charset: string, encoding: string, encoded: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(encoded, 'base64')
          : decodeQuotedPrintable(encoded.replace(/_/g, ' '));
      // RFC 2231 language suffix: UTF-8*en
      return bytesToText(bytes, charset.split('*')[0]);
    },
  );
}

/** The leaf parts of a message, depth first; multipart containers are opened, others returned as they are. */
function leafParts(part: Part): Part[] {
  const { type, params } = parseContentType(part.headers.get('content-type'));
  if (!type.startsWith('multipart/') || !params.boundary) return [part];
  const delimiter = `--${params.boundary}`;
  const sections = part.body.split(new RegExp(`\\r?\\n?${escapeRegExp(delimiter)}`));
  // sections[0] is the preamble; a section starting with "--" is the closing delimiter and the epilogue.
  return sections
    .slice(1)
    .filter((section) => !section.startsWith('--'))
    .flatMap((section) => leafParts(splitHeadersAndBody(section.replace(/^[ \t]*\r?\n/, ''))));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function parseMessage(raw: string): Pick<ReceivedMessage, 'raw' | 'headers' | 'subject' | 'messageId' | 'text' | 'html'> {
  const top = splitHeadersAndBody(raw);
  const headers = new Map([...top.headers].map(([name, value]) => [name, decodeEncodedWords(value)]));
  const leaves = leafParts(top);
  const ofType = (wanted: string) => leaves.find((part) => parseContentType(part.headers.get('content-type')).type === wanted);
  const text = ofType('text/plain');
  const html = ofType('text/html');
  return {
    raw,
    headers,
    subject: headers.get('subject') ?? '',
    messageId: headers.get('message-id') ?? '',
    text: text ? decodeBody(text) : '',
    html: html ? decodeBody(html) : undefined,
  };
}
