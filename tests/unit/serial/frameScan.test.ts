import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, MAX_NOISE_BYTES, scanAnswer } from '../../../drivers/serial/frameScan.js';

/** A toy rule: frames start with 0xBB and are 4 bytes long. */
const rule = (b: Buffer) => (b.length === 0 ? 0 : b[0] === 0xbb ? 4 : -1);
const bytes = (...b: number[]) => Buffer.from(b);

describe('scanAnswer', () => {
  it('waits for a frame, then cuts it at its length', () => {
    expect(scanAnswer(bytes(0xbb, 1), rule, 0)).toMatchObject({ kind: 'wait', noise: 0 });
    expect(scanAnswer(bytes(0xbb, 1, 2, 3), rule, 0)).toEqual({
      kind: 'frame',
      frame: bytes(0xbb, 1, 2, 3),
      extra: 0,
      noise: 0,
    });
    expect(scanAnswer(bytes(0xbb, 1, 2, 3, 9, 9), rule, 0)).toMatchObject({ kind: 'frame', extra: 2 });
  });

  it(`drops up to ${MAX_NOISE_BYTES} leading glitch bytes, across chunks`, () => {
    expect(scanAnswer(bytes(0x00, 0xbb, 1, 2, 3), rule, 0)).toMatchObject({ kind: 'frame', noise: 1 });
    const first = scanAnswer(bytes(0xff), rule, 0);
    expect(first).toMatchObject({ kind: 'wait', noise: 1 });
    expect(first.kind === 'wait' && first.rx.length).toBe(0);
    expect(scanAnswer(bytes(0x00, 0xbb, 1, 2, 3), rule, 1)).toMatchObject({ kind: 'frame', noise: 2 });
    expect(scanAnswer(bytes(0x00, 0x00, 0x00, 0xbb), rule, 0)).toEqual({
      kind: 'garbage',
      noise: 2,
      bytes: 2,
    });
  });

  it('treats a throwing rule and an endless frame as garbage', () => {
    const throwing = () => {
      throw new Error('boom');
    };
    expect(scanAnswer(bytes(1, 2, 3), throwing, MAX_NOISE_BYTES).kind).toBe('garbage');
    const never = () => 0;
    expect(scanAnswer(Buffer.alloc(MAX_FRAME_BYTES + 1), never, 0).kind).toBe('garbage');
  });
});
