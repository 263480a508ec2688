// Progress for long CLI jobs: a cli-progress bar on a terminal, plain lines every 10% otherwise (logs, CI).
import cliProgress from 'cli-progress';

/** A progress display; `update(done)` as work finishes, `stop()` at the end (also after an error). */
export interface Progress {
  update(done: number): void;
  stop(): void;
}

/** Progress of `total` units called `unit` ('images') on `stream` (default stderr). */
export function progressBar(unit: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: `{bar} {percentage}% | {value}/{total} ${unit} | {duration_formatted} elapsed, ETA {eta_formatted}`, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let shown = 0;
  return {
    update(done) {
      const tenth = Math.floor((done * 10) / Math.max(total, 1));
      if (tenth > shown || (done === total && shown < 10)) {
        shown = tenth;
        stream.write(`${done}/${total} ${unit} (${Math.round((done * 100) / Math.max(total, 1))}%)\n`);
      }
    },
    stop: () => {},
  };
}
