/** Types of conformance.mjs, which stays plain JavaScript so that every runtime loads it as it is. */
export interface ConformanceResult {
  name: string;
  ok: boolean;
  detail?: string;
}

export declare function runConformance(pkg: unknown, sandboxUrl: string): Promise<ConformanceResult[]>;
