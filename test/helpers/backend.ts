import { selectBackend } from '../../src/compute/backend';

/** Tests run on the backend the daemon would pick here (wasm), or DEEPEND_BACKEND. */
export async function useTestBackend(): Promise<string> {
  return (await selectBackend()).name;
}
