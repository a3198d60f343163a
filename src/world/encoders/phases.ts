/**
 * Phase timing for the encoder builds: each `mark(name)` records the seconds since the previous
 * mark (or the start) under that name and logs one line; `phases` goes into the build report.
 */
export interface Phase {
  name: string;
  seconds: number;
}

export function phaseClock(log: (line: string) => void): { phases: Phase[]; mark: (name: string) => void } {
  const phases: Phase[] = [];
  let t = Date.now();
  return {
    phases,
    mark: (name) => {
      const seconds = (Date.now() - t) / 1000;
      phases.push({ name, seconds });
      log(`${name}: ${seconds.toFixed(1)} s`);
      t = Date.now();
    },
  };
}
