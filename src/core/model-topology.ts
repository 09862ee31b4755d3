import { FaceMLError } from './errors';

/**
 * The weights a Sequential layers model's topology will build, worked out from model.json alone:
 * tfjs allocates every layer's weights from the topology before it reads the weight files, so a
 * 4-byte manifest with a Dense(250000) layer would build gigabytes first and fail after.
 * checkModelParts compares this with the manifest before tfjs sees the model.
 */

type Shape = number[];
interface LayerJson {
  class_name?: string;
  config?: Record<string, unknown>;
}

/** Layers that hold no weights and keep their input's shape. */
const PASS_THROUGH = new Set(['Dropout', 'SpatialDropout2D', 'Activation', 'ReLU', 'LeakyReLU', 'Softmax', 'GaussianNoise', 'InputLayer']);

const pair = (v: unknown, fallback: number): [number, number] => {
  const a = Array.isArray(v) ? v : v === undefined ? [fallback, fallback] : [v, v];
  return [Number(a[0]), Number(a[1])];
};

/** Output length of a windowed op along one axis (Keras' conv_output_length). */
function windowed(size: number, kernel: number, stride: number, padding: unknown, dilation = 1): number {
  const span = (kernel - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(size / stride) : Math.ceil((size - span + 1) / stride);
}

/** One layer: the shapes of the weights it builds and the shape it outputs (batch axis dropped). */
function layerWeights(layer: LayerJson, input: Shape): { weights: Shape[]; output: Shape } {
  const c = layer.config ?? {};
  const kind = String(layer.class_name);
  const bias = c.use_bias !== false;
  if (PASS_THROUGH.has(kind)) return { weights: [], output: input };
  if (c.data_format !== undefined && c.data_format !== 'channels_last') throw new Error(`${kind} with data_format ${String(c.data_format)}`);
  const [h, w, ch] = input;
  switch (kind) {
    case 'Conv2D':
    case 'SeparableConv2D':
    case 'DepthwiseConv2D': {
      if (input.length !== 3) throw new Error(`${kind} on an input of rank ${input.length}`);
      const [kh, kw] = pair(c.kernel_size, 1);
      const [sh, sw] = pair(c.strides, 1);
      const [dh, dw] = pair(c.dilation_rate, 1);
      const multiplier = Number(c.depth_multiplier ?? 1);
      const out = kind === 'DepthwiseConv2D' ? ch * multiplier : Number(c.filters);
      const weights =
        kind === 'Conv2D' ? [[kh, kw, ch, out]] : kind === 'SeparableConv2D' ? [[kh, kw, ch, multiplier], [1, 1, ch * multiplier, out]] : [[kh, kw, ch, multiplier]];
      if (bias) weights.push([out]);
      return { weights, output: [windowed(h, kh, sh, c.padding, dh), windowed(w, kw, sw, c.padding, dw), out] };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [ph, pw] = pair(c.pool_size, 2);
      const [sh, sw] = c.strides == null ? [ph, pw] : pair(c.strides, ph);
      return { weights: [], output: [windowed(h, ph, sh, c.padding), windowed(w, pw, sw, c.padding), ch] };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return { weights: [], output: [input.at(-1)!] };
    case 'Flatten':
      return { weights: [], output: [elementsOf(input)] };
    case 'Dense': {
      const units = Number(c.units);
      const weights = [[input.at(-1)!, units]];
      if (bias) weights.push([units]);
      return { weights, output: [...input.slice(0, -1), units] };
    }
    case 'BatchNormalization': {
      const n = input.at(-1)!;
      const weights = [...(c.scale !== false ? [[n]] : []), ...(c.center !== false ? [[n]] : []), [n], [n]];
      return { weights, output: input };
    }
    default:
      throw new Error(`layer type ${kind}`);
  }
}

/** The shapes of every weight the topology builds, in layer order, or a FaceMLError saying why it cannot be checked. */
export function topologyWeightShapes(topology: unknown, where: string): Shape[] {
  const fail = (why: string) => new FaceMLError('MODEL_LOAD_FAILED', `${where}: ${why}`);
  const top = topology as { class_name?: string; config?: { layers?: LayerJson[] } | LayerJson[]; model_config?: unknown } | null;
  const model = (top?.model_config ?? top) as typeof top;
  if (model?.class_name !== 'Sequential') throw fail('FaceML loads Sequential layers models only (model.json has no Sequential topology)');
  const layers = Array.isArray(model.config) ? model.config : model.config?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw fail('the model has no layers');
  const first = layers[0]?.config ?? {};
  const inputShape = (first.batch_input_shape ?? first.batchInputShape) as unknown;
  if (!Array.isArray(inputShape) || inputShape.length < 2) throw fail('the first layer declares no input shape');
  let shape: Shape = inputShape.slice(1).map(Number);
  const all: Shape[] = [];
  for (const layer of layers) {
    let result;
    try {
      result = layerWeights(layer, shape);
    } catch (err) {
      throw fail(`cannot check layer "${String(layer.config?.name ?? layer.class_name)}": ${(err as Error).message} is not supported`);
    }
    shape = result.output;
    if (!shape.every((n) => Number.isInteger(n) && n > 0)) throw fail(`layer "${String(layer.config?.name)}" gives an impossible shape [${shape.join(', ')}]`);
    all.push(...result.weights);
  }
  for (const s of all) if (!s.every((n) => Number.isInteger(n) && n > 0)) throw fail(`a weight of impossible shape [${s.join(', ')}]`);
  return all;
}

export const elementsOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
