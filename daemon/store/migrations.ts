/**
 * Versioned schema migrations. Each runs once, in order, inside a transaction; the applied versions
 * are recorded in schema_migrations. Never edit a released migration: add a new one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'circulation core',
    sql: `
CREATE TABLE departments (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  fixed_due_date TEXT                      -- "Datum poteka izposoje" (domain.md §3.2)
);
CREATE TABLE material_types (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  parent TEXT REFERENCES material_types(code)
);
CREATE TABLE categories (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL
);
CREATE TABLE pickup_places (
  code TEXT PRIMARY KEY,
  department TEXT NOT NULL REFERENCES departments(code),
  kind TEXT NOT NULL CHECK (kind IN ('desk','locker','delivery')),
  name TEXT NOT NULL
);
CREATE TABLE kits (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  lead_item_id INTEGER                     -- set once the units exist
);
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  barcode TEXT NOT NULL UNIQUE,
  bib_id TEXT NOT NULL,
  title TEXT NOT NULL,
  author TEXT NOT NULL DEFAULT '',
  material_type TEXT NOT NULL REFERENCES material_types(code),
  department TEXT NOT NULL REFERENCES departments(code),
  call_number TEXT NOT NULL DEFAULT '',
  language TEXT,
  access_p TEXT NOT NULL DEFAULT '',       -- 996/997p
  status_q TEXT NOT NULL DEFAULT '',       -- 996/997q (6 damaged, 8 lost)
  restriction_u TEXT NOT NULL DEFAULT '',  -- 996/997u ('0d' blocks loans)
  price_minor INTEGER,
  acquired_on TEXT,
  kit_id INTEGER REFERENCES kits(id),
  kit_part INTEGER,
  UNIQUE (kit_id, kit_part)
);
CREATE INDEX items_bib ON items(bib_id);
CREATE INDEX items_kit ON items(kit_id) WHERE kit_id IS NOT NULL;

CREATE TABLE patrons (
  id INTEGER PRIMARY KEY,
  barcode TEXT NOT NULL UNIQUE,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  category TEXT NOT NULL REFERENCES categories(code),
  pin_hash TEXT,
  pin_failures INTEGER NOT NULL DEFAULT 0,
  pin_locked_until TEXT,
  email TEXT,
  mobile TEXT,
  home_department TEXT NOT NULL REFERENCES departments(code),
  language TEXT NOT NULL DEFAULT 'en',
  membership_expires TEXT,
  block_reason TEXT,                       -- card_withheld | home_loan_ban | visits_disabled | staff
  block_note TEXT,
  max_items INTEGER,                       -- member-level overrides "(I)" (001:L832-836)
  max_renewals INTEGER,
  max_holds INTEGER,
  lost_count INTEGER NOT NULL DEFAULT 0    -- "Izgubil gradivo (I)", LST flag when > 0
);
CREATE TABLE patron_ids (
  value TEXT PRIMARY KEY,                  -- alternative identifiers: RFID card UID, old numbers
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  kind TEXT NOT NULL DEFAULT 'alt'
);

-- One row per unit and status period. An item has at most one open row (closed_at IS NULL):
-- C home loan, S reading-room loan, D inter-department loan, L lost, B held (returned with hold,
-- returned in another department, forgotten kit parts). patron_id is NULL for a B row that belongs
-- to a department (return in another department).
CREATE TABLE loans (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  patron_id INTEGER REFERENCES patrons(id),
  status TEXT NOT NULL CHECK (status IN ('C','S','D','B','L')),
  department TEXT NOT NULL,
  kit_group INTEGER,                       -- loan id of the kit's lead unit row, on every unit's row
  loaned_at TEXT NOT NULL,
  due_date TEXT,
  renewals INTEGER NOT NULL DEFAULT 0,
  renewed_at TEXT,
  held_reason TEXT,
  held_expires TEXT,
  lost_at TEXT,
  closed_at TEXT,
  close_reason TEXT
);
CREATE UNIQUE INDEX loans_open_item ON loans(item_id) WHERE closed_at IS NULL;
CREATE INDEX loans_open_patron ON loans(patron_id) WHERE closed_at IS NULL;

-- Reservations. R: queued on a title (bib_id) or on a loaned copy (item_id); O: a copy assigned
-- and being prepared; W: waiting on the hold shelf or in a locker; U: reading-room reservation.
CREATE TABLE holds (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  bib_id TEXT NOT NULL,
  item_id INTEGER REFERENCES items(id),            -- the copy asked for (copy or kit reservation)
  assigned_item_id INTEGER REFERENCES items(id),   -- the copy assigned (O/W); a kit's lead unit
  status TEXT NOT NULL CHECK (status IN ('R','O','W','U')),
  pickup_place TEXT REFERENCES pickup_places(code),
  created_at TEXT NOT NULL,
  expires_on TEXT,
  expires_at TEXT,                                 -- instant, for locker holds counted in hours
  ready_at TEXT,
  processing TEXT,
  closed_at TEXT,
  close_reason TEXT
);
CREATE UNIQUE INDEX holds_open_assigned ON holds(assigned_item_id) WHERE closed_at IS NULL AND assigned_item_id IS NOT NULL;
CREATE INDEX holds_open_bib ON holds(bib_id) WHERE closed_at IS NULL;
CREATE INDEX holds_open_patron ON holds(patron_id) WHERE closed_at IS NULL;

CREATE TABLE fees (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  item_id INTEGER REFERENCES items(id),
  loan_id INTEGER REFERENCES loans(id),
  kind TEXT NOT NULL,
  amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
  paid_minor INTEGER NOT NULL DEFAULT 0,
  waived_minor INTEGER NOT NULL DEFAULT 0,
  currency TEXT NOT NULL,
  department TEXT,
  created_at TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  CHECK (paid_minor + waived_minor <= amount_minor)
);
CREATE INDEX fees_open_patron ON fees(patron_id) WHERE paid_minor + waived_minor < amount_minor;
CREATE TABLE payments (
  id INTEGER PRIMARY KEY,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL,
  method TEXT NOT NULL,
  reference TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE payment_allocations (
  payment_id INTEGER NOT NULL REFERENCES payments(id),
  fee_id INTEGER NOT NULL REFERENCES fees(id),
  amount_minor INTEGER NOT NULL,
  PRIMARY KEY (payment_id, fee_id)
);

CREATE TABLE calendar_days (
  department TEXT NOT NULL DEFAULT '',     -- '' = the whole library
  date TEXT NOT NULL,
  closed INTEGER NOT NULL,
  fine_charged INTEGER NOT NULL DEFAULT 0,
  no_fine INTEGER NOT NULL DEFAULT 0,
  note TEXT,
  PRIMARY KEY (department, date)
);

-- The transactions journal (COBISS transaction codes, domain.md §2.4). Kits write one row per unit
-- with the same group_id (statistics count units).
CREATE TABLE journal (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,                        -- when it happened (the original time for offline replays)
  recorded_at TEXT NOT NULL,
  code INTEGER NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  department TEXT,
  patron_id INTEGER,
  item_id INTEGER,
  group_id INTEGER,
  amount_minor INTEGER,
  detail TEXT
);
CREATE INDEX journal_at ON journal(at);

-- Replies of completed requests by idempotency key: a retried request returns the first outcome.
CREATE TABLE idempotency (
  key TEXT PRIMARY KEY,
  operation TEXT NOT NULL,
  result TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'self-check item properties and SC blocks',
    sql: `
ALTER TABLE items ADD COLUMN sc_properties TEXT;   -- SIP2 19 item properties stored for the SC (CH)
ALTER TABLE patrons ADD COLUMN blocked_at TEXT;
`,
  },
  {
    version: 3,
    name: 'indexes SQLite can use; compact idempotency records',
    sql: `
-- SQLite rewrites "paid + waived < amount" in queries, so the partial index of v1 was never used
-- and every checkout scanned all fees. A plain index on the patron is what the queries need.
DROP INDEX fees_open_patron;
CREATE INDEX fees_patron ON fees(patron_id);
-- Copy-specific reservations are looked up by item on every return.
CREATE INDEX holds_open_item ON holds(item_id) WHERE closed_at IS NULL;
-- Keyed by the idempotency key itself: one B-tree instead of a table plus an index.
CREATE TABLE idempotency_v3 (
  key TEXT PRIMARY KEY,
  operation TEXT NOT NULL,
  result TEXT NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO idempotency_v3 SELECT key, operation, result, created_at FROM idempotency;
DROP TABLE idempotency;
ALTER TABLE idempotency_v3 RENAME TO idempotency;
-- The journal is appended in time order: its rowid already orders it by time, and one index less
-- is one page less to write at every commit.
DROP INDEX journal_at;
`,
  },
  {
    version: 4,
    name: 'offline queue of the SIP2 upstream backend',
    sql: `
-- Transactions taken while the upstream library system was unreachable (domain.md §10), replayed in
-- order with SIP2 no-block and their original time (daemon/circulation/offline-queue.ts).
CREATE TABLE offline_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: ids never reused, so replay order is take order
  idempotency_key TEXT NOT NULL UNIQUE,
  operation TEXT NOT NULL CHECK (operation IN ('checkout','checkin','renew')),
  patron TEXT,                           -- card barcode as scanned (null for a return)
  item TEXT NOT NULL,
  at TEXT NOT NULL,                      -- original time (ISO instant)
  department TEXT,
  due_date TEXT,                         -- due date given to the patron offline
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','replayed_ok','refused','error')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  reason TEXT,                           -- our reason code for a refused replay
  result TEXT,                           -- JSON: what the upstream said on replay
  offline_result TEXT,                   -- JSON: what the kiosk was told offline
  recorded_at TEXT NOT NULL,
  replayed_at TEXT,
  resolved_at TEXT,                      -- staff dealt with a refused/error row
  resolved_by TEXT,
  resolution TEXT
);
CREATE INDEX offline_queue_pending ON offline_queue(id) WHERE state = 'queued';
CREATE INDEX offline_queue_item ON offline_queue(item);
`,
  },
  {
    version: 6,
    name: 'staff accounts, sessions, login attempts and the audit log',
    sql: `
-- Local staff and admin accounts (daemon/auth). The password is an scrypt hash in the format of
-- daemon/circulation/pin.ts; it is never stored, logged or returned in clear.
CREATE TABLE staff_accounts (
  id INTEGER PRIMARY KEY,
  user TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('staff','admin')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  password_changed_at TEXT NOT NULL,
  disabled_at TEXT,
  last_login_at TEXT
);
-- A session is known by the SHA-256 of its cookie token: a copy of the store opens no session.
CREATE TABLE staff_sessions (
  id TEXT PRIMARY KEY,                  -- public id (audit, socket bookkeeping); not the token
  token_hash TEXT NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES staff_accounts(id),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  remote TEXT,
  ended_at TEXT,
  end_reason TEXT                       -- logout | revoked | account_disabled | password_changed
);
CREATE INDEX staff_sessions_account ON staff_sessions(account_id) WHERE ended_at IS NULL;
-- Every login attempt, kept for the audit view and the lockout.
CREATE TABLE login_attempts (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user TEXT NOT NULL,
  remote TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok','bad_password','unknown_user','disabled','locked'))
);
-- Consecutive failures per key ("user:NAME" or "addr:IP") and the lockout they caused.
CREATE TABLE login_lockouts (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at TEXT NOT NULL,
  lockouts INTEGER NOT NULL DEFAULT 0,  -- lockouts in a row: each doubles the next
  locked_until TEXT
);
-- One row per staff action: who, what, on which target, outcome. Never a PIN, password or token.
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL CHECK (outcome IN ('ok','refused','error')),
  detail TEXT
);
`,
  },
  {
    version: 7,
    name: 'desk pairings of RFID pads (daemon/pairing)',
    sql: `
-- A staff desk PC paired with this daemon's RFID pad. The desk holds a random token; only its
-- SHA-256 is stored, so a copy of the store pairs no desk. One live pairing per pad (a new one
-- revokes the old: daemon/pairing/service.ts). remote_address is for display only: a pairing is
-- never made or accepted by address.
CREATE TABLE desk_pairings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pad TEXT NOT NULL,                    -- RFID device id (config devices[].id)
  desk TEXT NOT NULL,                   -- the name the staff member gave the desk
  user TEXT NOT NULL,                   -- staff user who paired it
  session_id TEXT,                      -- staff session (daemon/auth) that paired it
  remote_address TEXT,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  last_seen_at TEXT,
  revoked_at TEXT,
  revoked_by TEXT,
  revoke_reason TEXT                    -- admin | unpaired | replaced
);
CREATE INDEX desk_pairings_live ON desk_pairings(pad) WHERE revoked_at IS NULL;
`,
  },
  {
    version: 5,
    name: 'locker compartments, assignments, pickup codes and deposits',
    sql: `
-- Locker banks (daemon/lockers; domain.md §8.3). The compartments come from the config and are
-- synced here on start; a door that failed to open is marked faulty and gets no new assignment
-- until staff have looked at it.
CREATE TABLE locker_compartments (
  bank TEXT NOT NULL,
  number TEXT NOT NULL,
  size TEXT NOT NULL CHECK (size IN ('S','M','L')),
  board INTEGER NOT NULL,
  lock INTEGER NOT NULL,
  fault TEXT,
  fault_at TEXT,
  retired INTEGER NOT NULL DEFAULT 0,      -- no longer in the config
  PRIMARY KEY (bank, number)
) WITHOUT ROWID;

-- One filling of one compartment for one patron: reserved when staff finish processing the first
-- hold (001:L4247), joined by further holds until the door is opened (001:L4419), loaded when the
-- door closes (O -> W), collected or expired (to be emptied by staff).
CREATE TABLE locker_assignments (
  id INTEGER PRIMARY KEY,
  bank TEXT NOT NULL,
  compartment TEXT NOT NULL,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  state TEXT NOT NULL CHECK (state IN ('reserved','loading','ready','collecting','collected','to_empty','emptied','cancelled')),
  created_at TEXT NOT NULL,
  opened_at TEXT,                          -- first opened for loading: later holds take a new compartment
  loaded_at TEXT,
  expires_at TEXT,
  collected_at TEXT,
  closed_at TEXT,                          -- the compartment is free again
  close_reason TEXT
);
CREATE UNIQUE INDEX locker_assignments_open ON locker_assignments(bank, compartment) WHERE closed_at IS NULL;
CREATE INDEX locker_assignments_patron ON locker_assignments(patron_id) WHERE closed_at IS NULL;

CREATE TABLE locker_assignment_items (
  assignment_id INTEGER NOT NULL REFERENCES locker_assignments(id),
  hold_id INTEGER NOT NULL REFERENCES holds(id),
  item_id INTEGER NOT NULL REFERENCES items(id),
  added_at TEXT NOT NULL,
  outcome TEXT,                            -- collected | expired | withdrawn (hold closed elsewhere)
  PRIMARY KEY (assignment_id, hold_id)
) WITHOUT ROWID;
CREATE INDEX locker_assignment_items_hold ON locker_assignment_items(hold_id);

-- One-time pickup codes, stored hashed (SHA-256): the code itself exists only in the notice.
CREATE TABLE locker_pickup_codes (
  code_hash TEXT PRIMARY KEY,
  assignment_id INTEGER NOT NULL REFERENCES locker_assignments(id),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at TEXT
) WITHOUT ROWID;
CREATE INDEX locker_pickup_codes_assignment ON locker_pickup_codes(assignment_id);

-- The outcome of each kiosk pickup under its idempotency key: a retry gets it back unchanged.
CREATE TABLE locker_pickups (
  key TEXT PRIMARY KEY,
  outcome TEXT NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;

-- Returns put into a compartment (domain.md §8.4): a deposit, not a check-in. It closes when staff
-- have checked the items in.
CREATE TABLE locker_deposits (
  id INTEGER PRIMARY KEY,
  bank TEXT NOT NULL,
  compartment TEXT NOT NULL,
  patron_id INTEGER NOT NULL REFERENCES patrons(id),
  state TEXT NOT NULL CHECK (state IN ('open','deposited','emptied','closed','cancelled')),
  items TEXT,                              -- JSON array of barcodes, when known
  opened_at TEXT NOT NULL,
  deposited_at TEXT,
  emptied_at TEXT,
  closed_at TEXT,
  close_reason TEXT
);
CREATE UNIQUE INDEX locker_deposits_in_compartment ON locker_deposits(bank, compartment) WHERE state IN ('open','deposited');
`,
  },
  {
    version: 8,
    name: 'staff desk: signed patron documents, member attributes, cash payments and day closings',
    sql: `
-- Signed enrolment forms and loan receipts, archived as PDF with the member's record (domain.md §9.3).
-- Keyed by the card barcode, so the archive works in front of an upstream library system too.
CREATE TABLE patron_documents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  patron TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('enrolment','loan_receipt')),
  language TEXT NOT NULL,
  title TEXT NOT NULL,
  pdf BLOB NOT NULL,
  sha256 TEXT NOT NULL,                  -- hex digest of pdf, shown to staff and sent with the e-mail
  size_bytes INTEGER NOT NULL,
  device TEXT NOT NULL,                  -- the tablet the member signed on
  staff TEXT NOT NULL,                   -- who handed the tablet over
  created_at TEXT NOT NULL
);
CREATE INDEX patron_documents_patron ON patron_documents(patron, id);
-- "A signed document cannot be amended" (§9.3): a new signing is a new row.
CREATE TRIGGER patron_documents_immutable BEFORE UPDATE ON patron_documents
BEGIN SELECT RAISE(ABORT, 'a signed document cannot be amended'); END;

-- Member data the enrolment form shows that the circulation store does not keep (gender, date of
-- birth, address, citizenship, country of residence …), entered at the desk.
CREATE TABLE patron_attributes (
  patron TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (patron, name)
) WITHOUT ROWID;

-- Day closings (§9.4 "zaključevanje blagajne"): cannot be undone.
CREATE TABLE cash_closings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  business_day TEXT NOT NULL,
  department TEXT NOT NULL,
  closed_by TEXT NOT NULL,
  closed_at TEXT NOT NULL,
  payment_count INTEGER NOT NULL,
  totals TEXT NOT NULL                   -- JSON: per method and per staff user
);
CREATE TRIGGER cash_closings_immutable BEFORE UPDATE ON cash_closings
BEGIN SELECT RAISE(ABORT, 'a cash closing cannot be changed'); END;
CREATE TRIGGER cash_closings_kept BEFORE DELETE ON cash_closings
BEGIN SELECT RAISE(ABORT, 'a cash closing cannot be undone'); END;

-- One row per settlement at the desk (one or more fees paid together), the cash session of §9.4.
CREATE TABLE desk_payments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  idempotency_key TEXT NOT NULL UNIQUE,
  patron TEXT NOT NULL,
  staff TEXT NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('cash','card','other')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  tendered_minor INTEGER,
  change_minor INTEGER,
  currency TEXT NOT NULL,
  lines TEXT NOT NULL,                   -- JSON: [{feeId, description, amount, itemBarcode}]
  backend_payments TEXT NOT NULL,        -- JSON: the backend's payment ids
  department TEXT NOT NULL,
  business_day TEXT NOT NULL,            -- YYYY-MM-DD in the site's time zone
  created_at TEXT NOT NULL,
  closing_id INTEGER REFERENCES cash_closings(id)
);
CREATE INDEX desk_payments_open ON desk_payments(business_day, department) WHERE closing_id IS NULL;
CREATE TRIGGER desk_payments_closed BEFORE UPDATE ON desk_payments WHEN OLD.closing_id IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a closed payment cannot be changed'); END;
CREATE TRIGGER desk_payments_kept BEFORE DELETE ON desk_payments
BEGIN SELECT RAISE(ABORT, 'a payment is never deleted'); END;
`,
  },
];
