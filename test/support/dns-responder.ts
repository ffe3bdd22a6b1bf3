import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';

/**
 * A DNS server for tests: UDP and TCP on the same 127.0.0.1 port, answering TXT queries for the
 * names set (case-insensitive) from memory, authoritatively. A name not set is NXDOMAIN
 * (ENOTFOUND from Node's resolver); a name set but asked for another type has no data (ENODATA).
 *
 * Each value set is one TXT record; one longer than 255 bytes is split into character-strings,
 * which `resolveTxt` returns as the chunks of that record. An answer too big for the UDP
 * payload the client accepts goes out truncated, and the client asks again over TCP.
 */

export interface DnsResponder {
  /** '127.0.0.1:<port>', for `Resolver#setServers`. */
  readonly address: string;
  /** Replaces the TXT records of `name`; an empty list leaves the name existing with no TXT record. */
  setTxt(name: string, values: string[]): void;
  /** Forgets every name. */
  clear(): void;
  close(): Promise<void>;
}

const NXDOMAIN = 3;
const OPCODE_BITS = 0x7800;
const CLASSIC_UDP_PAYLOAD = 512;

export async function startDnsResponder(): Promise<DnsResponder> {
  const records = new Map<string, string[]>();
  const normalize = (name: string) => name.toLowerCase().replace(/\.$/, '');

  const answer = (query: dnsPacket.DecodedPacket): dnsPacket.Packet => {
    const question = query.questions?.[0];
    const values = question ? records.get(normalize(question.name)) : undefined;
    // The header flags hold the opcode and recursion-desired bit the client sent, and the rcode in the low four bits.
    const echoed = (query.flags ?? 0) & (OPCODE_BITS | dnsPacket.RECURSION_DESIRED);
    return {
      type: 'response',
      id: query.id,
      flags: echoed | dnsPacket.AUTHORITATIVE_ANSWER | (values ? 0 : NXDOMAIN),
      questions: query.questions ?? [],
      answers:
        question?.type === 'TXT' && values
          ? values.map((value) => ({ type: 'TXT' as const, name: question.name, ttl: 0, data: characterStrings(value) }))
          : [],
    };
  };

  const onDatagram = (udp: UdpSocket) => (message: Buffer, peer: RemoteInfo) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const response = answer(query);
    let bytes = dnsPacket.encode(response);
    const opt = query.additionals?.find((record) => record.type === 'OPT');
    const limit = Math.max(CLASSIC_UDP_PAYLOAD, opt?.type === 'OPT' ? opt.udpPayloadSize : 0);
    if (bytes.length > limit) {
      bytes = dnsPacket.encode({ ...response, flags: (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE, answers: [] });
    }
    udp.send(bytes, peer.port, peer.address);
  };

  const connections = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      // Each message is prefixed by its length in two bytes; several may arrive in one chunk, or one across several.
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + message.length);
        try {
          socket.write(dnsPacket.streamEncode(answer(dnsPacket.decode(message))));
        } catch {
          socket.destroy();
          return;
        }
      }
    });
  };

  const { udp, tcp, port } = await listenOnOnePort(onDatagram, onConnection);

  return {
    address: `127.0.0.1:${port}`,
    setTxt(name, values) {
      records.set(normalize(name), [...values]);
    },
    clear() {
      records.clear();
    },
    async close() {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve, reject) => tcp.close((error) => (error ? reject(error) : resolve()))),
      ]);
    },
  };
}

/** A resolver falls back to TCP at the address it queried over UDP: both must share the port. */
async function listenOnOnePort(
  onDatagram: (udp: UdpSocket) => (message: Buffer, peer: RemoteInfo) => void,
  onConnection: (socket: Socket) => void,
): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (let attempt = 0; ; attempt += 1) {
    const udp = createSocket('udp4');
    udp.on('message', onDatagram(udp));
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const { port } = udp.address();
    const tcp = createServer(onConnection);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port };
    } catch (error) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      // The ephemeral UDP port is sometimes taken for TCP by something else: another port then.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw error;
    }
  }
}

/** A TXT record's data: character-strings of at most 255 bytes each. */
function characterStrings(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += 255) chunks.push(bytes.subarray(offset, offset + 255));
  return chunks.length ? chunks : [Buffer.alloc(0)];
}
