// Conformance of `tora-dev neon-local` with the official Neon driver
// (@neondatabase/serverless): if the driver works against the local endpoint the way it
// works against Neon, the worker's own Neon client can be tested locally too.
//
// Needs a running endpoint: NEON_LOCAL_URL=http://127.0.0.1:4444 (without /sql).
// Optional: NEON_LOCAL_CONNECTION_STRING (default postgresql://tora:tora@localhost/tora).
// The host must be a DNS name such as localhost: like Neon, the endpoint rejects an IP.
//
// Every run works in its own schema and drops it at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { neon, neonConfig } from '@neondatabase/serverless';

const base = process.env.NEON_LOCAL_URL;
if (!base) {
  throw new Error('set NEON_LOCAL_URL to the endpoint, e.g. http://127.0.0.1:4444');
}
const endpoint = `${base.replace(/\/+$/, '')}/sql`;
const connectionString =
  process.env.NEON_LOCAL_CONNECTION_STRING ?? 'postgresql://tora:tora@localhost/tora';

neonConfig.fetchEndpoint = endpoint;
const sql = neon(connectionString);

// Identifiers cannot be params; this one is generated, never user input.
const schema = `neon_conformance_${randomBytes(6).toString('hex')}`;
const t = (name) => `${schema}.${name}`;

before(async () => {
  await sql.query(`create schema ${schema}`);
  await sql.query(
    `create table ${t('items')} (id int primary key, label text not null, qty int8, created timestamptz)`,
  );
});

after(async () => {
  await sql.query(`drop schema if exists ${schema} cascade`);
});

async function countItems() {
  const [{ n }] = await sql.query(`select count(*)::int as n from ${t('items')}`);
  return n;
}

