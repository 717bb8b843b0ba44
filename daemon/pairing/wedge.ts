/**
 * "Type into the focused application": a keyboard-wedge stand-in for copying a barcode into the
 * library system's own client on the desk PC.
 *
 * A web page cannot type into another application: browsers deliberately give pages no way to send
 * keystrokes outside themselves (the clipboard, with navigator.clipboard.writeText, is as far as a
 * page can reach). Only a program on the desk PC can. The daemon can do it when, and only when:
 *
 *   - the page runs on the same computer as the daemon (the desk PC is also the pad's host: the
 *     browser reached us over the loopback interface), because the daemon types on ITS display;
 *   - the platform has a way to inject keys: on Linux with X11, `xdotool` (package xdotool) and a
 *     DISPLAY. (Wayland compositors refuse synthetic input from X clients; a uinput-based tool such
 *     as ydotool needs root or a udev rule and is not used here.)
 *
 * Anything else reports `available: false` with the reason, which the staff page shows as it is,
 * rather than pretending to type.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface WedgeStatus {
  available: boolean;
  /** What the staff page shows: how it types, or why it cannot. */
  reason: string;
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

export function isLoopback(address: string | null | undefined): boolean {
  if (!address) return false;
  const a = address.replace(/^::ffff:/, '');
  return a === '::1' || a.startsWith('127.');
}

export class KeyboardWedge {
  private readonly xdotool: string | null;
  private readonly platformReason: string | null;

  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    platform: NodeJS.Platform = process.platform,
  ) {
    if (platform !== 'linux') {
      this.xdotool = null;
      this.platformReason = `typing into other applications is not supported on ${platform}; use Copy and paste with Ctrl+V`;
      return;
    }
    this.xdotool = findOnPath('xdotool', env);
    if (!this.xdotool) this.platformReason = 'xdotool is not installed on the pad’s computer (apt install xdotool, X11 session); use Copy and paste with Ctrl+V';
    else if (!env.DISPLAY) this.platformReason = 'the daemon has no X11 display (DISPLAY is not set) to type on; use Copy and paste with Ctrl+V';
    else this.platformReason = null;
  }

  /** Whether a desk reaching us from `remoteAddress` can use it. */
  status(remoteAddress: string | null | undefined): WedgeStatus {
    if (this.platformReason) return { available: false, reason: this.platformReason };
    if (!isLoopback(remoteAddress)) {
      return { available: false, reason: 'this desk PC is not the pad’s computer: the daemon could only type on its own screen; use Copy and paste with Ctrl+V' };
    }
    return { available: true, reason: 'types the barcode into the window that has the focus, 2 seconds after you press the button' };
  }

  /** Types `text` (then Enter, as a scanner would) into the focused window after `delayMs`. */
  async type(text: string, remoteAddress: string | null | undefined, delayMs = 2000): Promise<void> {
    const st = this.status(remoteAddress);
    if (!st.available || !this.xdotool) throw new Error(st.reason);
    if (!/^[\x20-\x7e]{1,64}$/.test(text)) throw new Error('only printable ASCII up to 64 characters can be typed');
    await new Promise((r) => setTimeout(r, delayMs)); // time to click into the other application
    await new Promise<void>((resolve, reject) => {
      execFile(this.xdotool!, ['type', '--clearmodifiers', '--delay', '15', '--', text], { env: this.env, timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
    });
    await new Promise<void>((resolve, reject) => {
      execFile(this.xdotool!, ['key', '--clearmodifiers', 'Return'], { env: this.env, timeout: 5000 }, (err) => (err ? reject(err) : resolve()));
    });
  }
}
