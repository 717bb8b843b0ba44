/** The fuzz's server: the demo-like library behind a real SIP2 server on 127.0.0.1 (in this process). */
import { sipDateFromInstant, type SipDateTime } from '../../../protocols/sip2/index.ts';
import { TZ } from '../../helpers/engine.ts';
import type { Sip2Account } from '../../../config/schema.ts';
import { account, startSip2Fixture, type Sip2Fixture } from '../../helpers/sip2.ts';
import { cheapHash, FUZZ_ACCOUNTS, FUZZ_PIN, fuzzData, type FuzzWorld } from './generator.ts';

export const MAX_MESSAGE_BYTES = 4096;

export interface FuzzServer {
  fx: Sip2Fixture;
  world: FuzzWorld;
  now: SipDateTime;
  maxPinFailures: number;
  pinLockoutMinutes: number;
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const { data, world } = fuzzData(cheapHash(FUZZ_PIN));
  const fx = await startSip2Fixture({
    data,
    accounts: FUZZ_ACCOUNTS.map(({ password, messages, ...a }) =>
      account({ ...a, messages: messages as Sip2Account['messages'], passwordHash: cheapHash(password) }),
    ),
    config: { maxConnections: 40, maxMessageBytes: MAX_MESSAGE_BYTES },
    policy: { loanFees: { video: 1.5 } },
  });
  return {
    fx,
    world,
    now: sipDateFromInstant(fx.lib.clock.now(), TZ),
    maxPinFailures: fx.lib.policy.patrons.maxPinFailures,
    pinLockoutMinutes: fx.lib.policy.patrons.pinLockoutMinutes,
  };
}
