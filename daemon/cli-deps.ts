/**
 * What a `kiosk` subcommand registered from another module needs of the CLI (daemon/cli.ts), and
 * how those commands name who did a change in the audit log.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { Config } from '../config/schema.ts';
import type { Clock } from './clock.ts';
import type { Db } from './store/db.ts';

export interface StoreCliDeps {
  /** Adds the common options (--data, --config, --preset, --clock) to a command. */
  withCommon(cmd: Command): Command;
  /** Opens the configured store; `existing`: refuse a data directory without one (a mistyped --data) instead of creating it. */
  open(opts: Record<string, unknown>, existing?: boolean): { db: Db; config: Config; clock: Clock };
  /** The CLI's error with an exit code and a message for standard error. */
  fail(code: number, message: string): Error;
}

/** The audit actor of a command run at this machine: `cli:<os user>`. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}
