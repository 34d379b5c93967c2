import { describe, expect, it } from 'vitest';
import {
  decodeWriteRequest,
  decompressSnappy,
  RemoteWriteDecodeError,
} from '../../server/prometheus/remote-write.decode.ts';
import { mapWriteRequest, stripPort } from '../../server/prometheus/remote-write.mapping.ts';
import { compress, encodeWriteRequest } from './remote-write.encode.ts';

const limits = { maxSeries: 1000, maxSamples: 1000 };

describe('decodeWriteRequest', () => {
  it('reads labels and samples, skipping metadata', () => {
    const bytes = encodeWriteRequest([
      {
        labels: { __name__: 'node_memory_Slab_bytes', instance: 'web-001:9100' },
        samples: [
          [1_500_000_000_000, 551_133_184],
          [1_500_000_060_000, 0],
        ],
      },
      { labels: { __name__: 'neg' }, samples: [[-5, -1.5]] },
    ]);
    expect(decodeWriteRequest(bytes, limits)).toEqual([
      {
        labels: [
          { name: '__name__', value: 'node_memory_Slab_bytes' },
          { name: 'instance', value: 'web-001:9100' },
        ],
        samples: [
          { value: 551_133_184, timestamp: 1_500_000_000_000 },
          { value: 0, timestamp: 1_500_000_060_000 },
        ],
      },
      { labels: [{ name: '__name__', value: 'neg' }], samples: [{ value: -1.5, timestamp: -5 }] },
    ]);
  });

  it('refuses more series or samples than allowed as too large', () => {
    const bytes = encodeWriteRequest([
      { labels: { __name__: 'a' }, samples: [[1, 1]] },
      { labels: { __name__: 'b' }, samples: [[1, 1]] },
    ]);
    expect(() => decodeWriteRequest(bytes, { maxSeries: 1, maxSamples: 10 })).toThrow(/at most 1 series/);
    expect(() => decodeWriteRequest(bytes, { maxSeries: 10, maxSamples: 1 })).toThrow(/at most 1 samples/);
  });

  it('throws a clean error on every truncation of a valid request', () => {
    const bytes = encodeWriteRequest([
      { labels: { __name__: 'node_memory_Slab_bytes', instance: 'h:1' }, samples: [[1_500_000_000_000, 1]] },
    ]);
    for (let n = 1; n < bytes.length; n++) {
      try {
        decodeWriteRequest(bytes.subarray(0, n), limits);
      } catch (err) {
        expect(err).toBeInstanceOf(RemoteWriteDecodeError);
      }
    }
  });

  it('fuzz: random and mutated bytes decode or throw RemoteWriteDecodeError, quickly', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const valid = encodeWriteRequest([
      { labels: { __name__: 'node_memory_Slab_bytes', instance: 'h:1' }, samples: [[1_500_000_000_000, 1]] },
    ]);
    const started = Date.now();
    for (let i = 0; i < 5_000; i++) {
      const bytes =
        i % 2 === 0
          ? Uint8Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))
          : Uint8Array.from(valid, (b) => (rand() < 0.05 ? Math.floor(rand() * 256) : b));
      try {
        decodeWriteRequest(bytes, limits);
      } catch (err) {
        if (!(err instanceof RemoteWriteDecodeError)) throw err;
      }
      try {
        decompressSnappy(bytes, 4096);
      } catch (err) {
        if (!(err instanceof RemoteWriteDecodeError)) throw err;
      }
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('decompressSnappy', () => {
  it('round-trips, and refuses a stated length over the limit before allocating', () => {
    const data = Buffer.from('x'.repeat(5000));
    expect(Buffer.from(decompressSnappy(compress(data), 5000))).toEqual(data);
    // A 5-byte header claiming 4 GiB and no data: refused by its header alone.
    const bomb = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f]);
    const err = (() => {
      try {
        decompressSnappy(bomb, 1 << 20);
      } catch (e) {
        return e as RemoteWriteDecodeError;
      }
    })();
    expect(err?.tooLarge).toBe(true);
    expect(() => decompressSnappy(compress(data), 4999)).toThrow(/more than/);
    expect(() => decompressSnappy(Uint8Array.from([]), 10)).toThrow(/snappy/);
    expect(() => decompressSnappy(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 10)).toThrow(
      /snappy/,
    );
  });
});

describe('mapWriteRequest', () => {
  const series = (
    labels: Record<string, string>,
    samples: Array<[number, number]> = [[1_500_000_000_000, 1]],
  ) => ({
    labels: Object.entries(labels).map(([name, value]) => ({ name, value })),
    samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
  });

  it('strips ports, and prefers onset_host, nodename and host over instance', () => {
    expect(stripPort('web-001.example.net:9100')).toBe('web-001.example.net');
    expect(stripPort('[2001:db8::1]:9100')).toBe('2001:db8::1');
    expect(stripPort('web-001')).toBe('web-001');
    const hosts = (labels: Record<string, string>) =>
      mapWriteRequest([series({ __name__: 'node_memory_Slab_bytes', ...labels })]).body.hosts.map(
        (h) => h.host,
      );
    expect(hosts({ instance: '10.0.0.1:9100' })).toEqual(['10.0.0.1']);
    expect(hosts({ instance: '10.0.0.1:9100', host: 'h' })).toEqual(['h']);
    expect(hosts({ instance: '10.0.0.1:9100', host: 'h', nodename: 'n' })).toEqual(['n']);
    expect(hosts({ instance: '10.0.0.1:9100', host: 'h', nodename: 'n', onset_host: 'o' })).toEqual(['o']);
  });

  it('keeps the series-naming labels in the key and makes target labels host labels', () => {
    const mapped = mapWriteRequest([
      series({
        __name__: 'node_slabinfo_objects',
        slab: 'dentry',
        instance: 'h:9100',
        job: 'node',
        role: 'web',
      }),
      series({
        __name__: 'node_memory_Slab_bytes',
        instance: 'h:9100',
        job: 'node',
        role: 'web',
        dc: 'ams1',
      }),
      series({ __name__: 'node_cpu_seconds_total', instance: 'h:9100', cpu: '0' }),
    ]);
    expect(mapped.body.hosts).toEqual([
      {
        host: 'h',
        labels: { role: 'web', dc: 'ams1' },
        samples: [
          {
            ts: 1_500_000_000_000,
            values: { 'node_slabinfo_objects{slab="dentry"}': 1, node_memory_Slab_bytes: 1 },
          },
        ],
      },
    ]);
    expect(mapped.series).toEqual({ accepted: 2, ignored: 1 });
  });

  it('refuses a series of an analysed family that names no host', () => {
    const mapped = mapWriteRequest([series({ __name__: 'node_memory_Slab_bytes', job: 'node' })]);
    expect(mapped.problems).toEqual([
      { path: 'node_memory_Slab_bytes{job="node"}', message: expect.stringMatching(/instance/) },
    ]);
  });
});

describe('varints', () => {
  it('reads int64 timestamps exactly, negative ones too', () => {
    const values = [
      0,
      1,
      127,
      128,
      2 ** 31,
      2 ** 32 + 5,
      1_500_000_000_123,
      2 ** 53 - 1,
      -1,
      -5,
      -(2 ** 40) - 3,
    ];
    const bytes = encodeWriteRequest([
      { labels: { __name__: 'x' }, samples: values.map((t): [number, number] => [t, 1]) },
    ]);
    expect(decodeWriteRequest(bytes, limits)[0]?.samples.map((s) => s.timestamp)).toEqual(values);
  });
});
