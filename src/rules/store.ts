/**
 * The rule database: one SQLite file (node-sqlite3-wasm: SQLite compiled to WebAssembly, real file
 * I/O through Node's fs, nothing to build at install time). Its VFS has no shared memory, so there
 * is no WAL: it runs SQLite's rollback journal under one whole-file lock (an atomic `FILE.lock`
 * directory). Every statement that touches the file runs in a short transaction retried on
 * SQLITE_BUSY, so several processes and chains can write at once without losing a rule; a lock
 * left by a killed process is removed once it is older than any transaction can be.
 */
import { rmdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import sqlite from 'node-sqlite3-wasm';
import { makeDirs } from '../common/atomic-write.js';
import { InputError } from '../ebpf/errors.js';
import type { Rule } from './rule.js';

const { Database } = sqlite;
type Db = InstanceType<typeof Database>;

/** A lock held longer than this was left by a killed process (transactions take milliseconds). */
const STALE_LOCK_MS = 30_000;
/** Give up waiting for the lock after this long (another process holds it all that time). */
const BUSY_TIMEOUT_MS = 60_000;
const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rules (
  id TEXT PRIMARY KEY,
  shape TEXT NOT NULL,
  length INTEGER NOT NULL,
  generality TEXT NOT NULL,
  body TEXT NOT NULL,
  saved INTEGER NOT NULL,
  ms_to_find REAL NOT NULL,
  program_digest TEXT NOT NULL,
  program_name TEXT NOT NULL,
  section TEXT,
  git_commit TEXT,
  learned_at TEXT NOT NULL,
  fires INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS rules_by_shape ON rules(shape);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

/** The per-user default: $XDG_DATA_HOME/k2lab/rules.sqlite, else ~/.local/share/k2lab/rules.sqlite. */
export function defaultRulesPath(): string {
  const base = process.env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share');
  return join(base, 'k2lab', 'rules.sqlite');
}

/**
 * What `--rules` names: a file, `none` (off), or — not given — the K2LAB_RULES environment
 * variable (a file or `none`), else the per-user default.
 */
export function resolveRulesPath(flag: string | undefined): string | undefined {
  const v = flag ?? process.env['K2LAB_RULES'] ?? defaultRulesPath();
  if (v === '') throw new InputError('--rules: expected a file or "none"');
  return v === 'none' ? undefined : resolve(v);
}

const isBusy = (e: unknown): boolean => e instanceof Error && /database is locked|SQLITE_BUSY|busy/i.test(e.message);
const sleepMs = (ms: number): void => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); };

export class RuleStore {
  private constructor(readonly path: string, private readonly db: Db) {}

  /** Opens (creating it and its folder unless `mustExist`) the database at `path`. */
  static open(path: string, opts: { mustExist?: boolean; readOnly?: boolean } = {}): RuleStore {
    if (opts.mustExist) {
      try { statSync(path); } catch { throw new InputError(`${path}: no such rule database`); }
    } else {
      try { makeDirs(dirname(path)); } catch (e) { throw new InputError(`${path}: cannot create its folder (${(e as NodeJS.ErrnoException).code ?? String(e)})`); }
    }
    let db: Db;
    try {
      db = new Database(path, { fileMustExist: opts.mustExist ?? false, readOnly: opts.readOnly ?? false });
    } catch (e) {
      throw new InputError(`${path}: cannot open the rule database (${(e as Error).message})`);
    }
    const store = new RuleStore(path, db);
    try {
      store.transaction(() => {
        if (!opts.readOnly) db.exec(SCHEMA);
        const v = db.get("SELECT value FROM meta WHERE key = 'schema'") as unknown as { value?: string } | null;
        if (!v && !opts.readOnly) db.run("INSERT INTO meta(key, value) VALUES ('schema', ?)", [String(SCHEMA_VERSION)]);
        else if (v && v.value !== String(SCHEMA_VERSION)) throw new InputError(`${path}: rule database schema ${v.value}, this k2lab reads ${SCHEMA_VERSION}`);
      });
    } catch (e) {
      store.close();
      if (e instanceof InputError) throw e;
      throw new InputError(`${path}: not a k2lab rule database (${(e as Error).message})`);
    }
    return store;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** Runs `fn` in one IMMEDIATE transaction, retried while another process holds the file. */
  transaction<T>(fn: () => T): T {
    const t0 = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (e) {
        if (!isBusy(e)) throw e;
        this.breakStaleLock();
        if (Date.now() - t0 > BUSY_TIMEOUT_MS) throw new InputError(`${this.path}: rule database busy for ${BUSY_TIMEOUT_MS / 1000} s`);
        sleepMs(Math.min(50, 1 + attempt) + Math.random() * 4);
        continue;
      }
      try {
        const out = fn();
        this.db.exec('COMMIT');
        return out;
      } catch (e) {
        try { this.db.exec('ROLLBACK'); } catch { /* the transaction is already gone */ }
        throw e;
      }
    }
  }

