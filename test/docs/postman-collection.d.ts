/**
 * The part of Postman's collection SDK (`postman-collection`, installed with
 * `openapi-to-postmanv2`, no bundled types) that the docs tests use to import the collection.
 */
declare module 'postman-collection' {
  namespace sdk {
  export class Url {
    getPath(unresolved?: boolean): string;
    getQueryString(): string;
  }
  export class RequestAuth {
    type: string;
  }
  export class Request {
    method: string;
    url: Url;
    auth?: RequestAuth;
    headers: { each(fn: (header: { key: string; value: string; disabled?: boolean }) => void): void };
  }
  export class Item {
    name: string;
    request: Request;
    getAuth(): RequestAuth | undefined;
  }
  export class Collection {
    constructor(definition: unknown);
    forEachItem(fn: (item: Item) => void): void;
    variables: { get(key: string): unknown; has(key: string): boolean };
    auth?: RequestAuth & { parameters(): { get(key: string): unknown } };
  }
  }
  export default sdk;
}