describe('single statements', () => {
  test('params of each scalar type round-trip with the driver types', async () => {
    const [row] = await sql`
      select ${'héllo "quoted" \\ back'}::text as txt,
             ${42}::int4 as i4,
             ${9007199254740993n}::int8 as i8,
             ${'12345678901234567890.125'}::numeric as num,
             ${true}::bool as yes,
             ${false}::bool as no,
             ${1.5}::float8 as f8`;
    assert.deepEqual(row, {
      txt: 'héllo "quoted" \\ back',
      i4: 42,
      // int8 and numeric come back as strings so no precision is lost.
      i8: '9007199254740993',
      num: '12345678901234567890.125',
      yes: true,
      no: false,
      f8: 1.5,
    });
  });

  test('untyped params take the type Postgres infers', async () => {
    const [row] = await sql`select ${'7'} + 1 as sum, ${'abc'} || 'def' as cat`;
    assert.deepEqual(row, { sum: 8, cat: 'abcdef' });
  });

  test('NULL params and NULL results stay null', async () => {
    const [row] = await sql`
      select ${null}::text as t, ${null}::int4 as i, ${null}::jsonb as j,
             ${undefined}::int8 as u, null::int[] as a`;
    assert.deepEqual(row, { t: null, i: null, j: null, u: null, a: null });
  });

  test('json and jsonb round-trip as values', async () => {
    const doc = { name: 'pull-up', sets: [5, 5, 4], meta: { tempo: '3-1-1', note: null }, ok: true };
    const [row] = await sql`select ${doc}::json as j, ${doc}::jsonb as jb, ${JSON.stringify([1, 'x'])}::jsonb as arr`;
    assert.deepEqual(row.j, doc);
    assert.deepEqual(row.jb, doc);
    assert.deepEqual(row.arr, [1, 'x']);
  });

  test('timestamptz round-trips as a Date at the same instant', async () => {
    const when = new Date('2024-01-02T03:04:05.678Z');
    const [row] = await sql`select ${when}::timestamptz as ts, ${when}::timestamptz + interval '1 day' as next`;
    assert.ok(row.ts instanceof Date);
    assert.equal(row.ts.getTime(), when.getTime());
    assert.equal(row.next.getTime(), when.getTime() + 86_400_000);
  });

  test('int[] and text[] round-trip, including quotes, commas, backslashes and NULL', async () => {
    const texts = ['plain', 'a,b', 'say "hi"', 'back\\slash', '{braces}', '', 'NULL', null, ' padded '];
    const [row] = await sql`select ${[1, -2, 3]}::int[] as ints, ${texts}::text[] as texts,
                                   '{{1,2},{3,4}}'::int[] as grid`;
    assert.deepEqual(row.ints, [1, -2, 3]);
    assert.deepEqual(row.texts, texts);
    assert.deepEqual(row.grid, [
      [1, 2],
      [3, 4],
    ]);
  });

  test('bytea round-trips as a Buffer', async () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a, 0xff]);
    const [row] = await sql`select ${bytes}::bytea as b, length(${bytes}::bytea) as len`;
    assert.ok(Buffer.isBuffer(row.b));
    assert.ok(row.b.equals(bytes));
    assert.equal(row.len, bytes.length);
  });

  test('fullResults gives fields, command and rowCount', async () => {
    const select = await sql.query('select $1::int4 as n, $2::text as s', [7, 'x'], { fullResults: true });
    assert.deepEqual(
      select.fields.map((f) => [f.name, f.dataTypeID, f.format]),
      [
        ['n', 23, 'text'],
        ['s', 25, 'text'],
      ],
    );
    assert.equal(select.command, 'SELECT');
    assert.equal(select.rowCount, 1);
    assert.deepEqual(select.rows, [{ n: 7, s: 'x' }]);

    const insert = await sql.query(
      `insert into ${t('items')} (id, label) values ($1, 'full-a'), ($2, 'full-b')`,
      [9001, 9002],
      { fullResults: true },
    );
    assert.equal(insert.command, 'INSERT');
    assert.equal(insert.rowCount, 2);
    assert.deepEqual(insert.fields, []);
    assert.deepEqual(insert.rows, []);

    const table = await sql.query(
      `select id, label from ${t('items')} where id = $1`,
      [9001],
      { fullResults: true },
    );
    // A real table column carries its table OID and column number.
    assert.ok(table.fields[0].tableID > 0);
    assert.equal(table.fields[0].columnID, 1);
    assert.equal(table.fields[1].columnID, 2);

    const create = await sql.query(`create table ${t('scratch')} (x int)`, [], { fullResults: true });
    assert.equal(create.command, 'CREATE');
    assert.equal(create.rowCount, null);

    const update = await sql.query(`update ${t('items')} set qty = 1 where id >= 9001`, [], {
      fullResults: true,
    });
    assert.equal(update.command, 'UPDATE');
    assert.equal(update.rowCount, 2);
  });

  test('arrayMode returns rows as arrays, keeping duplicate column names apart', async () => {
    const rows = await sql.query('select 1 as a, 2 as a, $1::text as b', ['z'], { arrayMode: true });
    assert.deepEqual(rows, [[1, 2, 'z']]);
  });

  test('a Postgres error rejects with its SQLSTATE and fields', async () => {
    await assert.rejects(sql`select * from nope_does_not_exist`, (error) => {
      assert.equal(error.name, 'NeonDbError');
      assert.equal(error.code, '42P01');
      assert.equal(error.severity, 'ERROR');
      assert.equal(error.message, 'relation "nope_does_not_exist" does not exist');
      assert.equal(error.position, '15');
      return true;
    });
  });

  test('a constraint violation names the constraint', async () => {
    await sql.query(`insert into ${t('items')} (id, label) values (1, 'one')`);
    await assert.rejects(sql.query(`insert into ${t('items')} (id, label) values (1, 'again')`), (error) => {
      assert.equal(error.code, '23505');
      assert.equal(error.constraint, 'items_pkey');
      assert.equal(error.table, 'items');
      assert.equal(error.schema, schema);
      assert.match(error.detail, /\(id\)=\(1\)/);
      return true;
    });
  });
});

