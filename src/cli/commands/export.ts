import { EXPORT_FORMATS, exportModel, type ExportFormat } from '../../export';
import { fmt, parse, requireFlag, UsageError } from '../args';

const USAGE = `Usage: hextorch export --checkpoint C --format onnx|pytorch --out FILE [--json]

  --checkpoint C   a checkpoint directory (RUN/checkpoints/ckpt-...), its model.pt,
                   or a run or checkpoints directory (their latest checkpoint)
  --format F       onnx: opset 13, input planes [B,3,N,N], outputs policy [B,N*N]
                   logits and value [B,1] (+1 = Red wins), dynamic batch;
                   pytorch: a state dict for python/hextorch_model.py (torch.load)
  --out FILE       the file to write; its model card goes to FILE.json
  --json           print the result as JSON`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { checkpoint: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'\n\n${USAGE}`);
  const format = requireFlag(values, 'format', USAGE);
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be onnx or pytorch, not '${format}'\n\n${USAGE}`);
  const result = await exportModel({
    checkpoint: requireFlag(values, 'checkpoint', USAGE),
    format: format as ExportFormat,
    out: requireFlag(values, 'out', USAGE),
  });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const c = result.modelCard;
  console.log(`wrote ${result.out} (${result.format}, ${fmt(result.bytes)} bytes): ${c.model} on ${c.boardSize}x${c.boardSize}`);
  console.log(`model card ${result.card}`);
  return 0;
}
