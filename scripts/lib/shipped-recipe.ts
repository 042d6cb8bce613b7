// How the shipped model is trained: `deepend train` arguments for a 2-conv CNN (16 and 32 filters) on the shipped
// MNIST digits, 10 epochs, init seed 7. build-default-model uses split 42; bench:growth uses fresh splits.
export function shippedRecipeArgs(splitSeed: number, name: string, out: string): string[] {
  return [
    'train',
    ...['--family', 'conv', '--depth', '2', '--width', '16', '--data', 'mnist', '--epochs', '10'],
    ...['--seed', String(splitSeed), '--init-seed', '7', '--name', name, '--out', out],
  ];
}
