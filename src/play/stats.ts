/** Match statistics: win rate with a Wilson score interval and the Elo difference it implies. */

/** 95 % two-sided normal quantile. */
export const Z95 = 1.959963984540054;

/** Wilson score interval of a proportion `wins / n` (n > 0). */
export function wilsonInterval(wins: number, n: number, z = Z95): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = wins / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Elo difference for an expected score p (logistic model); ±Infinity at 0 and 1. */
export function eloFromScore(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  return 400 * Math.log10(p / (1 - p));
}

export interface MatchStats {
  games: number;
  aWins: number;
  bWins: number;
  /** Games side A played as Blue, and how many of them A won. */
  aBlueGames: number;
  aBlueWins: number;
  aRedGames: number;
  aRedWins: number;
  blueWins: number;
  redWins: number;
  /** A's win rate and its 95 % Wilson interval. */
  winRate: number;
  winRateLow: number;
  winRateHigh: number;
  /** Elo of A over B, with the interval mapped from the win-rate interval. */
  elo: number;
  eloLow: number;
  eloHigh: number;
}

export function matchStats(games: ReadonlyArray<{ aIsBlue: boolean; winner: 'blue' | 'red' }>): MatchStats {
  let aWins = 0, aBlueGames = 0, aBlueWins = 0, aRedWins = 0, blueWins = 0;
  for (const g of games) {
    const aWon = (g.winner === 'blue') === g.aIsBlue;
    if (aWon) aWins++;
    if (g.winner === 'blue') blueWins++;
    if (g.aIsBlue) {
      aBlueGames++;
      if (aWon) aBlueWins++;
    } else if (aWon) {
      aRedWins++;
    }
  }
  const n = games.length;
  const winRate = n > 0 ? aWins / n : 0;
  const { low, high } = wilsonInterval(aWins, n);
  return {
    games: n, aWins, bWins: n - aWins, aBlueGames, aBlueWins, aRedGames: n - aBlueGames, aRedWins,
    blueWins, redWins: n - blueWins,
    winRate, winRateLow: low, winRateHigh: high,
    elo: eloFromScore(winRate), eloLow: eloFromScore(low), eloHigh: eloFromScore(high),
  };
}

function signed(x: number): string {
  if (x === Infinity) return '+inf';
  if (x === -Infinity) return '-inf';
  return `${x >= 0 ? '+' : ''}${x.toFixed(0)}`;
}

/** Human summary lines, e.g. for the CLI. */
export function formatMatchStats(s: MatchStats, nameA: string, nameB: string): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `games              ${s.games} (Blue won ${s.blueWins}, Red won ${s.redWins})`,
    `A ${nameA}`,
    `B ${nameB}`,
    `A wins             ${s.aWins} (as Blue ${s.aBlueWins}/${s.aBlueGames}, as Red ${s.aRedWins}/${s.aRedGames})`,
    `B wins             ${s.bWins} (as Blue ${s.aRedGames - s.aRedWins}/${s.aRedGames}, as Red ${s.aBlueGames - s.aBlueWins}/${s.aBlueGames})`,
    `A win rate         ${pct(s.winRate)} (95% CI ${pct(s.winRateLow)} to ${pct(s.winRateHigh)}, Wilson)`,
    `Elo A - B          ${signed(s.elo)} (95% CI ${signed(s.eloLow)} to ${signed(s.eloHigh)})`,
  ];
}
