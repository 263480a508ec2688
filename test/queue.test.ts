// The job queue for real, through the built binary: a redis-server of the test's own, `lego generate
// --queue` and `lego worker` processes. Three workers on 48 seeds in shards of 8, one killed mid-shard,
// write every PNG once, byte-identical to one process; a second submission adds nothing; a late worker
// writes nothing; and Redis stopped and restarted during a run loses and duplicates nothing.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint } from '../src/io/checkpoint-file.js';
import { lego } from './helpers/lego-cli.js';
import { startLego, type LegoProcess } from './helpers/lego-process.js';
import { startRedis, type RedisServer } from './helpers/redis-server.js';
import { tinyConfig, tinyWeights } from './helpers/tiny-model.js';

const tmp = mkdtempSync(join(tmpdir(), 'lego-queue-'));
let redis: RedisServer;
const workers: LegoProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await redis?.stop();
});

/** A worker on the test's queue: one image per batch, one thread, and dead workers noticed within 2 s. */
function worker(): LegoProcess {
  const w = startLego(['worker', '--queue', redis.url, '--batch', '1', '--threads', '1', '--lock-timeout', '2']);
  workers.push(w);
  return w;
}

/** The first of `candidates` to be in the middle of a job: its first image written, not its last. */
async function midJob(candidates: LegoProcess[], timeoutMs = 60_000): Promise<LegoProcess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = candidates.find((w) => /job \S+: [1-6]\/8 images/.test(w.stderr()));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no worker got into a job within ${timeoutMs} ms:\n${candidates.map((w) => w.stderr()).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Stop a worker as an operator would, and check that it exits cleanly. */
async function stopWorker(w: LegoProcess): Promise<void> {
  w.child.kill('SIGTERM');
  expect(await w.exited, w.stderr()).toBe(0);
}

const pngs = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.png')).sort();

/** Every PNG of `dir` is one of `expected`'s, byte for byte, and each of those is there exactly once. */
function expectSameImages(dir: string, expected: string): void {
  expect(pngs(dir)).toEqual(pngs(expected).filter((f) => f !== 'grid.png'));
  for (const f of pngs(dir)) expect(readFileSync(join(dir, f)).equals(readFileSync(join(expected, f))), f).toBe(true);
}

/** A listing of every file under `dir` with its size and modification time. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => {
    const s = statSync(join(dir, f));
    return `${f} ${s.size} ${s.mtimeMs}`;
  });
}

describe('lego generate --queue and lego worker', () => {
  it('three workers, one killed mid-shard: every PNG once, as one process writes it; resubmitting adds nothing; a late worker writes nothing', async () => {
    const single = join(tmp, 'single');
    const out = join(tmp, 'out');
    const run = ['generate', '--seeds', '0-47', '--steps', '8'];
    expect((await lego(...run, '--outdir', single)).code).toBe(0);

    const submit = [...run, '--queue', redis.url, '--shard-size', '8', '--outdir', out];
    const first = await lego(...submit, '--detach');
    expect(first.code, first.stderr).toBe(0);
    const id = /run (r[0-9a-f]{16}): 6 jobs added, 0 already queued/.exec(first.stderr)?.[1];
    expect(id, first.stderr).toBeDefined();
    const again = await lego(...submit, '--detach');
    expect(again.stderr).toContain(`run ${id}: 0 jobs added, 6 already queued`);

    const three = [worker(), worker(), worker()];
    // Kill one in the middle of a shard: after its first image of a job, before its last.
    const killed = await midJob(three);
    killed.child.kill('SIGKILL');
    // Following the run (a third submission of it, adding nothing) ends when every job is done.
    const follow = await lego(...submit);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stderr).toContain(`run ${id}: 0 jobs added, 6 already queued`);
    expect(follow.stderr).toContain(`run ${id}: all 48 images are in ${out}`);
    expectSameImages(out, single);
    expect(readdirSync(out).filter((f) => !f.endsWith('.png')).sort()).toEqual(['labels', 'run.json']);
    // Each job's classes, read together, are those of the single process.
    const labels = Object.assign({}, ...readdirSync(join(out, 'labels')).map((f) => JSON.parse(readFileSync(join(out, 'labels', f), 'utf8'))));
    expect(labels).toEqual(JSON.parse(readFileSync(join(single, 'labels.json'), 'utf8')));

    const status = JSON.parse((await lego('queue', 'status', redis.url, id!, '--json')).stdout);
    expect(status[0]).toMatchObject({ id, outdir: out, jobs: { waiting: 0, running: 0, done: 6, failed: 0 }, images: { total: 48, done: 48 } });

    // A worker started after the run is done waits and writes nothing.
    const late = worker();
    await late.waitFor(/worker waiting for jobs/);
    const before = snapshot(out);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(snapshot(out)).toEqual(before);
    expect(late.stderr()).not.toContain('job ');
    await Promise.all([...three.filter((w) => w !== killed), late].map(stopWorker));
  });

  it('Redis stopped and restarted during a run: a clear error meanwhile, then the run completes with nothing lost or doubled', async () => {
    const single = join(tmp, 'single2');
    const out = join(tmp, 'out2');
    const run = ['generate', '--seeds', '0-23', '--steps', '6'];
    expect((await lego(...run, '--outdir', single)).code).toBe(0);
    const submit = [...run, '--queue', redis.url, '--shard-size', '8', '--outdir', out];
    expect((await lego(...submit, '--detach')).code).toBe(0);

    const two = [worker(), worker()];
    const d = await midJob(two);
    await redis.stop();
    await d.waitFor(/Redis unreachable \(.+\); retrying/);
    // While Redis is away, a status query fails at once, naming it.
    const away = await lego('queue', 'status', redis.url);
    expect(away.code).toBe(1);
    expect(away.stderr.trim()).toBe(`lego: ${redis.url}: cannot reach Redis (ECONNREFUSED); is redis-server running there?`);
    await redis.start();
    await d.waitFor(/Redis reachable again/);

    const follow = await lego(...submit);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stderr).toContain('all 24 images are in');
    expectSameImages(out, single);
    await Promise.all(two.map(stopWorker));
  });

  it('a job whose input is at fault fails once, with the reason; SIGTERM hands a job back; status and clean per run', async () => {
    const network = join(tmp, 'tiny.safetensors');
    await saveCheckpoint(network, tinyConfig, tinyWeights());
    const out = join(tmp, 'out3');
    const submitted = await lego('generate', '--network', network, '--seeds', '0-3', '--steps', '2', '--queue', redis.url, '--shard-size', '2', '--outdir', out, '--detach');
    expect(submitted.code, submitted.stderr).toBe(0);
    const id = /run (r[0-9a-f]{16})/.exec(submitted.stderr)![1];
    rmSync(network);
    const w = worker();
    await w.waitFor(/job \S+-000002-000003: failed: /);
    await stopWorker(w);
    const status = JSON.parse((await lego('queue', 'status', redis.url, id, '--json')).stdout)[0];
    expect(status.jobs).toEqual({ waiting: 0, running: 0, done: 0, failed: 2 });
    expect(status.failures[0].reason).toBe(`${network}: no such file or directory`);
    // Following the run (the network back in place for the submitter) reports the failure, exit 1.
    await saveCheckpoint(network, tinyConfig, tinyWeights());
    const follow = await lego('generate', '--network', network, '--seeds', '0-3', '--steps', '2', '--queue', redis.url, '--shard-size', '2', '--outdir', out);
    expect(follow.code).toBe(1);
    expect(follow.stderr).toContain(`lego: run ${id}: 2 jobs failed, ${id}-000000-000001: ${network}: no such file or directory; see lego queue status`);

    // SIGTERM in the middle of a job: the image in hand is finished, the job goes back to the queue.
    const slow = await lego('generate', '--seeds', '0-7', '--steps', '30', '--queue', redis.url, '--shard-size', '8', '--outdir', join(tmp, 'out4'), '--detach');
    const slowId = /run (r[0-9a-f]{16})/.exec(slow.stderr)![1];
    const stopped = worker();
    await midJob([stopped]);
    await stopWorker(stopped);
    expect(stopped.stderr()).toMatch(/job \S+: stopped after [1-7] of 8 images; handed back to the queue/);
    const back = JSON.parse((await lego('queue', 'status', redis.url, slowId, '--json')).stdout)[0];
    expect(back.jobs).toEqual({ waiting: 1, running: 0, done: 0, failed: 0 });

    const before = await lego('queue', 'status', redis.url);
    expect(before.code).toBe(0);
    const ids = [...before.stdout.matchAll(/^run (r[0-9a-f]{16}) -> /gm)].map((m) => m[1]);
    expect(ids).toHaveLength(4);
    expect(before.stdout).toContain(`failed ${id}-000000-000001: ${network}: no such file`);
    const clean = await lego('queue', 'clean', redis.url, ids[0]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr.trim()).toMatch(new RegExp(`^run ${ids[0]}: removed with its \\d+ jobs$`));
    const after = await lego('queue', 'status', redis.url, ids[0]);
    expect(after.code).toBe(1);
    expect(after.stderr.trim()).toBe(`lego: no run ${ids[0]} on this queue (lego queue status URL lists them)`);
    const bad = await lego('queue', 'clean', redis.url, 'nonsense');
    expect(bad.code).toBe(2);
  });
});
