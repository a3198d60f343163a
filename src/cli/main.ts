#!/usr/bin/env node
import { VERSION } from '../version.js';
/**
 * gluegen command-line entry: dispatches to one module per command. User errors print one line
 * and exit non-zero; unexpected errors print their message (and the stack with GLUEGEN_DEBUG=1).
 */
import { type Command, helpText, UsageError } from './command.js';
import { COMMANDS } from './commands.js';

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'gluegen — plug new encoders into frozen text-to-image generators (GlueGen, ICCV 2023)',
    '',
    'usage: gluegen <command> [options]      gluegen help <command>      gluegen --version',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest.length > 0) {
    const cmd = COMMANDS.find((c) => c.name === rest[0]);
    if (!cmd) {
      console.error(`gluegen: unknown command '${rest[0]}'. Commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
      return 2;
    }
    console.log(helpText(cmd));
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    console.log(`gluegen ${VERSION}`);
    return 0;
  }
  const cmd: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`gluegen: unknown command '${name}'. Commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(helpText(cmd));
    return 0;
  }
  await cmd.run(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const err = e as Error;
    if (process.env.GLUEGEN_DEBUG) console.error(err.stack);
    console.error(`gluegen: ${err.message}`);
    process.exitCode = err instanceof UsageError ? err.code : 1;
  },
);
