/** The command table. Each command lives in its own module. */
import type { Command } from './command.js';

export const COMMANDS: Command[] = [];
