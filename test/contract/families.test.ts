/**
 * The family registry against the contract (`generated/openapi.yaml`): each family module of
 * `server/families.ts` handles exactly the operations carrying its tag, every tag with
 * operations has a module, and each event type is serialised by exactly one family.
 *
 * No server is started: these read the contract and the modules only.
 */
import { describe, expect, it } from 'vitest';
import { families } from '../../server/families.ts';
import type { FamilyModule } from '../../server/http/family.ts';
import { loadSpec, operationsOf } from './openapi.ts';

const doc = loadSpec();
const operations = operationsOf(doc);
const modules: readonly FamilyModule<never>[] = families;

/** operationIds per tag, from the contract's `paths` (the served operations). */
function operationsByTag(): Map<string, string[]> {
  const byTag = new Map<string, string[]>();
  for (const op of operations) {
    const tags = (op.raw as { tags?: string[] }).tags ?? [];
    expect(tags, `${op.operationId} carries exactly one tag, its family`).toHaveLength(1);
    byTag.set(tags[0]!, [...(byTag.get(tags[0]!) ?? []), op.operationId!]);
  }
  return byTag;
}

describe('family modules (server/families.ts)', () => {
  const byTag = operationsByTag();

  it.each(modules.map((family) => [family.tag, family] as const))('%s handles exactly the operations tagged %s', (tag, family) => {
    // JSON handlers, plus the x-endpoint operations its endpoints router serves.
    expect([...Object.keys(family.handlers), ...(family.endpointOperations ?? [])].sort()).toEqual([...(byTag.get(tag) ?? [])].sort());
    if (family.endpointOperations?.length) expect(family.endpoints).toBeDefined();
    for (const id of family.endpointOperations ?? []) expect(operations.find((op) => op.operationId === id)?.raw['x-endpoint'], id).toBe(true);
  });

  it('every tag with operations has one module, and no two modules share a tag', () => {
    const tags = modules.map((family) => family.tag);
    expect(new Set(tags).size).toBe(tags.length);
    expect([...byTag.keys()].sort()).toEqual([...tags].sort());
  });

  it('every event type of the contract is serialised by exactly one family', () => {
    const eventTypes = ((doc as unknown as { components: { schemas: { EventType: { enum: string[] } } } }).components.schemas.EventType.enum).slice().sort();
    const serialised = modules.flatMap((family) => Object.keys(family.eventSerializers ?? {}));
    expect(serialised.slice().sort()).toEqual(eventTypes);
  });
});
