/** The platform's file source in the browser: `location` is a URL, relative to the page. */
import { type FileSource, urlFiles } from './file-source.js';

export function openFiles(location: string): FileSource {
  return urlFiles(
    new URL(location, (globalThis as { document?: { baseURI: string } }).document?.baseURI ?? (globalThis as { location?: { href: string } }).location?.href),
  );
}
