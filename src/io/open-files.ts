/**
 * The platform's file source for a model location: a folder in Node. The web build swaps this
 * module for open-files.web.ts (a URL relative to the page, over fetch).
 */
import type { FileSource } from './file-source.js';
import { folderFiles } from './folder-files.js';

export function openFiles(location: string): FileSource {
  return folderFiles(location);
}
