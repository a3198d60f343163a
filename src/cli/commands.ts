/** The command table. Each command lives in its own module. */

import { alignCommand } from './align.js';
import type { Command } from './command.js';
import { convertCommand } from './convert.js';
import { demoCommand } from './demo.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { extractCommand } from './extract.js';
import { generateCommand } from './generate.js';
import { serveCommand } from './serve.js';
import { statsCommand } from './stats.js';
import { trainCommand } from './train.js';
import { workerCommand } from './worker.js';
import { worldCommand } from './world.js';

export const COMMANDS: Command[] = [
  demoCommand,
  generateCommand,
  serveCommand,
  extractCommand,
  workerCommand,
  trainCommand,
  alignCommand,
  evalCommand,
  statsCommand,
  convertCommand,
  exportCommand,
  worldCommand,
];
