#!/usr/bin/env -S node --optimize-for-size --min-semi-space-size=1 --max-semi-space-size=1
// V8 sized for memory rather than speed: a run's JavaScript is a thin layer that allocates
// little per step, and with node's defaults V8's heap kept growing for hours without
// anything leaking (docs/benchmarks.md, Soak): the young generation grows in doublings up
// to 16 MiB per semi-space, and the old generation's limit is set far above what is live,
// so it fills with garbage between full collections. --optimize-for-size keeps that limit
// a few MiB above what is live (full collections every few hundred mini-epochs, a few
// milliseconds each) and the young generation at 1 MiB per semi-space, which the two
// semi-space flags pin (node 20 applies that size under this flag already). The process CPU
// per mini-epoch did not change. bench/soak.ts reads these flags from this line.
/** The hextorch command line. Exit codes: 0 ok, 1 failure, 2 bad usage or options (or a run directory in use), 130/143 interrupted. */
import { HextorchError } from '../errors';
import { UsageError } from './args';
import { demoCommand } from './commands/demo';
import { evaluateCommand } from './commands/evaluate';
import { exportCommand } from './commands/export';
import { generateCommand } from './commands/generate';
import { gtpCommand } from './commands/gtp';
import { importCommand } from './commands/import';
import { infoCommand } from './commands/info';
import { inspectCommand } from './commands/inspect';
import { matchCommand } from './commands/match';
import { reportCommand } from './commands/report';
import { trainCommand } from './commands/train';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  demo: { run: demoCommand, summary: 'generate games, train a tiny model in mini-epochs, write a report' },
  train: { run: trainCommand, summary: 'train on a dataset with mini-epochs, checkpoints and exact resume' },
  import: { run: importCommand, summary: 'turn game records (trmph, move lists, Little Golem SGF) into a dataset' },
  generate: { run: generateCommand, summary: 'write synthetic games as a dataset' },
  inspect: { run: inspectCommand, summary: 'show a dataset or shard, verify checksums, draw a position' },
  report: { run: reportCommand, summary: 'plot loss and accuracy of a run' },
  evaluate: { run: evaluateCommand, summary: 'policy and value metrics of a checkpoint on a dataset or record file' },
  match: { run: matchCommand, summary: 'play games between two players (checkpoints, random, external engines)' },
  gtp: { run: gtpCommand, summary: 'play as a Hex Text Protocol engine on stdin/stdout' },
  export: { run: exportCommand, summary: 'write a checkpoint as ONNX or a PyTorch state dict, with a model card' },
  info: { run: infoCommand, summary: 'versions, CUDA devices, threads' },
};

const USAGE = `Usage: hextorch <command> [options]\n\n${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}\n\nRun 'hextorch <command> --help' for its options.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { version } = await import('../version');
    console.log(version);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`hextorch: unknown command '${name}'\n\n${USAGE}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    await command.run(['--help']).catch((error: unknown) => console.log(error instanceof UsageError ? error.message.split('\n\n').slice(1).join('\n\n') : ''));
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof HextorchError ? error.code : undefined;
    const message = error instanceof Error ? error.message : String(error);
    console.error(`hextorch: ${message}`);
    if (process.env.HEXTORCH_DEBUG && error instanceof Error) console.error(error.stack);
    process.exitCode = code === 'HEXTORCH_INVALID_ARGUMENT' || code === 'HEXTORCH_RUN_LOCKED' || error instanceof UsageError ? 2 : 1;
  },
);
