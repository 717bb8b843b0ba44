/**
 * The SIP2 upstream backend: CirculationBackend against another SIP2 server, with dialect profiles
 * and an offline mode. See backend.ts for the message mapping and the offline behaviour.
 */
export {
  resolveUpstreamPassword,
  Sip2UpstreamBackend,
  type OfflineMark,
  type ReplaySummary,
  type Sip2UpstreamOptions,
  type UpstreamStatusEvent,
} from './backend.ts';
export { DIALECTS, resolveDialect, type Dialect, type DialectName } from './dialects.ts';
export { Sip2UpstreamPool, UpstreamUnavailable, type PoolStatus } from './pool.ts';
export { reasonFromCatalogue, reasonFromText } from './reasons.ts';
