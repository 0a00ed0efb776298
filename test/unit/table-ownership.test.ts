import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { mayName, TABLE_OWNERS, type TableName } from '../../src/store/ownership.ts';

/**
 * DESIGN.md §6: a capability owns its tables; another capability asks it a question (its
 * index.ts), never reads its rows. This test reads the sources of each capability and core
 * module, finds every table they name — in the query builder's calls and in raw SQL — and fails
 * on a table another one owns (src/store/ownership.ts says who owns what).
 */

const root = new URL('../..', import.meta.url).pathname;

/** The folders held to the rule: the capabilities, the access pipeline (it owns no table) and the core's owners. */
const FOLDERS = [
  'identity',
  'policy',
  'guard',
  'bank',
  'incidents',
  'privacy',
  'updates',
  'registration',
  'mandates',
  'access',
  'ledger',
  'notify',
  'jobs',
] as const;

/**
 * The sideways reads that stay, each with its reason. A line here is a debt with a reason, not a
 * licence: the test also fails when one of them is gone (then remove its line).
 */
const EXCEPTIONS: ReadonlyArray<{ file: string; table: TableName; why: string }> = [
  {
    // resolveSession runs on every authenticated request, in one statement: session, account,
    // actor, organisation and the policy epoch the decision cache is keyed on. Asking policy
    // for the epoch would add a round trip to every request (test/backend/access-pipeline.test.ts
    // counts them).
    file: 'src/identity/sessions.ts',
    table: 'policy_epoch',
    why: 'hot path: the policy epoch is read inside the one statement that resolves a session on every request',
  },
  {
    // relationshipFacts reads every tie of a person to an actor in one statement on the read path;
    // a held change of bank details is one of them. Policy cannot ask the bank either: the bank
    // imports the guard, which imports policy (an import cycle).
    file: 'src/policy/context.ts',
    table: 'bank_changes',
    why: 'hot path (one statement for every tie on each read) and an import cycle (bank → guard → policy)',
  },
  {
    // A counsellor's caseload page leaves the decoys out inside the paged, counted statement
    // (LIMIT/OFFSET and the total in SQL); a question to the guard would page in memory. And
    // policy cannot import the guard: the guard imports policy.
    file: 'src/policy/caseload.ts',
    table: 'guard_decoys',
    why: 'filtered inside the paged SQL statement, and an import cycle (guard → policy)',
  },
];