describe('transactions', () => {
  test('a transaction commits all statements and returns each result in order', async () => {
    const before = await countItems();
    const when = new Date('2025-06-01T12:00:00.000Z');
    const results = await sql.transaction([
      sql`insert into ${sql.unsafe(t('items'))} (id, label, qty, created) values (100, 'tx-a', ${'5'}, ${when})`,
      sql`insert into ${sql.unsafe(t('items'))} (id, label) values (101, 'tx-b') returning id, label`,
      sql`select label, qty, created from ${sql.unsafe(t('items'))} where id = 100`,
    ]);
    assert.equal(results.length, 3);
    assert.deepEqual(results[0], []);
    assert.deepEqual(results[1], [{ id: 101, label: 'tx-b' }]);
    assert.deepEqual(results[2], [{ label: 'tx-a', qty: '5', created: when }]);
    assert.equal(await countItems(), before + 2);
  });

  test('a failing second statement rolls back the first and reports its code', async () => {
    const before = await countItems();
    await assert.rejects(
      sql.transaction([
        sql`insert into ${sql.unsafe(t('items'))} (id, label) values (200, 'must not persist')`,
        sql`insert into ${sql.unsafe(t('items'))} (id, label) values (201, null)`,
      ]),
      (error) => {
        assert.equal(error.name, 'NeonDbError');
        assert.equal(error.code, '23502'); // not_null_violation
        assert.equal(error.column, 'label');
        return true;
      },
    );
    assert.equal(await countItems(), before);
    const rows = await sql.query(`select id from ${t('items')} where id = 200`);
    assert.deepEqual(rows, []);
  });

  test('after a failed transaction the endpoint serves the next one normally', async () => {
    await assert.rejects(sql.transaction([sql`select 1`, sql`select * from nope_does_not_exist`]), {
      code: '42P01',
    });
    const [[one], [two]] = await sql.transaction([sql`select 1 as x`, sql`select 2 as x`]);
    assert.deepEqual([one, two], [{ x: 1 }, { x: 2 }]);
  });

  test('isolation level, read-only and deferrable options reach Postgres', async () => {
    const [[isolation], [readOnly], [deferrable]] = await sql.transaction(
      [sql`show transaction_isolation`, sql`show transaction_read_only`, sql`show transaction_deferrable`],
      { isolationLevel: 'Serializable', readOnly: true, deferrable: true },
    );
    assert.deepEqual(isolation, { transaction_isolation: 'serializable' });
    assert.deepEqual(readOnly, { transaction_read_only: 'on' });
    assert.deepEqual(deferrable, { transaction_deferrable: 'on' });

    const [[level]] = await sql.transaction([sql`show transaction_isolation`], {
      isolationLevel: 'RepeatableRead',
    });
    assert.deepEqual(level, { transaction_isolation: 'repeatable read' });
  });

  test('a write in a read-only transaction fails with 25006 and changes nothing', async () => {
    const before = await countItems();
    await assert.rejects(
      sql.transaction([sql`insert into ${sql.unsafe(t('items'))} (id, label) values (300, 'ro')`], {
        readOnly: true,
      }),
      (error) => {
        assert.equal(error.code, '25006'); // read_only_sql_transaction
        return true;
      },
    );
    assert.equal(await countItems(), before);
  });

  test('transaction results honour per-query fullResults and arrayMode', async () => {
    const [full, array] = await sql.transaction([
      sql.query('select $1::int8 as big', ['9007199254740993'], { fullResults: true }),
      sql.query('select 1 as a, 2 as b', [], { arrayMode: true }),
    ]);
    assert.equal(full.command, 'SELECT');
    assert.equal(full.rowCount, 1);
    assert.deepEqual(full.rows, [{ big: '9007199254740993' }]);
    assert.deepEqual(array, [[1, 2]]);
  });
});

