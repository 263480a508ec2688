// `lego serve`'s server, spoken to over loopback with node's HTTP client: the Host names it answers to (DNS
// rebinding), its error responses, and the warning the CLI prints for a --host other machines can reach.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposureWarning } from '../src/cli/commands/serve.js';
import { hostFilter } from '../src/server/hosts.js';
import { startWebServer, type WebServer } from '../src/server/web-server.js';
import { legoBin } from './helpers/lego-cli.js';

const MODEL = new TextEncoder().encode('stand-in model bytes: 0123456789');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to 127.0.0.1:`port`; `host` replaces the Host header node would send. */
function get(port: number, path: string, { host, method = 'GET' }: { host?: string; method?: string } = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: host === undefined ? {} : { Host: host }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
    req.on('error', fail);
    req.end();
  });
}

/** A raw HTTP/1.0 request with no Host header (node's client always sends one); returns the whole reply. */
function getWithoutHost(port: number, path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(`GET ${path} HTTP/1.0\r\n\r\n`));
    let reply = '';
    socket.setEncoding('latin1');
    socket.setTimeout(5000, () => socket.destroy(new Error(`GET ${path} HTTP/1.0: no answer in 5 s`)));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('end', () => ok(reply));
    socket.on('error', fail);
  });
}

const modelText = new TextDecoder('latin1').decode(MODEL);

describe('the web server on 127.0.0.1', () => {
  let server: WebServer;
  let port: number;

  beforeAll(async () => {
    server = await startWebServer({ host: '127.0.0.1', port: 0, model: MODEL });
    port = Number(new URL(server.url).port);
  });

  afterAll(() => server?.close());

  it('serves the model, cross-origin isolated, under each of its own names', async () => {
    for (const host of [undefined, `127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      const reply = await get(port, '/model.safetensors', { host });
      expect(reply.status, host).toBe(200);
      expect(reply.body).toBe(modelText);
      expect(reply.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(reply.headers['cross-origin-embedder-policy']).toBe('require-corp');
      expect(reply.headers['cross-origin-resource-policy']).toBe('same-origin');
    }
  });

  it('refuses a request under any other Host, as after DNS rebinding, and serves nothing', async () => {
    const others = [`evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost@evil.example:${port}`, 'localhost', `localhost:${port === 1 ? 2 : 1}`];
    for (const host of others) {
      const reply = await get(port, '/model.safetensors', { host });
      expect([403, 421], host).toContain(reply.status);
      expect(reply.body.length).toBeLessThan(100);
      expect(reply.body).not.toContain('stand-in');
    }
  });

  it('refuses an HTTP/1.0 request that names no Host', async () => {
    const reply = await getWithoutHost(port, '/model.safetensors');
    expect(reply).toMatch(/^HTTP\/1\.[01] (403|421) /);
    expect(reply).not.toContain('stand-in');
  });

  it('answers malformed percent-escapes in the path with 400, not 500', async () => {
    for (const path of ['/%E0%A4%A', '/%zz', '/ort/%E0%A4%A.mjs']) {
      const reply = await get(port, path);
      expect(reply.status, path).toBe(400);
      expect(reply.body).toBe('bad request\n');
    }
  });

  it('answers an unknown path with a fixed 404 that does not echo it', async () => {
    const reply = await get(port, '/no-such-file-%3Cscript%3Ealert(1)%3C/script%3E.js');
    expect(reply.status).toBe(404);
    expect(reply.body).toBe('not found\n');
  });

  it('allows only GET and HEAD', async () => {
    const reply = await get(port, '/model.safetensors', { method: 'POST' });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('GET, HEAD');
    const head = await get(port, '/model.safetensors', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(MODEL.length));
  });
});

describe('hostFilter', () => {
  it('on loopback: its own address and the localhost names, with the port (80 when left out)', () => {
    const serves = hostFilter('127.0.0.1');
    for (const host of ['127.0.0.1:8080', 'localhost:8080', '[::1]:8080', '[0:0:0:0:0:0:0:1]:8080']) expect(serves(host, 8080), host).toBe(true);
    expect(serves('localhost', 80)).toBe(true);
    for (const host of ['localhost:8081', 'evil.example:8080', 'localhost:8080/x', 'a@localhost:8080', '']) expect(serves(host, 8080), host).toBe(false);
    expect(serves(undefined, 8080)).toBe(false);
    expect(serves('localhost:8080', undefined)).toBe(false);
  });

  it('on every interface: each interface address and the localhost names', () => {
    const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map(({ address }) => address));
    for (const wildcard of ['0.0.0.0', '::']) {
      const serves = hostFilter(wildcard);
      for (const address of addresses) expect(serves(address.includes(':') ? `[${address}]:9000` : `${address}:9000`, 9000), address).toBe(true);
      expect(serves('localhost:9000', 9000)).toBe(true);
      expect(serves('evil.example:9000', 9000)).toBe(false);
    }
    expect(hostFilter('0.0.0.0')('0.0.0.0:9000', 9000)).toBe(true);
  });

  it('on one other address: that address alone', () => {
    const serves = hostFilter('192.0.2.7');
    expect(serves('192.0.2.7:9000', 9000)).toBe(true);
    expect(serves('localhost:9000', 9000)).toBe(false);
  });
});

describe('lego serve --host', () => {
  it('warns that a non-loopback address lets other machines reach the app and the model', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'example.com']) {
      const warning = exposureWarning(host);
      expect(warning, host).toContain('other machines');
      expect(warning).toContain('model');
    }
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1']) expect(exposureWarning(host), host).toBeNull();
  });

  it('through the built binary: loopback prints the address and no warning, and the Host check is on', async () => {
    const child = spawn(process.execPath, [legoBin, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
      const url = await new Promise<string>((ok, fail) => {
        let seen = '';
        const timer = setTimeout(() => fail(new Error(`lego serve printed no address in 30 s: ${seen} ${stderr}`)), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          seen += String(d);
          const m = /http:\/\/\S+\//.exec(seen);
          if (m) {
            clearTimeout(timer);
            ok(m[0]);
          }
        });
        child.once('exit', (code) => fail(new Error(`lego serve exited with ${code}: ${stderr}`)));
      });
      const port = Number(new URL(url).port);
      expect((await get(port, '/model.safetensors')).status).toBe(200);
      expect([403, 421]).toContain((await get(port, '/model.safetensors', { host: `evil.example:${port}` })).status);
      expect(stderr).not.toContain('warning');
    } finally {
      child.kill();
    }
  }, 60_000);
});