  private breakStaleLock(): void {
    const lock = `${this.path}.lock`;
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmdirSync(lock);
    } catch { /* gone already, or not ours to remove */ }
  }

  /** Adds rules not yet present (by id); returns how many were new. */
  add(rules: readonly Rule[]): number {
    if (rules.length === 0) return 0;
    return this.transaction(() => {
      let added = 0;
      const st = this.db.prepare(`INSERT OR IGNORE INTO rules(id, shape, length, generality, body, saved, ms_to_find, program_digest, program_name, section, git_commit, learned_at, fires)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      try {
        for (const r of rules) {
          const p = r.provenance;
          added += st.run([r.id, r.shape, r.pattern.length, r.generality, JSON.stringify(bodyOf(r)), r.saved, r.msToFind, p.programDigest, p.programName, p.section ?? null, p.gitCommit ?? null, p.learnedAt, r.fires]).changes;
        }
      } finally { st.finalize(); }
      return added;
    });
  }

  /** Adds fire counts (rule id → times applied). */
  fired(counts: ReadonlyMap<string, number>): void {
    if (counts.size === 0) return;
    this.transaction(() => {
      for (const [id, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) this.db.run('UPDATE rules SET fires = fires + ? WHERE id = ?', [n, id]);
    });
  }

  /** Rules whose pattern has one of these shapes (indexed: the cost grows with the matches, not the database). */
  byShapes(shapes: readonly string[]): Rule[] {
    const unique = [...new Set(shapes)].sort();
    if (unique.length === 0) return [];
    return this.transaction(() => {
      const out: Rule[] = [];
      for (let i = 0; i < unique.length; i += 500) {
        const chunk = unique.slice(i, i + 500);
        out.push(...this.rows(`SELECT * FROM rules WHERE shape IN (${chunk.map(() => '?').join(',')})`, chunk));
      }
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  /** The pattern lengths present (to know which windows of a program to look up). */
  lengths(): number[] {
    return this.transaction(() => (this.db.all("SELECT DISTINCT length FROM rules ORDER BY length") as unknown as { length: number }[]).map((r) => r.length));
  }

  all(): Rule[] {
    return this.transaction(() => this.rows('SELECT * FROM rules ORDER BY id', []));
  }

  count(): number {
    return this.transaction(() => (this.db.get("SELECT count(*) AS n FROM rules") as unknown as { n: number }).n);
  }

  private rows(sql: string, args: string[]): Rule[] {
    return (this.db.all(sql, args) as unknown as Row[]).map(ruleOfRow);
  }
}

interface Row {
  id: string; shape: string; generality: string; body: string; saved: number; ms_to_find: number;
  program_digest: string; program_name: string; section: string | null; git_commit: string | null; learned_at: string; fires: number;
}

/** The parts of a rule kept as one JSON column (instructions, preconditions, witness, parameters, shift). */
function bodyOf(r: Rule): Pick<Rule, 'pattern' | 'replacement' | 'pre' | 'witness' | 'imms' | 'stackShift'> {
  // Parameters and shift only when present: rows written before they existed read the same.
  return { pattern: r.pattern, replacement: r.replacement, pre: r.pre, witness: r.witness, ...(r.imms ? { imms: r.imms } : {}), ...(r.stackShift ? { stackShift: r.stackShift } : {}) };
}

function ruleOfRow(row: Row): Rule {
  const body = JSON.parse(row.body) as ReturnType<typeof bodyOf>;
  return {
    id: row.id, shape: row.shape, generality: row.generality as Rule['generality'], ...body,
    saved: row.saved, msToFind: row.ms_to_find, fires: row.fires,
    provenance: { programDigest: row.program_digest, programName: row.program_name, ...(row.section !== null ? { section: row.section } : {}), ...(row.git_commit !== null ? { gitCommit: row.git_commit } : {}), learnedAt: row.learned_at },
  };
}
