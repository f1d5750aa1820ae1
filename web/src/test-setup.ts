/**
 * For the component tests (`*.test.tsx` beside the components, run by `npm test` under Node): a DOM from
 * happy-dom registered as the globals Preact and @testing-library/preact expect.
 */
import { GlobalRegistrator } from '@happy-dom/global-registrator';

if (!(globalThis as { document?: unknown }).document) GlobalRegistrator.register({ url: 'http://portal.test/_admin/portal/' });
