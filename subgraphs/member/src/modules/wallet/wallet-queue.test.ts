import { describe, expect, it } from 'vitest';
import { limits } from '@coalition/shared/limits';
import { inMemberQueue, isMemberQueued } from './wallet-queue';

/** A promise the test settles by hand, so ordering is shown without clocks. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('the per-member write queue', () => {
  it("runs one member's writes one at a time, in the order they arrived", async () => {
    const events: string[] = [];
    const first = gate();
    const writes = [0, 1, 2, 3].map((i) =>
      inMemberQueue(['member-a'], async () => {
        events.push(`start ${i}`);
        if (i === 0) await first.opened;
        events.push(`end ${i}`);
        return i;
      }),
    );
    await Promise.resolve();
    expect(events).toEqual(['start 0']);
    first.open();
    expect(await Promise.all(writes)).toEqual([0, 1, 2, 3]);
    expect(events).toEqual([
      'start 0',
      'end 0',
      'start 1',
      'end 1',
      'start 2',
      'end 2',
      'start 3',
      'end 3',
    ]);
  });

  it("lets another member's write through while one member's writes wait", async () => {
    const stuck = gate();
    const hot = [0, 1, 2].map(() => inMemberQueue(['member-hot'], () => stuck.opened));
    expect(await inMemberQueue(['member-cold'], async () => 'done')).toBe('done');
    expect(isMemberQueued('member-hot')).toBe(true);
    stuck.open();
    await Promise.all(hot);
  });

  it('passes a failed write its own error and runs the next write', async () => {
    const failing = inMemberQueue(['member-b'], async () => {
      throw new Error('the work failed');
    });
    const next = inMemberQueue(['member-b'], async () => 'ran');
    await expect(failing).rejects.toThrow('the work failed');
    expect(await next).toBe('ran');
  });

  it('forgets a member once the last of its writes is done, failed or not', async () => {
    await inMemberQueue(['member-c'], async () => undefined);
    await inMemberQueue(['member-c', 'member-d'], async () =>
      Promise.reject(new Error('no')),
    ).catch(() => undefined);
    expect(isMemberQueued('member-c')).toBe(false);
    expect(isMemberQueued('member-d')).toBe(false);
  });

  it('takes two members in id order, so two opposite transfers cannot wait on each other', async () => {
    // Each member is busy; a transfer each way queues behind them. Taken in the order given, the
    // first would get x and wait for y while the second holds y and waits for x.
    const [x, y] = [gate(), gate()];
    const busyX = inMemberQueue(['member-x'], () => x.opened);
    const busyY = inMemberQueue(['member-y'], () => y.opened);
    const xToY = inMemberQueue(['member-x', 'member-y'], async () => 'x to y');
    const yToX = inMemberQueue(['member-y', 'member-x'], async () => 'y to x');
    x.open();
    y.open();
    await Promise.all([busyX, busyY]);
    expect(await Promise.all([xToY, yToX])).toEqual(['x to y', 'y to x']);
  });

  it('refuses a write with SERVICE_UNAVAILABLE once a member has the most writes queued, without running it', async () => {
    const stuck = gate();
    const running = inMemberQueue(['member-full'], () => stuck.opened);
    const queued = Array.from({ length: limits.walletWritesQueuedPerMemberMax }, () =>
      inMemberQueue(['member-full'], async () => 'ran'),
    );
    let ran = false;
    const refused = inMemberQueue(['member-full'], async () => {
      ran = true;
    });
    await expect(refused).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    stuck.open();
    await running;
    expect(new Set(await Promise.all(queued))).toEqual(new Set(['ran']));
    expect(ran).toBe(false);
    expect(isMemberQueued('member-full')).toBe(false);
  });
});
