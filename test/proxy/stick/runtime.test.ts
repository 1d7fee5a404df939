import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from '../../../proxy/runtime/registry.ts';
import { startRuntimeServer } from '../../../proxy/runtime/server.ts';
import type { RuntimeLevel, RuntimeServer } from '../../../proxy/runtime/runtime.types.ts';
import { parseStickKey } from '../../../proxy/stick/key.ts';
import { StickTableRegistry, createStickTableBuffers } from '../../../proxy/stick/registry.ts';
import { registerStickCommands } from '../../../proxy/stick/runtime.ts';
import { exchange, makeTempDir } from '../runtime/helpers.ts';
import { stickDef } from './helpers.ts';

// Real tables (shared memory, virtual clock) behind a real runtime socket, driven like socat does.
let tmp: ReturnType<typeof makeTempDir>;
let servers: RuntimeServer[] = [];
let clock: { now: number };
let tables: StickTableRegistry;

beforeEach(() => {
  tmp = makeTempDir();
  clock = { now: 5_000_000 };
  const defs = [
    stickDef('stick-table type ip size 1k expire 60s store http_req_cnt,http_req_rate(10s)', 'be'),
    stickDef('stick-table type string len 16 size 8 store gpc0,conn_cur', 'names'),
  ];
  tables = new StickTableRegistry(createStickTableBuffers(defs), () => clock.now);
});
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  tmp.cleanup();
});

/** Sends `commands` (one line) at `level`; returns the response without the empty line ending it ('' for an empty one). */
async function cli(commands: string, level: RuntimeLevel = 'admin'): Promise<string> {
  const path = tmp.path(`${level}.sock`);
  if (!servers.some((s) => s.path === path)) {
    const reg = createRegistry();
    registerStickCommands(reg, tables);
    servers.push(await startRuntimeServer({ path, registry: reg, level }));
  }
  const out = await exchange(path, commands + '\n');
  return out === '\n' ? '' : out.replace(/\n\n$/, '');
}

const ipKey = (s: string) => parseStickKey('ip', 4, s);

describe('set table, then show table', () => {
  it('creates the entry with its data and prints it in HAProxy 3 format', async () => {
    expect(await cli('set table be key 127.0.0.1 data.http_req_cnt 1 data.http_req_rate 1')).toBe('');
    clock.now += 500;
    const lines = (await cli('show table be')).split('\n');
    expect(lines[0]).toBe('# table: be, type: ip, size:1024, used:1');
    expect(lines[1]).toMatch(/^0x[0-9a-f]+: key=127\.0\.0\.1 use=0 exp=59500 shard=0 http_req_cnt=1 http_req_rate\(10000\)=1$/);
    expect(lines).toHaveLength(2);
  });

  it('updates an existing entry (the value is set, not added) and touches it', async () => {
    await cli('set table be key 10.0.0.1 data.http_req_cnt 5');
    clock.now += 30_000;
    await cli('set table be key 10.0.0.1 data.http_req_cnt 7');
    const out = await cli('show table be key 10.0.0.1');
    expect(out).toMatch(/key=10\.0\.0\.1 use=0 exp=60000 shard=0 http_req_cnt=7 http_req_rate\(10000\)=0$/);
    expect(tables.get('be')!.current).toBe(1);
  });

  it('lists every table with "show table"', async () => {
    await cli('set table names key alice data.gpc0 3');
    expect(await cli('show table')).toBe('# table: be, type: ip, size:1024, used:0\n# table: names, type: string, size:8, used:1');
  });

  it('filters on data values (several filters combine) and on one key', async () => {
    await cli('set table be key 10.0.0.1 data.http_req_cnt 1');
    await cli('set table be key 10.0.0.2 data.http_req_cnt 5');
    await cli('set table be key 10.0.0.3 data.http_req_cnt 9');
    const keys = (out: string) => [...out.matchAll(/key=(\S+)/g)].map((m) => m[1]);
    expect(keys(await cli('show table be data.http_req_cnt gt 1'))).toEqual(['10.0.0.2', '10.0.0.3']);
    expect(keys(await cli('show table be data.http_req_cnt gt 1 data.http_req_cnt lt 9'))).toEqual(['10.0.0.2']);
    expect(keys(await cli('show table be key 10.0.0.3'))).toEqual(['10.0.0.3']);
    // no entry for the key: HAProxy prints nothing at all
    expect(await cli('show table be key 10.9.9.9')).toBe('');
  });

  it('prints string keys as text', async () => {
    await cli('set table names key bob data.conn_cur 2');
    expect((await cli('show table names')).split('\n')[1]).toMatch(/^0x[0-9a-f]+: key=bob use=0 exp=0 shard=0 gpc0=0 conn_cur=2$/);
  });
});

