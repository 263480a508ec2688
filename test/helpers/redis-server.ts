// A real redis-server for the queue tests: Debian's, on a free loopback port in a temporary directory, with
// append-only persistence (what a deployment that must survive a Redis restart needs), stopped and
// restarted by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's redis-server package puts the server; .ci/run installs it when it is missing. */
export const REDIS_SERVER = '/usr/bin/redis-server';

/** A redis-server the test controls. */
export interface RedisServer {
  port: number;
  /** redis://127.0.0.1:PORT/0 */
  url: string;
  /** Its data directory (the append-only file lives here). */
  dir: string;
  /** Stop it as an operator would (SIGTERM: it writes its append-only file and exits). */
  stop(): Promise<void>;
  /** Start it again on the same port and directory. */
  start(): Promise<void>;
}

/** A loopback port that nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('internal: no port');
  return address.port;
}

/** True once the server answers PING. */
async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/** Start a redis-server; call `stop()` when done. */
export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new Error(`${REDIS_SERVER} is missing: apt-get install redis-server (.ci/run does)`);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lego-redis-'));
  let child: ChildProcess | null = null;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    dir,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--logfile', join(dir, 'redis.log')];
      child = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
      const deadline = Date.now() + 10_000;
      while (!(await answers(port))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port} (see ${join(dir, 'redis.log')})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    },
  };
  await server.start();
  return server;
}
