/**
 * The shape of a CLI command and the helpers every command shares: parsing with node:util,
 * user errors that print one line and exit non-zero, never a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export interface Command {
  name: string;
  /** One line for `gluegen --help`. */
  summary: string;
  /** Full help text for `gluegen NAME --help`. */
  usage: string;
  run(argv: string[]): Promise<void>;
}

/** An error caused by the user's input: printed as one line, exit code 2 (or `code`). */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly code = 2,
  ) {
    super(message);
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses flags; unknown flags and missing values become UsageErrors naming the flag. */
export function parseFlags<O extends Options>(argv: string[], options: O, command: string): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, unknown>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message} (see \`gluegen ${command} --help\`)`);
  }
}

export function requireString(values: Record<string, unknown>, flag: string, command: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw new UsageError(`${command}: --${flag} is required (see \`gluegen ${command} --help\`)`);
  return v;
}

/** Parses a numeric flag with bounds; names the flag and the value on error. */
export function numberFlag(
  values: Record<string, unknown>,
  flag: string,
  command: string,
  opts: { min?: number; max?: number; integer?: boolean; default?: number } = {},
): number | undefined {
  const raw = values[flag];
  if (raw === undefined) return opts.default;
  const v = Number(raw);
  const bad =
    typeof raw !== 'string' ||
    raw.trim() === '' ||
    !Number.isFinite(v) ||
    (opts.integer && !Number.isSafeInteger(v)) ||
    (opts.min !== undefined && v < opts.min) ||
    (opts.max !== undefined && v > opts.max);
  if (bad) {
    const range = [opts.min !== undefined ? `>= ${opts.min}` : '', opts.max !== undefined ? `<= ${opts.max}` : ''].filter(Boolean).join(' and ');
    throw new UsageError(`${command}: --${flag} must be ${opts.integer ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}, got '${String(raw)}'`);
  }
  return v;
}

/**
 * A flag that was renamed for one name per concept across commands: the former name still works
 * (copied onto the new one); giving both is a usage error.
 */
export function renamedFlag(values: Record<string, unknown>, name: string, former: string, command: string): void {
  if (values[former] === undefined) return;
  if (values[name] !== undefined) throw new UsageError(`${command}: give --${name} or --${former} (its former name), not both`);
  values[name] = values[former];
  delete values[former];
}

/** The help layout every command shares: `gluegen NAME — summary`, a blank line, then `usage: ...`. */
export function helpHeader(name: string, summary: string): string {
  return `gluegen ${name} — ${summary}\n\n`;
}

/** A command's help in the shared layout (its usage text, with the header added when it has none). */
export function helpText(cmd: Command): string {
  const header = `gluegen ${cmd.name} — `;
  const body = cmd.usage.startsWith(header) ? cmd.usage.slice(cmd.usage.indexOf('\n\n') + 2) : cmd.usage;
  return `${header}${cmd.summary}\n\n${body.startsWith('usage:') ? body : `usage: ${body}`}`;
}
