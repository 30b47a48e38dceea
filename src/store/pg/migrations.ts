/**
 * The PostgreSQL schema, as versioned migrations. Each is plain SQL, applied once, in order, in
 * one transaction with its record in `wg_schema_migrations` (migrate.ts). Never edit a migration
 * that has shipped: add the next one.
 *
 * Why SQL in a TypeScript array rather than `.sql` files or a migration library: the CLI is
 * bundled into dist/ (one file per command, no asset copying), the migrations are few and
 * forward-only, and the runner is ~40 lines (an advisory lock, a table of applied versions) —
 * see docs/dependencies.md.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'graph, operations, agents, services',
    sql: `
-- Every line of the graph, in file order (seq). A task keeps its exact JSON line (unknown fields
-- included, key order kept: text, not jsonb); the columns beside it are what queries filter and
-- order on, written from the same task object in the same statement.
CREATE TABLE wg_nodes (
  seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id           text UNIQUE,                 -- null for blank and '#' lines
  kind         text NOT NULL,               -- 'task', another kind (kept verbatim), '' for blank/'#'
  line         text NOT NULL,
  row          text,                        -- tasks: the fields readiness and dispatch read (JSON)
  status       text,
  priority     integer,
  assigned     text,
  claim_epoch  integer NOT NULL DEFAULT 0,
  paused       boolean NOT NULL DEFAULT false,
  version      bigint NOT NULL DEFAULT 1,   -- +1 on every write: the optimistic check of a plan's writes
  updated_at   timestamptz NOT NULL DEFAULT now()
);
-- claim --next and the dispatcher: ready candidates by priority, then file order.
CREATE INDEX wg_nodes_candidates ON wg_nodes (priority DESC, seq)
  WHERE kind = 'task' AND status IN ('open', 'incomplete') AND assigned IS NULL;
CREATE INDEX wg_nodes_assigned ON wg_nodes (assigned) WHERE assigned IS NOT NULL;

-- The change feed: one row per node written, stamped with the writing transaction's id, so a
-- long-lived reader refreshes exactly what committed since its last snapshot (rows.ts).
CREATE TABLE wg_changes (
  txid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
  id    text NOT NULL,
  at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wg_changes_txid ON wg_changes (txid);
CREATE INDEX wg_changes_at ON wg_changes (at);

-- Provenance: one record per operation (the JSON object log/operations.jsonl would hold).
CREATE TABLE wg_operations (
  seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  record  text NOT NULL
);

-- The agent registry (the rows of service/registry.json). Leases are stamped in database time
-- (now()), never a host's clock.
CREATE TABLE wg_agents (
  id              text PRIMARY KEY,
  host            text NOT NULL,
  task_id         text,
  claim_epoch     integer,
  status          text NOT NULL,
  record          text NOT NULL,             -- the registry record (pid, pgid, proc_start, executor, …)
  started_at      timestamptz NOT NULL DEFAULT now(),
  last_heartbeat  timestamptz NOT NULL DEFAULT now(),
  lease_expires   timestamptz NOT NULL
);
CREATE INDEX wg_agents_host ON wg_agents (host);

-- Services (one per host and project directory), with a lease each renews.
CREATE TABLE wg_services (
  host           text PRIMARY KEY,
  pid            integer,
  started_at     timestamptz NOT NULL DEFAULT now(),
  last_seen      timestamptz NOT NULL DEFAULT now(),
  lease_expires  timestamptz NOT NULL,
  info           text
);

-- One row: the next agent number (agent ids are never reused, across hosts), and the oldest
-- change-feed transaction still kept (a reader whose snapshot is older reloads).
CREATE TABLE wg_state (
  singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  next_agent_id  bigint NOT NULL DEFAULT 1,
  pruned_below   xid8 NOT NULL DEFAULT '0'
);
INSERT INTO wg_state DEFAULT VALUES;

-- A write that finds fewer rows at the versions its plan read than it meant to write lost a race:
-- this raises (SQLSTATE WG409), the transaction aborts and the plan is run again on fresh rows.
-- Checked inside the statement so the write and its COMMIT can travel in one round trip.
CREATE FUNCTION wg_expect_rows(got bigint, want bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF got <> want THEN
    RAISE EXCEPTION 'wg: % of % rows at the expected version', got, want USING ERRCODE = 'WG409';
  END IF;
  RETURN true;
END $$;
`,
  },
  {
    version: 2,
    name: 'messages',
    sql: `
-- Message queues (wg msg): what .wg/messages/<task>.jsonl holds for a JSONL project. Ids are per
-- task, 1, 2, 3… without a gap: a send takes the task's advisory lock, then max + 1, in one
-- transaction (store/pg/messages.ts).
CREATE TABLE wg_messages (
  task_id  text NOT NULL,
  id       integer NOT NULL,
  message  text NOT NULL,                 -- the message's JSON object, as the file's line
  at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, id)
);
-- Cursors: the last id a reader has read ('read'), or the service put in an agent's prompt
-- ('delivered'). They never move back.
CREATE TABLE wg_message_marks (
  kind     text NOT NULL CHECK (kind IN ('read', 'delivered')),
  reader   text NOT NULL,
  task_id  text NOT NULL,
  last_id  integer NOT NULL,
  PRIMARY KEY (kind, reader, task_id)
);
`,
  },
];

export const LATEST_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;
