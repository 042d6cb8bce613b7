import { tf } from '../../tf';
import { upstream } from './upstream';
import { asWasm } from './wasm-backend';

type Args = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

/**
 * Upstream wasm Identity copies the tensor. The engine clones every tensor a
 * gradient saves (saveTensorsForBackwardMode), so training copied each layer's
 * activations. Tensors are immutable and the wasm backend already shares
 * memory between tensors by reference count (Reshape), as the cpu backend's
 * Identity does: share instead of copy.
 */
function shared(x: tf.TensorInfo, backend: Args['backend']): tf.TensorInfo {
  asWasm(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function identity(args: Args): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  return x.dtype === 'string' ? upstream(tf.Identity)(args) : shared(x, args.backend);
}

/** A cast to the same dtype is an identity (the engine's clone gradient casts dy to float32). */
function cast(args: Args): tf.TensorInfo {
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { dtype } = args.attrs as unknown as tf.CastAttrs;
  return dtype === x.dtype && dtype !== 'string' ? shared(x, args.backend) : upstream(tf.Cast)(args);
}

export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as tf.KernelFunc,
};

export const castConfig: tf.KernelConfig = {
  kernelName: tf.Cast,
  backendName: 'wasm',
  kernelFunc: cast as unknown as tf.KernelFunc,
};
