/** Just enough PNG reading to check what the chart renderer wrote. */

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, which the PNG format requires to come first. */
export function pngSize(png: Buffer): { widthPx: number; heightPx: number } {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error("not a PNG");
  if (png.toString("latin1", 12, 16) !== "IHDR") throw new Error("first chunk is not IHDR");
  return { widthPx: png.readUInt32BE(16), heightPx: png.readUInt32BE(20) };
}
