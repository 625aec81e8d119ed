/** The part of `openapi-to-postmanv2` (no bundled types) that `.ci/docs.ts` calls. */
declare module 'openapi-to-postmanv2' {
  interface ConversionResult {
    result: boolean;
    reason?: string;
    output?: { type: string; data: Record<string, unknown> }[];
  }
  const Converter: {
    convert(
      input: { type: 'string' | 'json' | 'file'; data: unknown },
      options: Record<string, unknown>,
      callback: (err: Error | null, result: ConversionResult) => void,
    ): void;
  };
  export default Converter;
}
