import { describe, expect, it } from 'vitest';
import { createLogger, setLogLevel } from '../../../agent/core/log.js';

describe('setLogLevel', () => {
  it('reaches the children components already hold (pino copies the level at creation)', () => {
    const root = createLogger({ level: 'info' });
    const child = root.child({ device: 'a' });
    const grandchild = child.child({ channel: 'b' });
    setLogLevel(root, 'debug');
    expect([root.level, child.level, grandchild.level]).toEqual(['debug', 'debug', 'debug']);
    const later = root.child({ device: 'c' });
    expect(later.level).toBe('debug');
  });
});
