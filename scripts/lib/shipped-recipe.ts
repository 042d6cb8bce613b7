// How the shipped model is trained: `deepend train` arguments for a 2-conv CNN (16 and 32 filters) on the shipped
// MNIST digits, 10 epochs, init seed 7. build-default-model uses split 42; bench:growth uses fresh splits (and, for
// its methods table, fewer epochs: a parent further below what a deeper model reaches).
export const SHIPPED_EPOCHS = 10;

export function shippedRecipeArgs(splitSeed: number, name: string, out: string, epochs = SHIPPED_EPOCHS): string[] {
  return [
    'train',
    ...['--family', 'conv', '--depth', '2', '--width', '16', '--data', 'mnist', '--epochs', String(epochs)],
    ...['--seed', String(splitSeed), '--init-seed', '7', '--name', name, '--out', out],
  ];
}
