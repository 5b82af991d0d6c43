/** Board coordinates as in HEX.md: `a1` is (row 0, col 0), index = row * N + col. */
import { HextorchError } from './errors';

export function cellName(boardSize: number, index: number): string {
  return `${String.fromCharCode(97 + (index % boardSize))}${Math.floor(index / boardSize) + 1}`;
}

export function parseCell(boardSize: number, text: string): number {
  const match = /^([a-z])(\d{1,2})$/i.exec(text.trim());
  if (!match) throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `'${text}' is not a cell coordinate like c3`);
  const col = match[1]!.toLowerCase().charCodeAt(0) - 97;
  const row = Number(match[2]) - 1;
  if (col >= boardSize || row < 0 || row >= boardSize) {
    throw new HextorchError('HEXTORCH_INVALID_ARGUMENT', `cell ${text} is off the ${boardSize}x${boardSize} board`);
  }
  return row * boardSize + col;
}

/** Draws a board as text: Blue X, Red O, the rhombus slanting right row by row. */
export function drawBoard(boardSize: number, cells: ArrayLike<number>, mark?: number): string {
  const lines: string[] = [];
  const header = Array.from({ length: boardSize }, (_, c) => String.fromCharCode(97 + c)).join(' ');
  lines.push(`    ${header}`);
  for (let r = 0; r < boardSize; r++) {
    let row = `${' '.repeat(r)}${String(r + 1).padStart(2)}  `;
    for (let c = 0; c < boardSize; c++) {
      const i = r * boardSize + c;
      const stone = cells[i] === 1 ? 'X' : cells[i] === 2 ? 'O' : '.';
      row += (i === mark ? '*' : stone) + ' ';
    }
    lines.push(row.trimEnd());
  }
  return lines.join('\n');
}
