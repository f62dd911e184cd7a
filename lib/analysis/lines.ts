/**
 * Streams a raw results file (gzipped or plain NDJSON, detected by its magic bytes) and hands
 * every line to a callback as a byte range of a Buffer: no string is made for a line the
 * caller does not want. Every line is handed over, empty ones included, so the n-th call is
 * line n of the decompressed stream. A gzip stream that ends early or is corrupt keeps every
 * line before the damage (see recoverAfter).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { constants, createGunzip, type Gunzip, type ZlibOptions } from 'node:zlib';
import { DataError } from '../contract/errors.ts';

/** Called for each line, without its '\n' (and without a trailing '\r'). `unterminated` marks a last line with no newline. */
export type LineHandler = (buf: Buffer, start: number, end: number, unterminated: boolean) => void;

export interface ReadResult {
  /** Decompressed bytes read. */
  bytes: number;
  /** Lines handed to the handler (the number of the last one). */
  lines: number;
  /** The gzip stream ended early or was corrupt; the lines before the damage were read. */
  truncated: boolean;
  /** zlib's error, when `truncated`. */
  error: string | null;
}

const READ_CHUNK = 1 << 20;
/**
 * Decompressed chunks of the streaming pass: each costs a callback and a new buffer on the main
 * thread (Node's zlib), so fewer, larger ones leave it more time for the lines (1 MB: half
 * the main-thread time of 256 kB chunks on 1M points).
 */
const STREAM_CHUNK = 1 << 20;
/** Chunks of the recovery after a data error (recoverAfter). */
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

/** Cuts decompressed chunks into lines across chunk boundaries. */
class Splitter {
  private carry: Buffer | null = null;
  lines = 0;
  constructor(private readonly onLine: LineHandler) {}

  push(chunk: Buffer): void {
    let pos = 0;
    let nl = chunk.indexOf(10);
    if (this.carry !== null) {
      if (nl === -1) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = null;
      this.emit(line, 0, line.length, false);
      pos = nl + 1;
      nl = chunk.indexOf(10, pos);
    }
    while (nl !== -1) {
      this.emit(chunk, pos, nl, false);
      pos = nl + 1;
      nl = chunk.indexOf(10, pos);
    }
    if (pos < chunk.length) this.carry = chunk.subarray(pos);
  }

  /** The last line, when the stream did not end with a newline. */
  end(): void {
    if (this.carry !== null && this.carry.length > 0) this.emit(this.carry, 0, this.carry.length, true);
    this.carry = null;
  }

  private emit(buf: Buffer, start: number, end: number, unterminated: boolean): void {
    this.lines++;
    this.onLine(buf, start, end > start && buf[end - 1] === 13 ? end - 1 : end, unterminated);
  }
}

/**
 * Reads `file` line by line. Resolves when the file is consumed, or when `shouldStop()` turns
 * true (the head scan).
 */
export async function readLines(file: string, onLine: LineHandler, opts: { shouldStop?: () => boolean } = {}): Promise<ReadResult> {
  const gz = await isGzip(file);
  const source = createReadStream(file, { highWaterMark: READ_CHUNK });
  const stream = gz ? source.pipe(createGunzip({ chunkSize: STREAM_CHUNK, highWaterMark: GUNZIP_AHEAD } as ZlibOptions)) : source;
  if (gz) source.on('error', (err) => stream.destroy(err));
  const split = new Splitter(onLine);
  let bytes = 0;
  let truncated = false;
  let error: string | null = null;
  let stopped = false;
  const shouldStop = opts.shouldStop;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      split.push(chunk);
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
    // zlib: "unexpected end of file" (cut short: zlib has handed over all it could decode) or
    // a data error (corrupt: what it decoded in its last step is lost, recovered here).
    truncated = true;
    error = e.message;
    if (gz && e.code !== 'Z_BUF_ERROR') {
      bytes += await recoverAfter(file, bytes, (chunk) => split.push(chunk), shouldStop);
    }
  } finally {
    source.destroy();
  }
  if (!stopped) split.end();
  return { bytes, lines: split.lines, truncated, error };
}

/**
 * Refinement steps of the recovery: the size of the pieces of compressed input fed to zlib one
 * at a time, from coarse to a single byte. Each step re-reads the file from its start.
 */
const RECOVERY_PIECES = [64 << 10, 256, 1];
const RECOVERY_FEED = 1 << 20;

/**
 * After a zlib data error, hands over what zlib decoded before it (past the first `skip`
 * decompressed bytes, which were handed over already). zlib drops the output of the step that
 * failed, up to a chunk (STREAM_CHUNK) before the damage: here the stream is decoded again, the
 * compressed bytes fed in ever smaller pieces around the place where it fails, so that what is
 * lost is at most what one compressed byte decodes to. A checksum error (a bit flip that still
 * decoded) fails only at the stream's end: then every line is recovered. Returns the bytes handed over.
 */
async function recoverAfter(
  file: string,
  skip: number,
  onChunk: (chunk: Buffer) => void,
  shouldStop: (() => boolean) | undefined,
): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    // Where the first failing piece starts: zlib decodes up to here without an error.
    let clean = 0;
    for (let step = 0; step < RECOVERY_PIECES.length; step++) {
      const last = step === RECOVERY_PIECES.length - 1;
      const piece = RECOVERY_PIECES[step] as number;
      let out = 0;
      let handed = 0;
      const z: Gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK, finishFlush: constants.Z_SYNC_FLUSH });
      let failed: Error | null = null;
      z.on('error', (err) => {
        failed = err;
      });
      z.on('data', (chunk: Buffer) => {
        const from = out;
        out += chunk.length;
        if (!last || out <= skip || (shouldStop?.() ?? false)) return;
        const rest = from >= skip ? chunk : chunk.subarray(skip - from);
        handed += rest.length;
        onChunk(rest);
      });
      let at = 0;
      let pieceAt = -1;
      let failedAt = -1;
      while (at < size && failed === null) {
        const len = at < clean ? Math.min(RECOVERY_FEED, clean - at) : Math.min(piece, size - at);
        const buf = Buffer.allocUnsafe(len);
        const { bytesRead } = await fh.read(buf, 0, len, at);
        if (bytesRead === 0) break;
        pieceAt = at;
        if (await feed(z, buf.subarray(0, bytesRead))) failedAt = at;
        at += bytesRead;
      }
      if (failed === null) {
        z.end();
        await finished(z).catch(() => undefined);
      }
      z.destroy();
      if (failed !== null && failedAt === -1) failedAt = pieceAt;
      if (last) return handed;
      // No failure this time (it cannot be told where): decode it all once more, handing it over.
      clean = failedAt === -1 ? size : failedAt;
      if (failedAt === -1) step = RECOVERY_PIECES.length - 2;
    }
    return 0;
  } finally {
    await fh.close();
  }
}

/** Writes one piece and waits until zlib has decoded it; true when it failed on it. */
function feed(z: Gunzip, piece: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = () => resolve(true);
    z.once('error', onError);
    z.write(piece, (err) => {
      z.off('error', onError);
      resolve(err !== null && err !== undefined);
    });
  });
}
