/** Helpers shared by the conformance suite's own tests. */
import { expect } from 'vitest';
import type { CheckResult, ConformanceReport } from './report.ts';

/**
 * The result of check `name` on `operationId` in `report`; fails the test when the report has no
 * such operation or check.
 */
export function checkOf(report: ConformanceReport, operationId: string, name: string): CheckResult {
  const op = report.operations.find((o) => o.operationId === operationId);
  expect(op, operationId).toBeDefined();
  const c = op!.checks.find((x) => x.name === name);
  expect(c, `${operationId} ${name}`).toBeDefined();
  return c!;
}
