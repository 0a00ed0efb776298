import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationLabel, progressBar, type ProgressStream } from '../../src/cli/progress.ts';

function stream(isTTY: boolean, columns?: number): ProgressStream & { text: string } {
  const s = {
    text: '',
    isTTY,
    ...(columns === undefined ? {} : { columns }),
    write(t: string) {
      s.text += t;
      return true;
    },
  };
  return s;
}

describe('the command line’s progress bar', () => {
  it('on a terminal, redraws one line in place, never wider than the terminal, and ends it once', () => {
    for (const columns of [200, 80, 50, 30]) {
      const out = stream(true, columns);
      const bar = progressBar('Peuplement synthétique', 2000, out);
      bar.update(1000);
      bar.update(2000);
      bar.stop();
      bar.stop();
      assert.equal(out.text.split('\n').length - 1, 1, `one line ended (${columns} columns)`);
      assert.ok(out.text.endsWith('\n'));
      for (const drawn of out.text.split('\r').filter(Boolean)) {
        const visible = drawn.replace('\x1b[K', '').replace('\n', '');
        assert.ok(visible.length < columns, `${JSON.stringify(visible)} fits in ${columns} columns`);
      }
      if (columns >= 80) assert.match(out.text, /\[█+\] 100 % · 2\s000\/2\s000/);
    }
  });

  it('outside a terminal, a short phase prints one plain line, and no control character', () => {
    const out = stream(false);
    const bar = progressBar('Vérification du journal', 300, out);
    for (let done = 0; done <= 300; done += 10) bar.update(done);
    bar.stop();
    assert.match(out.text, /^Vérification du journal \[300\/300\] 100 % en \d,\d s\n$/);
  });

  it('says durations in French', () => {
    assert.equal(durationLabel(700), '0,7 s');
    assert.equal(durationLabel(42_000), '42 s');
    assert.equal(durationLabel(185_000), '3 min 05 s');
    assert.equal(durationLabel(3_720_000), '1 h 02 min');
  });
});
