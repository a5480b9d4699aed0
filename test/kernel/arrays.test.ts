import { describe, expect, it } from 'vitest';
import { appendAll } from '../../src/kernel/arrays.js';

describe('appendAll', () => {
  it('appends an upstream-sized array without overflowing the stack (push(...x) does)', () => {
    const huge = new Array<number>(600_001).fill(1);
    expect(() => [].push(...(huge as never[]))).toThrow(RangeError);
    expect(appendAll([0], huge)).toHaveLength(600_002);
  });
});
