import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Small files beside the database that must survive a power cut exactly as written (the
 * unclean-stop marker, the seq ceiling): written to a temporary name, fsynced, renamed over the old
 * one and the directory fsynced, so after a cut the file is either the old or the new version, never
 * a torn one, and the new one is on disk once this returns.
 */
export function writeFileDurably(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDirectory(dirname(path));
}

/** fsyncs an existing file (e.g. a WAL whose frames must be on disk); false when it does not exist. */
export function syncFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return false;
  }
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** fsync of the directory makes a new or renamed entry survive a power cut (ext4 and others). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported everywhere (some filesystems refuse fsync on a directory): the file itself is synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
