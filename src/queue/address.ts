// Where the job queue's Redis is: a redis://HOST:PORT/DB URL, checked before anything connects (and
// without loading a Redis client, so every command can check the flag cheaply).

/** Where the queue's Redis is. */
export interface QueueAddress {
  /** For messages: redis://HOST:PORT/DB, without a password. */
  url: string;
  host: string;
  port: number;
  db: number;
  /** Redis ACL user and password (redis://USER:PASSWORD@HOST...), when given. */
  username?: string;
  password?: string;
}

/** The form a queue URL takes, for messages. */
export const QUEUE_URL_SYNTAX = 'redis://HOST:PORT/DB, e.g. redis://127.0.0.1:6379/0';

/** The address in `url`, or a one-line problem. */
export function parseQueueUrl(url: string): QueueAddress | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `expected ${QUEUE_URL_SYNTAX}; got "${url}"`;
  }
  if (parsed.protocol !== 'redis:') return `expected a redis:// URL (${QUEUE_URL_SYNTAX}); got "${url}"`;
  if (parsed.search || parsed.hash) return `expected only a host, port and database number (${QUEUE_URL_SYNTAX}); got "${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search}${parsed.hash}"`;
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  if (!/^\d{0,2}$/.test(dbText)) return `database "${dbText}" is not a number (${QUEUE_URL_SYNTAX})`;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return `no host in "${url}" (${QUEUE_URL_SYNTAX})`;
  const db = dbText === '' ? 0 : Number(dbText);
  return {
    url: `redis://${parsed.host}/${db}`,
    host,
    port,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}