describe('clear table', () => {
  it('removes one key, the entries matching a filter, or everything', async () => {
    for (const [ip, n] of [['10.0.0.1', 1], ['10.0.0.2', 5], ['10.0.0.3', 9], ['10.0.0.4', 9]] as const) {
      await cli(`set table be key ${ip} data.http_req_cnt ${n}`);
    }
    const t = tables.get('be')!;
    expect(await cli('clear table be key 10.0.0.1')).toBe('');
    expect(t.has(ipKey('10.0.0.1'))).toBe(false);
    expect(await cli('clear table be data.http_req_cnt eq 9')).toBe('');
    expect(t.has(ipKey('10.0.0.3')) || t.has(ipKey('10.0.0.4'))).toBe(false);
    expect(t.current).toBe(1);
    expect(await cli('clear table be')).toBe('');
    expect(t.current).toBe(0);
    expect(t.verify()).toEqual([]);
  });

  it('refuses to remove an entry in use, with HAProxy message, and leaves it', async () => {
    const t = tables.get('be')!;
    const h = t.acquire(ipKey('10.0.0.7')); // a stream tracking it
    expect(await cli('clear table be key 10.0.0.7')).toBe('Entry currently in use, cannot remove');
    expect(t.has(ipKey('10.0.0.7'))).toBe(true);
    expect(await cli('show table be key 10.0.0.7')).toMatch(/use=1 /);
    t.release(h);
    expect(await cli('clear table be key 10.0.0.7')).toBe('');
    expect(t.current).toBe(0);
  });
});

describe("HAProxy's error messages", () => {
  it('unknown table, missing arguments', async () => {
    expect(await cli('show table nope')).toBe("No such table: 'nope'; tables: be, names.");
    expect(await cli('clear table nope')).toMatch(/^No such table: 'nope'/);
    expect(await cli('set table nope key 1.2.3.4')).toMatch(/^No such table: 'nope'/);
    expect(await cli('clear table')).toBe('Required arguments: <table> "data.<store_data_type>" <operator> <value> or <table> key <key>');
    expect(await cli('set table be')).toBe('Required arguments: <table> key <key> [data.<store_data_type> <value>]*');
    expect(await cli('show table be foo')).toBe('Optional argument only supports "data.<store_data_type>" <operator> <value> and key <key>');
    expect(await cli('show table be key')).toBe('Key value expected');
  });

  it('bad key for the table type', async () => {
    expect(await cli('set table be key 300.1.1.1')).toMatch(/^Invalid key: invalid IPv4 address '300\.1\.1\.1' for a table of type ip/);
    expect(await cli('show table be key nothing')).toMatch(/^Invalid key: /);
    expect(tables.get('be')!.current).toBe(0);
  });

  it('unknown data type, type not stored, bad operator or value', async () => {
    expect(await cli('show table be data.foo gt 1')).toMatch(/^Unknown data type: 'foo' \(known: server_id, /);
    expect(await cli('show table be data.gpc0 gt 1')).toBe("Data type not stored in this table: 'gpc0' (table 'be' stores http_req_cnt, http_req_rate)");
    expect(await cli('show table be data.http_req_cnt between 1')).toBe('Require and operator among "eq", "ne", "le", "ge", "lt", "gt"');
    expect(await cli('clear table be data.http_req_cnt gt x')).toBe('Require a valid integer value to compare against');
    expect(await cli('set table be key 1.2.3.4 data.gpc0 1')).toMatch(/^Data type not stored in this table/);
    expect(await cli('set table be key 1.2.3.4 data.http_req_cnt')).toBe('Require a valid integer value to store');
    expect(await cli('set table be key 1.2.3.4 http_req_cnt 1')).toBe('"data.<type>" followed by a value expected');
    // a bad argument changes nothing: the entry was not even created
    expect(tables.get('be')!.current).toBe(0);
  });

  it('a full table with nopurge cannot take a new entry', async () => {
    tables = new StickTableRegistry(createStickTableBuffers([stickDef('stick-table type integer size 1 nopurge', 'tiny')]), () => clock.now);
    expect(await cli('set table tiny key 1')).toBe('');
    expect(await cli('set table tiny key 2')).toBe('Unable to allocate a new entry');
  });
});

describe('access levels (as HAProxy: contents and changes need operator)', () => {
  it('user level sees the headers only, and cannot filter, clear or set', async () => {
    await cli('set table be key 10.0.0.1 data.http_req_cnt 1');
    expect(await cli('show table', 'user')).toBe('# table: be, type: ip, size:1024, used:1\n# table: names, type: string, size:8, used:0');
    expect(await cli('show table be', 'user')).toBe('# table: be, type: ip, size:1024, used:1\n# contents not dumped due to insufficient privileges');
    expect(await cli('show table be key 10.0.0.1', 'user')).toBe('Permission denied');
    expect(await cli('show table be data.http_req_cnt gt 0', 'user')).toBe('Permission denied');
    expect(await cli('clear table be', 'user')).toBe('Permission denied');
    expect(await cli('set table be key 10.0.0.2', 'user')).toBe('Permission denied');
    expect(tables.get('be')!.current).toBe(1);
  });

  it('operator level may show, clear and set', async () => {
    expect(await cli('set table be key 10.0.0.2 data.http_req_cnt 4', 'operator')).toBe('');
    expect(await cli('show table be', 'operator')).toMatch(/key=10\.0\.0\.2 .*http_req_cnt=4/);
    expect(await cli('clear table be key 10.0.0.2', 'operator')).toBe('');
    expect(tables.get('be')!.current).toBe(0);
  });
});
