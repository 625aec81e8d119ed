import { resolve } from 'node:path';

/** The self-contained Redoc page built by `npm run generate`, served at `/docs`. */
export const DOCS_PATH = resolve(import.meta.dirname, '../generated/docs.html');
