import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The JSON body, gunzipped where it was sent compressed. */
  body: {
    hosts: {
      host: string;
      labels: Record<string, string>;
      samples: { ts: number | string; values: Record<string, number> }[];
    }[];
  };
}

export interface FakeAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A stand-in for the onset ingest API: records every request and answers what `respond` says
 * (by default 204). Samples it answers 2xx for are stored once per host and timestamp, as the server does.
 */
export class FakeServer {
  readonly requests: ReceivedRequest[] = [];
  readonly stored = new Map<string, Record<string, number>>();
  respond: (request: ReceivedRequest, index: number) => FakeAnswer = () => ({ status: 204 });
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let raw = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
        const request: ReceivedRequest = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: JSON.parse(raw.toString('utf8')) as ReceivedRequest['body'],
        };
        this.requests.push(request);
        const answer = this.respond(request, this.requests.length - 1);
        if (answer.status >= 200 && answer.status < 300) {
          for (const host of request.body.hosts) {
            for (const sample of host.samples)
              this.stored.set(`${host.host}@${Number(sample.ts)}`, sample.values);
          }
        }
        const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
        res.end(text);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `predicate` holds, polling every 50 ms. */
  async waitFor(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(`timed out after ${timeoutMs} ms waiting for the fake server`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
