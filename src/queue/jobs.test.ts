// Job and run ids (jobs.ts, runs.ts): a run is named by what decides its images only, and a job id tells
// its run and its number of seeds, in a form BullMQ accepts as a custom id.
import { describe, expect, it } from 'vitest';
import type { SampleRun } from '../data/sample-run.js';
import { jobId, jobSeeds, parseJobId } from './jobs.js';
import { isRunId, runId } from './runs.js';

const run: SampleRun = { network: { file: '/a/net.safetensors', sha256: 'ab'.repeat(32) }, settings: { '--steps': '18', '--cfg': '1' } };

describe('runId', () => {
  it('hashes the network bytes and the settings, not the path or the order of the settings', () => {
    const id = runId(run);
    expect(isRunId(id)).toBe(true);
    expect(runId({ network: { ...run.network, file: '/b/copy.safetensors' }, settings: { '--cfg': '1', '--steps': '18' } })).toBe(id);
    expect(runId({ ...run, settings: { ...run.settings, '--steps': '2' } })).not.toBe(id);
    expect(runId({ ...run, network: { ...run.network, sha256: 'cd'.repeat(32) } })).not.toBe(id);
  });
});

describe('job ids', () => {
  it('name the run and the seeds, never as a plain integer or with ":"', () => {
    const id = runId(run);
    const job = jobId(id, [8, 9, 10, 11, 12, 13, 14, 15]);
    expect(job).toBe(`${id}-000008-000015`);
    expect(job).not.toContain(':');
    expect(parseJobId(job)).toEqual({ run: id, seeds: 8 });
    expect(parseJobId(jobId(id, [0, 5, 10]))).toEqual({ run: id, seeds: 3 });
    expect(parseJobId('12')).toBeNull();
    expect(parseJobId('rxyz-000001-000002')).toBeNull();
  });

  it('read job data back, refusing what is not seed ranges', () => {
    expect(jobSeeds({ run: 'r1', seeds: [[0, 2], [5, 5]] })).toEqual({ run: 'r1', seeds: [0, 1, 2, 5] });
    expect(jobSeeds({ run: 'r1', seeds: [[2, 0]] })).toBeNull();
    expect(jobSeeds({ run: 'r1', seeds: [] })).toBeNull();
    expect(jobSeeds(null)).toBeNull();
  });
});
