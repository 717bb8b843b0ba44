/**
 * Audio cues: short WebAudio tones for success, failure and the idle warning (no sound files to
 * ship). Muted per session by the patron; a kiosk browser is started with autoplay allowed, and
 * elsewhere the context resumes on the first touch.
 */
export type Cue = 'success' | 'failure' | 'warning';

/** Tone sequences: [frequency Hz, duration s]. */
const tones: Record<Cue, Array<[number, number]>> = {
  success: [
    [880, 0.09],
    [1320, 0.14],
  ],
  failure: [
    [330, 0.18],
    [220, 0.28],
  ],
  warning: [
    [660, 0.12],
    [660, 0.12],
  ],
};

export class AudioCues {
  private ctx: AudioContext | null = null;

  private context(): AudioContext | null {
    if (this.ctx) return this.ctx;
    const Ctor = globalThis.AudioContext ?? (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctor) return null;
    try {
      this.ctx = new Ctor();
    } catch {
      return null;
    }
    return this.ctx;
  }

  /** Resume after a user gesture (browsers start the context suspended without one). */
  unlock(): void {
    const c = this.context();
    if (c && c.state === 'suspended') void c.resume().catch(() => undefined);
  }

  play(cue: Cue, muted: boolean): void {
    if (muted) return;
    const c = this.context();
    if (!c) return;
    let t = c.currentTime + 0.01;
    for (const [freq, dur] of tones[cue]) {
      const osc = c.createOscillator();
      const gain = c.createGain();
      osc.type = cue === 'failure' ? 'square' : 'sine';
      osc.frequency.value = freq;
      // A short attack and release: no clicks.
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + dur);
      osc.connect(gain).connect(c.destination);
      osc.start(t);
      osc.stop(t + dur + 0.02);
      t += dur + 0.04;
    }
  }
}
