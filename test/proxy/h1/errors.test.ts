import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { errorResponse, errorResponseText, HAPROXY_ERROR_STATUSES } from '../../../proxy/h1/errors.ts';

/**
 * HAProxy's error messages as they reach a client. Texts from HAProxy 3.x src/http.c
 * (http_err_msgs[]); header names lower-cased by HTX and `connection: close` appended last by the
 * H1 mux, as a live HAProxy sends them (e.g. this nmap fingerprint of a HAProxy 503:
 * "HTTP/1.1 503 Service Unavailable / content-length: 107 / cache-control: no-cache /
 * content-type: text/html / connection: close").
 */
const HEAD = (status: string, length: number) =>
  `HTTP/1.1 ${status}\r\ncontent-length: ${length}\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n`;

const EXPECTED: Record<number, string> = {
  400:
    HEAD('400 Bad request', 90) +
    '<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n',
  403:
    HEAD('403 Forbidden', 93) +
    '<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n',
  404: HEAD('404 Not Found', 83) + '<html><body><h1>404 Not Found</h1>\nThe resource could not be found.\n</body></html>\n',
  405:
    HEAD('405 Method Not Allowed', 146) +
    '<html><body><h1>405 Method Not Allowed</h1>\nA request was made of a resource using a request method not supported by that resource\n</body></html>\n',
  408:
    HEAD('408 Request Time-out', 110) +
    "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n",
  410:
    HEAD('410 Gone', 114) +
    '<html><body><h1>410 Gone</h1>\nThe resource is no longer available and will not be available again.\n</body></html>\n',
  413:
    HEAD('413 Payload Too Large', 106) +
    '<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n',
  414:
    HEAD('414 URI Too Long', 110) +
    '<html><body><h1>414 URI Too Long</h1>\nThe URI provided was too long for the server to process.\n</body></html>\n',
  421:
    HEAD('421 Misdirected Request', 104) +
    '<html><body><h1>421 Misdirected Request</h1>\nRequest sent to a non-authoritative server.\n</body></html>\n',
  422:
    HEAD('422 Unprocessable Content', 116) +
    '<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n',
  425: HEAD('425 Too Early', 80) + '<html><body><h1>425 Too Early</h1>\nYour browser sent early data.\n</body></html>\n',
  429:
    HEAD('429 Too Many Requests', 117) +
    '<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n',
  431:
    HEAD('431 Request Header Fields Too Large', 106) +
    '<html><body><h1>431 Request Header Fields Too Large</h1>\n>Request Header Fields Too Large.\n</body></html>\n',
  500:
    HEAD('500 Internal Server Error', 97) +
    '<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n',
  501:
    HEAD('501 Not Implemented', 136) +
    '<html><body><h1>501 Not Implemented</h1>\n.The server does not support the functionality required to fulfill the request.\n</body></html>\n',
  502:
    HEAD('502 Bad Gateway', 107) +
    '<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n',
  503:
    HEAD('503 Service Unavailable', 107) +
    '<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n',
  504:
    HEAD('504 Gateway Time-out', 92) +
    "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n",
};

/** The statuses the issue requires; the others in EXPECTED are HAProxy's too. */
const REQUIRED = [400, 403, 405, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504];

describe('HAProxy error responses', () => {
  it.each(Object.keys(EXPECTED).map(Number))('%i matches HAProxy byte for byte', (status) => {
    expect(Buffer.from(errorResponse(status)).toString('latin1')).toBe(EXPECTED[status]);
    expect(errorResponseText(status)).toBe(EXPECTED[status]);
  });

  it('covers every status the issue lists, and exactly HAProxy error table', () => {
    for (const s of REQUIRED) expect(HAPROXY_ERROR_STATUSES).toContain(s);
    expect([...HAPROXY_ERROR_STATUSES].sort()).toEqual(Object.keys(EXPECTED).map(Number).sort());
  });

  it('declares a content-length equal to the body length', () => {
    for (const status of HAPROXY_ERROR_STATUSES) {
      const [head, body] = errorResponseText(status).split('\r\n\r\n');
      const cl = Number(/content-length: (\d+)/.exec(head)![1]);
      expect(Buffer.byteLength(body, 'latin1'), String(status)).toBe(cl);
    }
  });

  it('returns a fresh copy each time', () => {
    const a = errorResponse(503);
    a.fill(0);
    expect(Buffer.from(errorResponse(503)).toString('latin1')).toBe(EXPECTED[503]);
  });

  it('builds a page in the same style for other statuses', () => {
    const body = "<html><body><h1>418 I'm a teapot</h1>\n</body></html>\n";
    expect(errorResponseText(418)).toBe(
      `HTTP/1.1 418 I'm a teapot\r\ncontent-length: ${body.length}\r\ncache-control: no-cache\r\n` +
        `content-type: text/html\r\nconnection: close\r\n\r\n${body}`,
    );
    expect(errorResponseText(599)).toContain('HTTP/1.1 599 Server Error\r\n');
    expect(errorResponseText(204)).toBe('HTTP/1.1 204 No Content\r\ncache-control: no-cache\r\nconnection: close\r\n\r\n');
  });

  it("falls back to HAProxy's 500 for codes that are not final statuses, without throwing", () => {
    for (const odd of [0, 100, 199, 600, 999, -1, 2.5, Number.NaN]) expect(errorResponseText(odd)).toBe(EXPECTED[500]);
  });
});

describe('HAProxy error responses through node:http (llhttp)', () => {
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    // Writes the error page named by the request path once the request head has arrived.
    server = net.createServer((sock) => {
      let got = '';
      sock.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) sock.end(errorResponse(Number(got.split(' ')[1].slice(1))));
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it.each(Object.keys(EXPECTED).map(Number))('%i parses as a complete closing response', async (status) => {
    const r = await new Promise<{ status: number; message: string; headers: http.IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/${status}`, agent: false }, (res) => {
            let body = '';
            res.setEncoding('latin1');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode!, message: res.statusMessage!, headers: res.headers, body }));
          })
          .on('error', reject);
      },
    );
    expect(r.status).toBe(status);
    expect(`${status} ${r.message}`).toBe(EXPECTED[status].split('\r\n')[0].slice(9));
    expect(r.headers).toEqual({
      'content-length': String(r.body.length),
      'cache-control': 'no-cache',
      'content-type': 'text/html',
      connection: 'close',
    });
    expect(r.body).toBe(EXPECTED[status].split('\r\n\r\n')[1]);
  });
});
