import { describe, expect, it } from 'vitest';
import { GlimpseFilter } from '../../src/storage/glimpses';
import type { SampleRow } from '../../src/storage/schema';

const row = (t: number, face: number): SampleRow => [t, 1, face, 3, 100, 100, 100, 400, 100, 100, 100];

describe('GlimpseFilter', () => {
  it('holds a new face until its second second, then passes all its rows; a kept face passes at once', () => {
    const g = new GlimpseFilter();
    expect(g.pass([row(100, 1)])).toEqual([]);
    expect(g.holding).toBe(1);
    expect(g.pass([row(101, 1)])).toEqual([row(100, 1), row(101, 1)]);
    expect(g.pass([row(102, 1)])).toEqual([row(102, 1)]);
    expect(g.holding).toBe(0);
  });

  it('drops a face seen in one second only: when it is gone for 5 s, or when the session ends', () => {
    const g = new GlimpseFilter();
    g.pass([row(100, 1), row(100, 2), row(101, 1)]);
    expect(g.holding).toBe(1); // face 2
    expect(g.pass([row(106, 1)])).toEqual([row(106, 1)]);
    expect(g.holding).toBe(0);
    // Face 2 again much later: a fresh start, not joined to its old second.
    expect(g.pass([row(107, 2)])).toEqual([]);
    expect(g.pass([row(108, 1)], true)).toEqual([row(108, 1)]);
    expect(g.holding).toBe(0);
  });

  it('counts distinct seconds, not rows: two videos with the same face number are two faces', () => {
    const g = new GlimpseFilter();
    const other: SampleRow = [100, 2, 1, 3, 100, 100, 100, 400, 100, 100, 100];
    expect(g.pass([row(100, 1), other])).toEqual([]);
    expect(g.pass([row(101, 1)])).toEqual([row(100, 1), row(101, 1)]);
    expect(g.holding).toBe(1);
  });
});