// The protocol itself, for what the driver hides: headers, the error body's shape and
// the request checks.
describe('HTTP protocol', () => {
  const post = (body, headers = {}) =>
    fetch(endpoint, {
      method: 'POST',
      headers: { 'Neon-Connection-String': connectionString, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  test('every response has the JSON, CORS and request-id headers', async () => {
    const response = await post({ query: 'select 1 as x' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    assert.match(response.headers.get('neon-request-id'), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('without raw mode, values get JSON types and keys come in the proxy order', async () => {
    const response = await post({
      query: "select 1::int2 as s, 2::int8 as b, 't'::bool as t, 'NaN'::float8 as nan, '{1,2}'::int8[] as a, '{\"k\": 1}'::jsonb as j",
    });
    const text = await response.text();
    assert.match(text, /^\{"fields":\[.*\],"rows":\[.*\],"command":"SELECT","rowCount":1,"rowAsArray":false\}$/);
    assert.deepEqual(JSON.parse(text).rows, [{ s: 1, b: '2', t: true, nan: 'NaN', a: ['1', '2'], j: { k: 1 } }]);
  });

  test('raw text mode returns Postgres text and keeps NULL as null', async () => {
    const response = await post(
      { query: "select true as t, '{1,2}'::int[] as a, null::text as n" },
      { 'Neon-Raw-Text-Output': 'true', 'Neon-Array-Mode': 'true' },
    );
    const body = await response.json();
    assert.deepEqual(body.rows, [['t', '{1,2}', null]]);
    assert.equal(body.rowAsArray, true);
  });

  test('an error body always has the 17 keys', async () => {
    const response = await post({ query: 'select * from nope_does_not_exist' });
    assert.equal(response.status, 400);
    const body = await response.json();
    assert.deepEqual(Object.keys(body), [
      'message', 'code', 'detail', 'hint', 'position', 'internalPosition', 'internalQuery', 'severity',
      'where', 'table', 'column', 'schema', 'dataType', 'constraint', 'file', 'line', 'routine',
    ]);
    assert.equal(body.code, '42P01');
    assert.equal(body.detail, null);
  });

  test('a successful batch echoes its options', async () => {
    const response = await post(
      { queries: [{ query: 'select 1 as x' }] },
      { 'Neon-Batch-Isolation-Level': 'ReadCommitted', 'Neon-Batch-Read-Only': 'true' },
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('neon-batch-isolation-level'), 'ReadCommitted');
    assert.equal(response.headers.get('neon-batch-read-only'), 'true');
    assert.equal(response.headers.get('neon-batch-deferrable'), null);
    const body = await response.json();
    assert.deepEqual(body.results[0].rows, [{ x: 1 }]);
  });

  test('bad requests are rejected with the proxy messages', async () => {
    const cases = [
      [{ 'Neon-Connection-String': 'postgresql://tora:tora@127.0.0.1/tora' }, { query: 'select 1' }, 'missing hostname'],
      [{ 'Neon-Batch-Isolation-Level': 'serializable' }, { queries: [] }, 'invalid isolation level'],
      [{}, { sql: 'select 1' }, /^could not parse the HTTP request body: /],
    ];
    for (const [headers, body, message] of cases) {
      const response = await post(body, headers);
      assert.equal(response.status, 400);
      const error = await response.json();
      if (message instanceof RegExp) assert.match(error.message, message);
      else assert.equal(error.message, message);
      assert.equal(error.code, '');
    }
  });

  test('OPTIONS is a CORS preflight and other routes are a JSON string 400', async () => {
    const preflight = await fetch(endpoint, { method: 'OPTIONS' });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('allow'), 'OPTIONS, POST');
    assert.match(preflight.headers.get('access-control-allow-headers'), /Neon-Connection-String/);

    const other = await fetch(endpoint, { method: 'GET' });
    assert.equal(other.status, 400);
    assert.equal(await other.json(), 'query is not supported');
  });
});
