/**
 * Follows a raw results file while k6 writes it: the bytes appended since the last poll go
 * through one streaming gunzip, and each whole line it yields goes to a callback. Nothing in
 * how k6 writes the file changes.
 *
 * How far behind the file the lines are: k6's JSON output (internal/output/json) writes every
 * 200 ms into `gzip.NewWriter(bufio.NewWriter(file))` and never flushes the gzip stream before
 * the end. Its compressor (klauspost/compress, default level 5) emits a deflate block per
 * 64 KiB of JSON, and the 4 KiB bufio writer passes the compressed bytes on when it fills; the
 * inflater here decodes every byte that reached the file. So the newest line read lags the
 * newest line k6 wrote by at most 64 KiB of JSON plus 4 KiB of compressed output (~120 KiB of
 * JSON at these lines' ~30:1) — about 50 of the harness's requests — plus the poll interval:
 * measured 0.5 s (max 0.9 s) at 100 RPS and 3–6 s at 10 RPS; at 3,000 RPS about the poll
 * interval. The whole file is read once k6 has closed it (`finish`).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createGunzip, type Gunzip } from 'node:zlib';

/** Called for each whole line, without its '\n' (buf[start, end)). */
export type TailLineHandler = (buf: Buffer, start: number, end: number) => void;

/** Appended bytes read per `read` call. */
const READ_CHUNK = 1 << 20;
/** zlib output chunks: fewer, larger chunks keep the per-chunk cost of the stream low. */
const GUNZIP_CHUNK = 1 << 18;

export class GzipTail {
  /** Compressed bytes read so far. */
  bytesIn = 0;
  /** Decompressed bytes handed over so far. */
  bytesOut = 0;
  lines = 0;
  /** zlib's error, when the stream turned out corrupt; the lines before it were handed over. */
  error: string | null = null;
  private fh: FileHandle | null = null;
  private readonly gunzip: Gunzip;
  private carry: Buffer | null = null;
  private readonly buf = Buffer.allocUnsafe(READ_CHUNK);
  private ended = false;
  private readonly done: Promise<void>;

  constructor(
    readonly file: string,
    private readonly onLine: TailLineHandler,
  ) {
    this.gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK });
    this.gunzip.on('data', (chunk: Buffer) => this.push(chunk));
    this.done = new Promise<void>((resolve) => {
      this.gunzip.once('end', resolve);
      this.gunzip.once('close', resolve);
      this.gunzip.once('error', (err) => {
        this.error = err.message;
        resolve();
      });
    });
  }

  /** Reads what was appended since the last poll and decodes it; resolves once zlib has. Returns the bytes read. */
  async poll(): Promise<number> {
    if (this.ended || this.error !== null) return 0;
    if (this.fh === null) {
      try {
        this.fh = await open(this.file, 'r');
      } catch {
        return 0; // k6 has not created it yet
      }
    }
    let total = 0;
    for (;;) {
      const { bytesRead } = await this.fh.read(this.buf, 0, READ_CHUNK, this.bytesIn);
      if (bytesRead === 0) break;
      this.bytesIn += bytesRead;
      total += bytesRead;
      // zlib copies its input before the callback: the read buffer can be reused after it.
      await this.write(this.buf.subarray(0, bytesRead));
      if (this.error !== null || bytesRead < READ_CHUNK) break;
    }
    return total;
  }

  /** Reads the file to its end (k6 has closed it) and hands over the last line. */
  async finish(): Promise<void> {
    if (this.ended) return;
    await this.poll();
    this.ended = true;
    if (this.error === null && this.bytesIn > 0) {
      this.gunzip.end();
      await this.done;
    } else {
      this.gunzip.destroy();
    }
    if (this.error === null && this.carry !== null && this.carry.length > 0) this.emit(this.carry, 0, this.carry.length);
    this.carry = null;
    await this.close();
  }

  async close(): Promise<void> {
    this.ended = true;
    if (!this.gunzip.destroyed) this.gunzip.destroy();
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => undefined);
  }

  private write(chunk: Buffer): Promise<void> {
    return new Promise((resolve) => {
      this.gunzip.write(chunk, () => resolve());
    });
  }

  private push(chunk: Buffer): void {
    this.bytesOut += chunk.length;
    let pos = 0;
    let nl = chunk.indexOf(10);
    if (this.carry !== null) {
      if (nl === -1) {
        this.carry = Buffer.concat([this.carry, chunk]);
        return;
      }
      const line = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = null;
      this.emit(line, 0, line.length);
      pos = nl + 1;
      nl = chunk.indexOf(10, pos);
    }
    while (nl !== -1) {
      this.emit(chunk, pos, nl);
      pos = nl + 1;
      nl = chunk.indexOf(10, pos);
    }
    // A copy: zlib may reuse its output buffer.
    if (pos < chunk.length) this.carry = Buffer.from(chunk.subarray(pos));
  }

  private emit(buf: Buffer, start: number, end: number): void {
    this.lines++;
    this.onLine(buf, start, end > start && buf[end - 1] === 13 ? end - 1 : end);
  }
}
