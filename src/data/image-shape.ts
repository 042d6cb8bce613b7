import { DataError, describeShape } from './errors';

export interface ImageShape {
  height: number;
  width: number;
  channels: 1 | 3;
}

/** Reads a model input shape as an image shape, or says why it is not one. */
export function imageShapeOf(where: string, inputShape: number[]): ImageShape {
  const [height, width, channels] = inputShape;
  if (inputShape.length !== 3 || (channels !== 1 && channels !== 3)) {
    throw new DataError(
      where,
      `image data cannot fit the model's input ${describeShape(inputShape)}: expected [H,W,1] or [H,W,3]`,
    );
  }
  return { height, width, channels };
}
