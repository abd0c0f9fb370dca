// Express 4, installed under the alias express4, has the same API as far as these specs go.
declare module 'express4' {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- TypeScript's form for re-exporting a CommonJS module's `export =` types; nothing runs
  import express = require('express');
  export = express;
}
