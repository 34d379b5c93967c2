// snappyjs ships no types; only what onset uses is declared.
declare module 'snappyjs' {
  interface Snappy {
    /** Throws when the data is not snappy block format or states a length over `maxLength`. */
    uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
    compress(uncompressed: Uint8Array): Uint8Array;
  }
  const snappy: Snappy;
  export default snappy;
}
