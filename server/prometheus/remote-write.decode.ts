import snappy from 'snappyjs';

/** Prometheus remote-write 1.0 (`prompb.WriteRequest`), only the fields onset reads. */
export interface PromLabel {
  name: string;
  value: string;
}
export interface PromSample {
  value: number;
  /** Epoch milliseconds. */
  timestamp: number;
}
export interface PromTimeSeries {
  labels: PromLabel[];
  samples: PromSample[];
}

/** A body that cannot be read; `tooLarge` when it is refused for its size rather than its form. */
export class RemoteWriteDecodeError extends Error {
  constructor(
    message: string,
    readonly tooLarge = false,
  ) {
    super(message);
  }
}

export interface DecodeLimits {
  /** Decompressed bytes. */
  maxBytes: number;
  /** Series and samples in one request, so a small body cannot expand into millions of objects. */
  maxSeries: number;
  maxSamples: number;
}

/** Snappy block format: a varint stating the decompressed length, then the data. */
export function decompressSnappy(body: Uint8Array, maxBytes: number): Uint8Array {
  let length = 0;
  let i = 0;
  for (; ; i++) {
    if (i >= body.length || i >= 5) throw new RemoteWriteDecodeError('the body is not snappy block format');
    const b = body[i] as number;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) break;
  }
  // Refused before allocating: the header is all a sender needs to claim gigabytes.
  if (length > maxBytes) {
    throw new RemoteWriteDecodeError(
      `the body decompresses to ${length} bytes, more than the ${maxBytes} the server accepts`,
      true,
    );
  }
  try {
    return snappy.uncompress(body, maxBytes);
  } catch {
    throw new RemoteWriteDecodeError('the body is not valid snappy block format');
  }
}

const wire = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A bounds-checked reader over one protobuf message; every read consumes at least one byte. */
class Reader {
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** A varint as its low and high 32 bits. */
  private varint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RemoteWriteDecodeError('protobuf: truncated varint');
      const b = this.buf[this.pos++] as number;
      if (i === 9 && b > 1) throw new RemoteWriteDecodeError('protobuf: varint longer than 64 bits');
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) return { lo: lo >>> 0, hi: hi >>> 0 };
    }
    throw new RemoteWriteDecodeError('protobuf: varint longer than 64 bits');
  }

  /** An unsigned varint as a number: exact below 2^53, which covers lengths and timestamps. */
  varint(): number {
    const { lo, hi } = this.varint64();
    return hi * 2 ** 32 + lo;
  }

  int64(): number {
    const { lo, hi } = this.varint64();
    if (hi < 0x80000000) return hi * 2 ** 32 + lo;
    // Two's complement: negate the 64 bits, then the sign.
    const nlo = (~lo + 1) >>> 0;
    const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
    return -(nhi * 2 ** 32 + nlo);
  }

  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** The bounds of a length-delimited field, after which reading goes on. */
  sub(): Reader {
    const length = this.varint();
    this.need(length);
    const r = new Reader(this.buf, this.pos, this.pos + length);
    this.pos += length;
    return r;
  }

  string(): string {
    const r = this.sub();
    try {
      return utf8.decode(this.buf.subarray(r.pos, r.end));
    } catch {
      throw new RemoteWriteDecodeError('protobuf: a string is not valid UTF-8');
    }
  }

  /** The next field's number and wire type. */
  tag(): { field: number; type: number } {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    if (field === 0) throw new RemoteWriteDecodeError('protobuf: field number 0');
    return { field, type: tag % 8 };
  }

  skip(type: number): void {
    if (type === wire.varint) this.varint();
    else if (type === wire.fixed64) this.advance(8);
    else if (type === wire.bytes) this.sub();
    else if (type === wire.fixed32) this.advance(4);
    else throw new RemoteWriteDecodeError(`protobuf: unsupported wire type ${type}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private advance(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) throw new RemoteWriteDecodeError('protobuf: field runs past its message');
  }
}

function expect(type: number, wanted: number, what: string): void {
  if (type !== wanted) throw new RemoteWriteDecodeError(`protobuf: ${what} has wire type ${type}`);
}

/** Decodes a `WriteRequest`; unknown fields (metadata, exemplars, histograms) are skipped. */
export function decodeWriteRequest(
  bytes: Uint8Array,
  limits: Omit<DecodeLimits, 'maxBytes'>,
): PromTimeSeries[] {
  const out: PromTimeSeries[] = [];
  let samples = 0;
  const r = new Reader(bytes, 0, bytes.length);
  while (!r.done) {
    const { field, type } = r.tag();
    if (field !== 1) {
      r.skip(type);
      continue;
    }
    expect(type, wire.bytes, 'WriteRequest.timeseries');
    if (out.length >= limits.maxSeries) {
      throw new RemoteWriteDecodeError(`a request holds at most ${limits.maxSeries} series`, true);
    }
    const series = decodeTimeSeries(r.sub());
    samples += series.samples.length;
    if (samples > limits.maxSamples) {
      throw new RemoteWriteDecodeError(`a request holds at most ${limits.maxSamples} samples`, true);
    }
    out.push(series);
  }
  return out;
}

function decodeTimeSeries(r: Reader): PromTimeSeries {
  const series: PromTimeSeries = { labels: [], samples: [] };
  while (!r.done) {
    const { field, type } = r.tag();
    if (field === 1) {
      expect(type, wire.bytes, 'TimeSeries.labels');
      series.labels.push(decodeLabel(r.sub()));
    } else if (field === 2) {
      expect(type, wire.bytes, 'TimeSeries.samples');
      series.samples.push(decodeSample(r.sub()));
    } else {
      r.skip(type);
    }
  }
  return series;
}

function decodeLabel(r: Reader): PromLabel {
  const label: PromLabel = { name: '', value: '' };
  while (!r.done) {
    const { field, type } = r.tag();
    if (field === 1) {
      expect(type, wire.bytes, 'Label.name');
      label.name = r.string();
    } else if (field === 2) {
      expect(type, wire.bytes, 'Label.value');
      label.value = r.string();
    } else {
      r.skip(type);
    }
  }
  return label;
}

function decodeSample(r: Reader): PromSample {
  // Proto3 leaves zero values out, so a missing field is 0.
  const sample: PromSample = { value: 0, timestamp: 0 };
  while (!r.done) {
    const { field, type } = r.tag();
    if (field === 1) {
      expect(type, wire.fixed64, 'Sample.value');
      sample.value = r.double();
    } else if (field === 2) {
      expect(type, wire.varint, 'Sample.timestamp');
      sample.timestamp = r.int64();
    } else {
      r.skip(type);
    }
  }
  return sample;
}
