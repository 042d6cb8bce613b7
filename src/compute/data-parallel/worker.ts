// Entry of a data-parallel worker thread: a replica of the model on its own
// TF.js backend that turns (weights, rows) into gradients. Started by trainer.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { tf, tfl } from '../../tf';
import { selectBackend } from '../backend';
import { resolveLoss } from './losses';
import { ErrorReply, ReadyReply, StepReply, StepRequest, WorkerInit, flatten, unflatten } from './protocol';

async function start(port: NonNullable<typeof parentPort>, init: WorkerInit): Promise<void> {
  const backend = await selectBackend(init.backend);
  for (const m of init.modules) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(m);
  }
  const model = await tfl.models.modelFromJSON(init.topology as tf.io.ModelJSON['modelTopology'] as never);
  const loss = resolveLoss(init.loss);
  const weights = model.weights;
  const shapes = weights.map((w) => w.shape as number[]);
  const variables = weights.map((w) => (w as unknown as { read(): tf.Variable }).read());
  const shared = new Float32Array(init.weights);

  const step = (req: StepRequest): StepReply => {
    const started = performance.now();
    const values = unflatten(shared, shapes);
    weights.forEach((w, i) => {
      w.write(values[i]);
    });
    tf.dispose(values);
    const train = req.train.map((i) => variables[i]);
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor(req.x, req.xShape, 'float32');
      const y = tf.tensor(req.y, req.yShape, req.y instanceof Int32Array ? 'int32' : 'float32');
      return tf.variableGrads(() => loss(model.apply(x, { training: true }) as tf.Tensor, y), train);
    });
    const flat = flatten(train.map((v) => grads[v.name]));
    const lossValue = value.dataSync()[0];
    tf.dispose([value, grads]);
    return { id: req.id, loss: lossValue, grads: flat, ms: performance.now() - started };
  };

  port.on('message', (req: StepRequest) => {
    try {
      const reply = step(req);
      port.postMessage(reply, [reply.grads.buffer as ArrayBuffer]);
    } catch (err) {
      const reply: ErrorReply = { id: req.id, error: err instanceof Error ? err.message : String(err) };
      port.postMessage(reply);
    }
  });
  const ready: ReadyReply = { ready: true, backend: backend.name };
  port.postMessage(ready);
}

if (parentPort) {
  const port = parentPort;
  start(port, workerData as WorkerInit).catch((err: unknown) => {
    port.postMessage({ id: -1, error: err instanceof Error ? err.message : String(err) } satisfies ErrorReply);
  });
}
