/**
 * Streams a raw results file (gzipped or plain NDJSON, detected by its magic bytes) and hands
 * every line to a callback as a byte range of a Buffer: no string is made for a line the
 * caller does not want. A gzip stream that ends early or is corrupt keeps what was read.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { DataError } from '../cli/errors.ts';

/** Called for each line, without its '\n' (and without a trailing '\r'). `unterminated` marks a last line with no newline. */
export type LineHandler = (buf: Buffer, start: number, end: number, unterminated: boolean) => void;

export interface ReadResult {
  bytes: number;
  /** The gzip stream ended early or was corrupt; the lines before the damage were read. */
  truncated: boolean;
  /** The decompression error, when `truncated`. */
  error: string | null;
}

const READ_CHUNK = 1 << 20;
const GUNZIP_CHUNK = 1 << 18;
/** Decompression runs on libuv's thread pool: let it work ahead of the line loop by this much. */
const GUNZIP_AHEAD = 4 << 20;

export async function isGzip(file: string): Promise<boolean> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new DataError(`cannot read raw results ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Reads `file` line by line. `stopAfterBytes` (decompressed) ends the read early, for the
 * head scan. Resolves when the file is consumed, or when `shouldStop()` turns true.
 */
export async function readLines(file: string, onLine: LineHandler, opts: { shouldStop?: () => boolean } = {}): Promise<ReadResult> {
  const gz = await isGzip(file);
  const source = createReadStream(file, { highWaterMark: READ_CHUNK });
  const stream = gz ? source.pipe(createGunzip({ chunkSize: GUNZIP_CHUNK, highWaterMark: GUNZIP_AHEAD } as ZlibOptions)) : source;
  if (gz) source.on('error', (err) => stream.destroy(err));
  let carry: Buffer | null = null;
  let bytes = 0;
  let truncated = false;
  let error: string | null = null;
  let stopped = false;
  const shouldStop = opts.shouldStop;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let pos = 0;
      let nl = chunk.indexOf(10);
      if (carry !== null) {
        if (nl === -1) {
          carry = Buffer.concat([carry, chunk]);
          continue;
        }
        const line = Buffer.concat([carry, chunk.subarray(0, nl)]);
        carry = null;
        emit(line, 0, line.length, false, onLine);
        pos = nl + 1;
        nl = chunk.indexOf(10, pos);
      }
      while (nl !== -1) {
        emit(chunk, pos, nl, false, onLine);
        pos = nl + 1;
        nl = chunk.indexOf(10, pos);
      }
      if (pos < chunk.length) carry = chunk.subarray(pos);
      if (shouldStop?.()) {
        stopped = true;
        break;
      }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR') {
      throw new DataError(`cannot read raw results ${file}: ${e.code}`);
    }
    // zlib: "unexpected end of file" (cut short) or a data error (corrupt): keep what was read.
    truncated = true;
    error = e.message;
  } finally {
    source.destroy();
  }
  if (carry !== null && carry.length > 0 && !stopped) emit(carry, 0, carry.length, true, onLine);
  return { bytes, truncated, error };
}

function emit(buf: Buffer, start: number, end: number, unterminated: boolean, onLine: LineHandler): void {
  if (end > start && buf[end - 1] === 13) end--;
  if (end > start) onLine(buf, start, end, unterminated);
}
