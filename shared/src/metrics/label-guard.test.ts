import { describe, expect, it } from 'vitest';
import { LabelGuard } from './label-guard';

describe('LabelGuard', () => {
  it('keeps names it has seen, and counts new ones past the cap as other', () => {
    const guard = new LabelGuard(2);
    expect(guard.value('EarnPoints')).toBe('EarnPoints');
    expect(guard.value('Burn')).toBe('Burn');
    expect(guard.value('Third')).toBe('other');
    expect(guard.value('EarnPoints')).toBe('EarnPoints');
  });

  it('names a missing value, and refuses values that are not names', () => {
    const guard = new LabelGuard(10);
    expect(guard.value(undefined)).toBe('anonymous');
    expect(guard.value('')).toBe('anonymous');
    expect(guard.value('drop table;')).toBe('other');
    expect(guard.value('x'.repeat(65))).toBe('other');
  });
});