/** Kysely's calls that name a table as their first argument. */
const KYSELY_CALL =
  /\.\s*(selectFrom|updateTable|insertInto|replaceInto|deleteFrom|mergeInto|using|innerJoin|leftJoin|rightJoin|fullJoin|crossJoin|innerJoinLateral|leftJoinLateral)\(\s*/g;

/** Raw SQL keywords followed by a table name. */
const RAW_SQL = /\b(?:FROM|JOIN|UPDATE|INTO|TABLE)\s+([A-Za-z_][A-Za-z0-9_]*)/gi;

interface Naming {
  file: string;
  line: number;
  table: string;
  how: 'call' | 'sql' | 'unreadable';
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** The string literals at the start of a call's arguments: `'t'`, `'t as alias'`, or `['a', 'b as c']`. */
function tablesOfArgument(text: string, start: number): string[] | undefined {
  const literal = /^(['"])([a-z_][a-z0-9_]*)(?:\s+as\s+[A-Za-z_][A-Za-z0-9_]*)?\1/;
  const rest = text.slice(start);
  const one = literal.exec(rest);
  if (one) return [one[2]!];
  if (rest.startsWith('[')) {
    const list = rest.slice(1, rest.indexOf(']'));
    const names = list
      .split(',')
      .map((item) => literal.exec(item.trim())?.[2])
      .filter((name): name is string => name !== undefined);
    return names.length ? names : undefined;
  }
  // A callback (a subquery or an `on` builder), a variable or an expression: nothing the test can read.
  return undefined;
}

/**
 * The literal text of the `sql` tagged templates (what a raw statement says), without the
 * interpolated expressions, each with the offset it starts at.
 */
function sqlTemplates(text: string): Array<{ at: number; body: string }> {
  const out: Array<{ at: number; body: string }> = [];
  const tag = /\bsql(?:<[^`]*?>)?`/g;
  for (let match = tag.exec(text); match; match = tag.exec(text)) {
    let i = match.index + match[0].length;
    let body = '';
    let depth = 0;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (depth === 0) {
        if (c === '\\') {
          body += text[++i] ?? '';
          continue;
        }
        if (c === '`') break;
        if (c === '$' && text[i + 1] === '{') {
          depth = 1;
          body += ' ? ';
          i++;
          continue;
        }
        body += c;
      } else if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    out.push({ at: match.index, body });
    tag.lastIndex = i + 1;
  }
  return out;
}

/** Every table a source text names, where, and how. */
function tablesNamed(file: string, text: string): Naming[] {
  const found: Naming[] = [];
  for (const match of text.matchAll(KYSELY_CALL)) {
    const start = match.index + match[0].length;
    const tables = tablesOfArgument(text, start);
    const line = lineOf(text, match.index);
    // A callback is Kysely's subquery or join builder (`eb.selectFrom(…)` inside names its own tables).
    if (!tables) {
      if (!/^(\(|async\b|[a-z_]+\s*=>)/i.test(text.slice(start)))
        found.push({ file, line, table: text.slice(start, start + 30).split(/[),]/)[0]!, how: 'unreadable' });
      continue;
    }
    for (const table of tables) found.push({ file, line, table, how: 'call' });
  }
  for (const template of sqlTemplates(text)) {
    for (const match of template.body.matchAll(RAW_SQL)) {
      const table = match[1]!;
      // Only the store's tables count: `FROM json_each(…)`, `FROM unnest(…)`, `FROM pg_class` are not.
      if (Object.hasOwn(TABLE_OWNERS, table)) found.push({ file, line: lineOf(text, template.at), table, how: 'sql' });
    }
  }
  return found;
}

function sourcesOf(folder: string): string[] {
  return readdirSync(join(root, 'src', folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, 'src', folder, f))
    .sort();
}

/** Every table named in a folder that another capability owns, less the exceptions; and the exceptions met. */
function sidewaysReads(): { reads: Naming[]; excepted: Set<string> } {
  const reads: Naming[] = [];
  const excepted = new Set<string>();
  for (const folder of FOLDERS) {
    for (const path of sourcesOf(folder)) {
      const file = relative(root, path);
      for (const naming of tablesNamed(file, readFileSync(path, 'utf8'))) {
        if (naming.how !== 'unreadable' && !Object.hasOwn(TABLE_OWNERS, naming.table)) {
          reads.push(naming);
          continue;
        }
        if (naming.how !== 'unreadable' && mayName(folder, naming.table as TableName)) continue;
        const exception = EXCEPTIONS.find((e) => e.file === file && e.table === naming.table);
        if (exception) excepted.add(`${exception.file} ${exception.table}`);
        else reads.push(naming);
      }
    }
  }
  return { reads, excepted };
}

const describeNaming = (n: Naming) =>
  n.how === 'unreadable'
    ? `${n.file}:${n.line}: a table the test cannot read (${n.table}): name it with a string literal`
    : Object.hasOwn(TABLE_OWNERS, n.table)
      ? `${n.file}:${n.line}: ${n.table} is ${TABLE_OWNERS[n.table as TableName]}'s (${n.how === 'sql' ? 'raw SQL' : 'query builder'}): ask it through its index.ts`
      : `${n.file}:${n.line}: ${n.table} has no owner in src/store/ownership.ts`;

describe('a capability’s tables are its own (DESIGN.md §6)', () => {
  it('no capability nor core module names a table another one owns, but for the listed exceptions', () => {
    const { reads } = sidewaysReads();
    assert.deepEqual(reads.map(describeNaming), []);
  });

  it('keeps no stale exception: each one is still met where it says', () => {
    const { excepted } = sidewaysReads();
    for (const e of EXCEPTIONS)
      assert.ok(excepted.has(`${e.file} ${e.table}`), `${e.file} ${e.table}: gone, remove it`);
  });

  it('reads the query builder’s calls, aliases, lists and subqueries, and raw SQL', () => {
    const source = [
      "await db.selectFrom('accounts').innerJoin('guard_decoys as d', 'd.person_id', 'x').execute();",
      'await trx',
      '  .updateTable(',
      "    'bank_holds',",
      '  )',
      "  .where((eb) => eb.exists(eb.selectFrom('incident_exposures').select('person_id')));",
      "db.selectFrom(['agreements', 'actors as a']);",
      'await sql`SELECT a FROM ledger_state s JOIN notifications n ON ${x} = n.id, json_each(${y}) WHERE x IN (SELECT 1 FROM persons)`.execute(db);',
      'await sql<{ n: number }>`DELETE FROM access_reports WHERE id = ${`${id}`}`.execute(db);',
      'const from = `select from guard_seen`; // not a sql template',
      'db.selectFrom(table);',
      'db.leftJoin((join) => join.on(...));',
    ].join('\n');
    assert.deepEqual(
      tablesNamed('x.ts', source).map((n) => `${n.how} ${n.table}`),
      [
        'call accounts',
        'call guard_decoys',
        'call bank_holds',
        'call incident_exposures',
        'call agreements',
        'call actors',
        'unreadable table',
        'sql ledger_state',
        'sql notifications',
        'sql persons',
        'sql access_reports',
      ],
    );
  });

  it('fails on a new sideways read', () => {
    const added = tablesNamed(
      'src/bank/new-check.ts',
      "export const q = (db) => db.selectFrom('sessions').where('account_id', '=', 'x');",
    ).filter((n) => n.how === 'unreadable' || !mayName('bank', n.table as TableName));
    assert.deepEqual(added.map(describeNaming), [
      "src/bank/new-check.ts:1: sessions is identity's (query builder): ask it through its index.ts",
    ]);
  });

  it('lets a capability name its own tables and the shared ones, never an unknown one', () => {
    assert.equal(mayName('guard', 'guard_decoys'), true);
    assert.equal(mayName('incidents', 'actors'), true);
    assert.equal(mayName('access', 'appointments'), true);
    assert.equal(mayName('incidents', 'guard_decoys'), false);
    assert.equal(mayName('privacy', 'ledger_events'), false);
    assert.equal(mayName('access', 'accounts'), false);
  });
});
