/**
 * Learning-rate schedules as plain functions of the (0-based) step, evaluated in TypeScript each step.
 */
export type Schedule = (step: number) => number;

export const constant =
  (lr: number): Schedule =>
  () =>
    lr;

/** torch.optim.lr_scheduler.StepLR stepped every `every` steps (or epochs, if the caller counts epochs). */
export const stepLR =
  (lr: number, every: number, gamma: number): Schedule =>
  (step) =>
    lr * gamma ** Math.floor(step / every);

/** Linear warm-up from 0 over `warmup` steps, then cosine decay to `minLr` at `total`. */
export const warmupCosine =
  (lr: number, warmup: number, total: number, minLr = 0): Schedule =>
  (step) => {
    if (step < warmup) return (lr * (step + 1)) / warmup;
    const t = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * t));
  };
