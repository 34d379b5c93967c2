import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Reads small /proc files through one reused buffer. `readFileSync` cannot size a /proc file (they
 * report 0 bytes) and allocates 64 KiB per call: some 20 MiB of garbage per snapshot on a busy host.
 */
export class ProcFileReader {
  private buffer = Buffer.allocUnsafe(64 * 1024);

  read(path: string): string {
    const fd = openSync(path, 'r');
    try {
      let length = 0;
      for (;;) {
        if (length === this.buffer.length) {
          const larger = Buffer.allocUnsafe(this.buffer.length * 2);
          this.buffer.copy(larger);
          this.buffer = larger;
        }
        const n = readSync(fd, this.buffer, length, this.buffer.length - length, null);
        if (n === 0) break;
        length += n;
      }
      return this.buffer.toString('latin1', 0, length);
    } finally {
      closeSync(fd);
    }
  }
}
