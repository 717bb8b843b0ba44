/**
 * `npm run fuzz:sip2`: the long SIP2 fuzz run, the same generator and checks as the CI test
 * (fuzz.test.ts) with 100,000 frames by default. Prints progress and a summary; exits 1 on any
 * failure (a hang, a reply the protocol does not allow, a journal that disagrees with the replies,
 * an inconsistent store, an error in the server log).
 *
 * Environment: SIP2_FUZZ_FRAMES (100000), SIP2_FUZZ_SEED (20260302; "random" for a fresh one).
 */
import { checkStore, runFuzz, summarise } from './harness.ts';
import { MAX_MESSAGE_BYTES, startFuzzServer } from './setup.ts';

const FRAMES = Number(process.env.SIP2_FUZZ_FRAMES ?? 100_000);
const SEED = process.env.SIP2_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.SIP2_FUZZ_SEED ?? 20260302);

const crashes: unknown[] = [];
process.on('uncaughtException', (e) => crashes.push(e));
process.on('unhandledRejection', (e) => crashes.push(e));

const s = await startFuzzServer();
console.log(`SIP2 fuzz: ${FRAMES.toLocaleString('en-US')} frames, seed ${SEED} (SIP2_FUZZ_SEED=${SEED} repeats this run), server on 127.0.0.1:${s.fx.server.port}`);
let exitCode = 0;
try {
  const report = await runFuzz(s.fx, s.world, {
    seed: SEED,
    frames: FRAMES,
    maxMessageBytes: MAX_MESSAGE_BYTES,
    now: s.now,
    progress: (done, r) => {
      if (done % 10_000 === 0 || process.env.SIP2_FUZZ_VERBOSE) {
        console.log(`  ${done.toLocaleString('en-US')} frames, ${r.replies.toLocaleString('en-US')} replies, ${r.transactions} transactions, ${r.failures.length} failures`);
      }
    },
  });
  const store = checkStore(s.fx.lib.db, s.fx.lib.clock.now(), s.maxPinFailures, s.pinLockoutMinutes);
  console.log(summarise(report, store));
  const storeOk =
    store.integrity === 'ok' &&
    store.foreignKeyProblems + store.itemsWithTwoOpenLoans + store.badPinFailures + store.badLocks + store.overpaidFees + store.misallocatedPayments === 0;
  const ok = report.failures.length === 0 && storeOk && report.transactions === report.journalGroups && report.errorLogLines === 0 && crashes.length === 0;
  if (crashes.length) console.log(`uncaught errors: ${crashes.map(String).join('; ')}`);
  console.log(ok ? 'PASS' : 'FAIL');
  exitCode = ok ? 0 : 1;
} finally {
  await s.fx.close();
}
process.exit(exitCode);
