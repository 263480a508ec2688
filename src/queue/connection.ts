// Clients of the Redis behind the job queue, as BullMQ needs them (in an ES module BullMQ 6 takes a
// constructed ioredis client). A client that loses Redis keeps retrying; the outage is reported once, as
// one line, and so is the recovery.
import { Redis } from 'ioredis';
import { InputError } from '../errors.js';
import type { QueueAddress } from './address.js';

/** A client of the queue's Redis, for code outside src/queue that passes one along. */
export type QueueClient = Redis;

/** Reports whether Redis can be reached, once per change, for all of one process's clients. */
export class Reachability {
  private down = false;

  constructor(
    private readonly address: QueueAddress,
    private readonly log: (line: string) => void,
  ) {}

  /** A client failed to reach Redis. */
  lost(e: Error): void {
    if (this.down) return;
    this.down = true;
    const code = (e as NodeJS.ErrnoException).code;
    this.log(`${this.address.url}: Redis unreachable (${code ?? e.message}); retrying, and the work goes on where it can`);
  }

  /** A client is connected (again). */
  reached(): void {
    if (!this.down) return;
    this.down = false;
    this.log(`${this.address.url}: Redis reachable again`);
  }
}

/**
 * A client of the queue's Redis. Its commands wait for Redis while it is unreachable (BullMQ needs
 * `maxRetriesPerRequest: null`), reconnecting every half second to two seconds for as long as `keepTrying`
 * says (default: always; the copies BullMQ makes of the client ask it too); `reachability`, when given,
 * hears of each outage and recovery (without it they pass silently).
 */
export function connect(address: QueueAddress, reachability?: Reachability, keepTrying: () => boolean = () => true): Redis {
  const client = new Redis({
    host: address.host,
    port: address.port,
    db: address.db,
    username: address.username,
    password: address.password,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => (keepTrying() ? Math.min(500 * times, 2000) : null),
    connectionName: 'lego',
  });
  // A listener must be there: ioredis prints every error of a client without one.
  client.on('error', () => {});
  if (reachability) watch(client, reachability);
  return client;
}

/** Report `client`'s outages and recoveries to `reachability`. */
export function watch(client: Redis, reachability: Reachability): void {
  client.on('error', (e: Error) => reachability.lost(e));
  client.on('ready', () => reachability.reached());
}

/**
 * Wait until `client` is connected, for commands that should fail rather than wait (a status query, a
 * submission). Throws InputError naming the URL after three failed attempts (about 1.5 s) or `timeoutMs`.
 */
export async function whenReachable(client: Redis, address: QueueAddress, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return;
  let onError: (e: Error) => void = () => {};
  let onReady: () => void = () => {};
  try {
    await new Promise<void>((resolve, reject) => {
      let failures = 0;
      let lastError = '';
      const fail = () => reject(new InputError(`${address.url}: cannot reach Redis${lastError ? ` (${lastError})` : ''}; is redis-server running there?`));
      const timer = setTimeout(fail, timeoutMs);
      onError = (e) => {
        lastError = (e as NodeJS.ErrnoException).code ?? e.message;
        if (++failures >= 3) {
          clearTimeout(timer);
          fail();
        }
      };
      onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      client.on('error', onError);
      client.once('ready', onReady);
    });
  } finally {
    client.off('error', onError);
    client.off('ready', onReady);
  }
}

/** Close a client, waiting for commands in flight when Redis is there, at once when it is not. */
export async function disconnect(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
  else client.disconnect();
}
