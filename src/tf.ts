// The one place deepend imports TensorFlow.js from. tfjs-core and tfjs-layers
// are pinned to one exact version; the native packages (tfjs-node,
// tfjs-node-gpu) bring their own copy of @tensorflow/tfjs which npm dedupes onto
// the same tfjs-core, so a backend they register is visible here.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export { tf, tfl };
