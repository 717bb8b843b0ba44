// Background WAL checkpointer (daemon/store/checkpointer.ts): runs in a worker thread with its own
// connection, so the checkpoint's writes and fsyncs of the database file never stall the event loop
// that answers SIP2 clients and kiosks. PASSIVE: copies what it can without waiting for, or
// blocking, the writer; SQLite restarts the WAL from its beginning once it has all been copied back.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData;
const db = new Database(file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
db.pragma('synchronous = NORMAL'); // a checkpoint syncs the WAL before and the database after copying
db.pragma('wal_autocheckpoint = 0');

let checkpoints = 0;
let timer = null;
let stopping = false;

function checkpoint() {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    checkpoints++;
    parentPort.postMessage({ type: 'checkpointed', checkpoints, walPages: r.log, copied: r.checkpointed, busy: r.busy });
  } catch (e) {
    parentPort.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) });
  }
}

function loop() {
  if (stopping) return;
  checkpoint();
  timer = setTimeout(loop, intervalMs);
}

parentPort.on('message', (m) => {
  if (m && m.type === 'stop') {
    stopping = true;
    if (timer) clearTimeout(timer);
    checkpoint();
    db.close();
    parentPort.postMessage({ type: 'stopped', checkpoints });
    parentPort.close();
  }
});

timer = setTimeout(loop, intervalMs);
