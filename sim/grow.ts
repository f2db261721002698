type GrowableArray = Float64Array | Int32Array | Uint32Array | Uint8Array;

/** A copy of `array` with room for `capacity` elements (the tail zeroed): typed arrays grow by copying. */
export function grown<T extends GrowableArray>(array: T, capacity: number): T {
  const bigger = new (array.constructor as new (length: number) => T)(capacity);
  bigger.set(array);
  return bigger;
}
