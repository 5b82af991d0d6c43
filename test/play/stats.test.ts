import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eloFromScore, matchStats, wilsonInterval } from '../../src/play/stats';

test('Wilson interval and Elo match known values', () => {
  const { low, high } = wilsonInterval(8, 10);
  assert.ok(Math.abs(low - 0.4902) < 1e-3 && Math.abs(high - 0.9433) < 1e-3, `${low} ${high}`);
  const all = wilsonInterval(200, 200);
  assert.equal(all.high, 1);
  assert.ok(all.low > 0.98 && all.low < 0.985, String(all.low));
  assert.ok(Math.abs(eloFromScore(0.75) - 190.85) < 0.01);
  assert.equal(eloFromScore(0.5), 0);
  assert.equal(eloFromScore(1), Infinity);
});

test('match statistics count wins per side and colour', () => {
  const s = matchStats([
    { aIsBlue: true, winner: 'blue' },
    { aIsBlue: false, winner: 'blue' },
    { aIsBlue: true, winner: 'red' },
    { aIsBlue: false, winner: 'red' },
  ]);
  assert.deepEqual(
    [s.games, s.aWins, s.bWins, s.aBlueGames, s.aBlueWins, s.aRedGames, s.aRedWins, s.blueWins, s.redWins],
    [4, 2, 2, 2, 1, 2, 1, 2, 2],
  );
  assert.equal(s.winRate, 0.5);
  assert.equal(s.elo, 0);
});
