// Placeholder replaced by the wasm training kernels work (Conv2DBackpropFilter etc.).
export function registerWasmTrainingKernels(): void {
  /* registered by the kernels in this folder */
}
