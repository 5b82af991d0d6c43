/**
 * Writes a network graph (as the native side describes it) as an ONNX model with the
 * `onnx-proto` protobuf classes: opset 13, input `planes` [batch,3,N,N], outputs
 * `policy` logits [batch,N*N] and `value` [batch,1], the batch axis dynamic.
 */
import { endianness } from 'node:os';
import { onnx } from 'onnx-proto';
import type { NativeModelGraph } from '../native-types';

export const ONNX_OPSET = 13;
const IR_VERSION = 7; // the IR version of opset 13

export const INPUT_DOC = 'planes [batch,3,N,N] float32: 0 Blue stones, 1 Red stones (1.0 where present), 2 player to move (0.0 everywhere when Blue is to move, 1.0 when Red is); cell (row r, column c), a1 = (0,0)';
export const POLICY_DOC = 'policy [batch,N*N] float32: logits per cell, index r*N + c; mask occupied cells before a softmax';
export const VALUE_DOC = 'value [batch,1] float32: tanh in [-1,1], +1 = Red wins; P(Red wins) = (value+1)/2';

function valueInfo(name: string, dims: (number | string)[], docString: string): onnx.IValueInfoProto {
  return {
    name,
    docString,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function attribute(name: string, value: NativeModelGraph['nodes'][number]['attributes'][string]): onnx.IAttributeProto {
  const type = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: type.INT, i: value.int };
  if ('ints' in value) return { name, type: type.INTS, ints: value.ints };
  return { name, type: type.FLOAT, f: value.float };
}

function tensor(t: NativeModelGraph['initializers'][number]): onnx.ITensorProto {
  const base = { name: t.name, dims: t.dims, dataType: onnx.TensorProto.DataType.FLOAT };
  // raw_data is little-endian by the ONNX spec.
  if (endianness() === 'LE') return { ...base, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
  return { ...base, floatData: Array.from(t.data) };
}

export function encodeOnnx(graph: NativeModelGraph, meta: { producerVersion: string; docString: string; metadata: Record<string, string> }): Uint8Array {
  const n = graph.boardSize;
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'hextorch',
    producerVersion: meta.producerVersion,
    docString: meta.docString,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: Object.entries(meta.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'hextorch',
      node: graph.nodes.map((node) => ({
        opType: node.op,
        name: node.name,
        input: node.inputs,
        output: node.outputs,
        attribute: Object.entries(node.attributes).map(([name, value]) => attribute(name, value)),
      })),
      initializer: graph.initializers.map(tensor),
      input: [valueInfo(graph.input, ['batch', 3, n, n], INPUT_DOC)],
      output: [valueInfo('policy', ['batch', n * n], POLICY_DOC), valueInfo('value', ['batch', 1], VALUE_DOC)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
